"""The model's entities, cut where they are unreliable: at line breaks,
separators, numbers and possessives, at 'and', 'or' and commas, and at
'of' between two place names ("Illinka of the Marinka community")."""

from __future__ import annotations

from geomap.gazetteer import Gazetteer, normalize
from geomap.mentions.tokens import Tokens, TokenSpan

SEPARATORS = {"•", "|", "·", "—", "–"}
CONJUNCTIONS = {"and", "or", "&"}
# Lower-case words a proper name may hold ("Bank of America", "Rostov-on-Don").
NAME_PARTICLES = {"of", "the", "and", "for", "on", "de", "da", "del", "la", "le", "von", "van"}


def entity_core(tokens: Tokens, ent: TokenSpan) -> TokenSpan:
    """An entity cut at the first line break, separator, number or possessive
    ("Kyiv • UNN", "Izyum - VGA", "Soledar\\n\\nJan 26", "Kharkiv's Central
    Park"): the model's entities are unreliable across them, and a possessor is
    a place of its own."""
    for i in range(ent.start + 1, ent.end):
        text = tokens.texts[i]
        if ("\n" in text or text in SEPARATORS or tokens.tag(i) == "POS"
                or tokens.like_numbers[i] or (text == "-" and tokens.spaced[i])):
            return TokenSpan(ent.start, i, ent.label)
    return ent


def conjuncts(tokens: Tokens, ent: TokenSpan, gazetteer: Gazetteer) -> list[TokenSpan]:
    """An entity split at 'and', 'or' and commas, unless the gazetteer knows it
    whole ("Bosnia and Herzegovina"): the model often takes "Odesa and Izium"
    for one name (a WORK_OF_ART, even)."""
    if ent.label == "PERSON" or gazetteer.has_key(normalize(tokens.span_text(ent))):
        return [ent]
    pieces, start = [], ent.start
    for i in range(ent.start, ent.end):
        if tokens.lower(i) in CONJUNCTIONS or tokens.texts[i] == ",":
            pieces.append(TokenSpan(start, i, ent.label))
            start = i + 1
    pieces.append(TokenSpan(start, ent.end, ent.label))
    return [part for piece in pieces if len(piece) for part in _of_parts(tokens, piece, gazetteer)]


def _of_parts(tokens: Tokens, span: TokenSpan, gazetteer: Gazetteer) -> list[TokenSpan]:
    """'Illinka of the Marinka': a village of a community, two places, when
    the gazetteer knows both sides (and not the whole, as "Sea of Azov")."""
    for i in range(span.start + 1, span.end - 1):
        if tokens.lower(i) == "of":
            before = TokenSpan(span.start, i, span.label)
            after = without_article(tokens, TokenSpan(i + 1, span.end, span.label))
            if all(gazetteer.has_key(normalize(tokens.span_text(part)))
                   for part in (before, after)):
                return [before, after]
    return [span]


def is_proper_name(tokens: Tokens, span: TokenSpan) -> bool:
    """Whether a span reads as one proper name: its words capitalised (or
    particles such as "of"), and no verb among them. The small model's
    entities are often not: "Missiles struck Sumy" (a PERSON), "Pokrovsk
    overnight" (an EVENT); such a span must not hide a place name inside it."""
    for i in range(span.start, span.end):
        text = tokens.texts[i]
        if not text[:1].isalpha():
            continue
        if tokens.tag(i).startswith("VB") or (not text[:1].isupper()
                                              and tokens.lower(i) not in NAME_PARTICLES):
            return False
    return True


def without_article(tokens: Tokens, span: TokenSpan) -> TokenSpan:
    """'the Dnipro' -> 'Dnipro'."""
    if len(span) > 1 and tokens.lower(span.start) == "the":
        return TokenSpan(span.start + 1, span.end, span.label)
    return span
