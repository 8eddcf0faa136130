"""Which token spans of a document are place names: the model's place
entities and the gazetteer's names, less people, organisations, stances
and capitals standing for their governments."""

from __future__ import annotations

from geomap.gazetteer import Gazetteer, normalize
from geomap.mentions.designators import Found, with_designator
from geomap.mentions.entities import conjuncts, entity_core, is_proper_name, without_article
from geomap.mentions.gazetteer_names import gazetteer_spans
from geomap.mentions.not_places import (
    ORGANISATION_HEADS,
    acts_as_person,
    followed_by_organisation,
    in_compound_adjective,
    is_demonym,
    is_flag_state,
    is_metonym,
    names_a_day,
    person_surnames,
)
from geomap.mentions.tokens import Tokens, TokenSpan

PLACE_LABELS = {"GPE", "LOC", "FAC"}


def find_place_spans(tokens: Tokens, gazetteer: Gazetteer) -> list[Found]:
    """Place-name spans of one parsed document with the label that found
    them, in text order."""
    surnames = person_surnames(tokens)
    entities = [piece for ent in tokens.entities
                for piece in conjuncts(tokens, entity_core(tokens, ent), gazetteer)]
    entity_at = {i: ent for ent in entities for i in range(ent.start, ent.end)}
    chosen: list[Found] = []

    for ent in entities:
        if ent.label not in PLACE_LABELS:
            continue
        span = without_article(tokens, ent)
        surface = tokens.span_text(span)
        key = normalize(surface)
        known = gazetteer.has_key(key)
        if key in surnames or (not known and is_demonym(tokens, span)):
            continue
        # Place names are capitalised; the model's lower-case "places" are words.
        if (not surface[:1].isupper() or in_compound_adjective(tokens, span.start)
                or is_metonym(tokens, span) or is_flag_state(tokens, span)
                or names_a_day(tokens, span) or acts_as_person(tokens, span, gazetteer)):
            continue
        found = with_designator(tokens, span, ent.label)
        if not found.designator and (tokens.lower(span.end - 1) in ORGANISATION_HEADS
                                     or followed_by_organisation(tokens, span.end)):
            continue
        chosen.append(found)

    taken = {i for found in chosen for i in range(found.span.start, found.span.end)}
    for span in gazetteer_spans(tokens, gazetteer):
        positions = range(span.start, span.end)
        if any(i in taken for i in positions):
            continue
        overlapping = {entity_at[i] for i in positions if i in entity_at}
        # A place name inside a longer organisation or person name ("Kyiv
        # Independent", "AP Photo/...") is not a place mention; a bare name the
        # model called an organisation or a person ("Mariupol" as ORG) is, and
        # so is one inside a span that is no proper name ("Missiles struck Sumy").
        if any((without_article(tokens, ent).start < span.start or ent.end > span.end)
               and is_proper_name(tokens, without_article(tokens, ent))
               for ent in overlapping):
            continue
        if (normalize(tokens.span_text(span)) in surnames
                or in_compound_adjective(tokens, span.start) or is_metonym(tokens, span)
                or is_flag_state(tokens, span)
                or (any(ent.label == "NORP" for ent in overlapping)
                    and is_demonym(tokens, span))):
            continue
        label = _first(overlapping).label if overlapping else "GAZETTEER"
        if acts_as_person(tokens, span, gazetteer):  # whatever the model called it
            continue
        found = with_designator(tokens, span, label)
        if not found.designator and followed_by_organisation(tokens, span.end):
            continue
        chosen.append(found)
        taken.update(range(found.span.start, found.span.end))

    chosen.sort(key=lambda found: tokens.starts[found.span.start])
    return chosen


def _first(spans: set[TokenSpan]) -> TokenSpan:
    return min(spans, key=lambda span: span.start)
