"""Variant spellings: names the gazetteer knows only under another
transliteration ("Marganets" for Marhanets, "Kamyanets-Podilsky")."""

from __future__ import annotations

from geomap.gazetteer import Gazetteer, normalize
from geomap.mentions.entities import entity_core
from geomap.mentions.tokens import Tokens, TokenSpan

MIN_VARIANT_LENGTH = 5
# Entities of these kinds are no place under any spelling.
NOT_PLACE_ENTITIES = ("PERSON", "DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY")


def variant_span(tokens: Tokens, i: int, gazetteer: Gazetteer,
                 entity_starts: dict[int, TokenSpan]) -> TokenSpan | None:
    """A name from token i that the gazetteer knows only under another
    transliteration: a proper noun, or a whole entity of the model's that is
    no person."""
    if not (tokens.tag(i) in ("NNP", "NNPS") or tokens.begins_entity(i)):
        return None
    if tokens.entity_type(i) in NOT_PLACE_ENTITIES:
        return None
    spans = []
    if tokens.begins_entity(i):
        spans.append(entity_core(tokens, entity_starts[i]))
    spans.append(TokenSpan(i, i + 1))
    for span in spans:
        text = tokens.span_text(span)
        if (len(text) >= MIN_VARIANT_LENGTH and normalize(text) not in gazetteer.common_words
                and not (len(span) == 1 and tokens.glued_to_neighbour(span.start, span.end))
                and gazetteer.lookup_variants(text)):
            return span
    return None
