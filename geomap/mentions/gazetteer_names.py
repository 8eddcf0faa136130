"""Gazetteer matching: the names the bundled gazetteer knows, found in a
document's capitalised words without the model's help."""

from __future__ import annotations

from geomap.gazetteer import Gazetteer, in_theatre, normalize
from geomap.mentions.tokens import Tokens, TokenSpan
from geomap.mentions.variants import variant_span

# Country names that gazetteer matching may find on its own; elsewhere the
# statistical model decides, since names like Jordan or Chad are also people.
NEIGHBOUR_COUNTRIES = {"UA", "RU", "BY", "PL", "MD", "RO", "HU", "SK"}
# Penn tags of function words, which are never place names.
FUNCTION_TAGS = {"DT", "PRP", "PRP$", "IN", "CC", "MD", "WDT", "WP", "WP$", "WRB", "TO", "EX",
                 "PDT", "POS", "RP", "UH", "CD", "SYM", ".", ",", ":", "-LRB-", "-RRB-", "``", "''"}
MAX_NAME_TOKENS = 6  # the longest place name, in tokens
NAME_PUNCTUATION = {"-", "–", "'", "’", ".", "/"}


def gazetteer_spans(tokens: Tokens, gazetteer: Gazetteer) -> list[TokenSpan]:
    """Longest capitalised token sequences whose names the gazetteer knows,
    under their own spelling or another transliteration."""
    entity_starts = {ent.start: ent for ent in tokens.entities}
    spans: list[TokenSpan] = []
    for i in _name_like_tokens(tokens):
        if spans and i < spans[-1].end:
            continue
        found = _gazetteer_name(tokens, i, gazetteer)
        # A longer name the gazetteer knows under another spelling wins over
        # a shorter one it knows as written ("Nyzhnie Nagolchyk", not "Nyzhnie").
        if found is None or (i in entity_starts and len(entity_starts[i]) > len(found)):
            variant = variant_span(tokens, i, gazetteer, entity_starts)
            if variant is not None and (found is None or len(variant) > len(found)):
                found = variant
        if found is not None:
            spans.append(found)
    return spans


def _matchable(gazetteer: Gazetteer, key: str) -> bool:
    """Whether gazetteer matching may report `key` without the model's support."""
    if key in gazetteer.common_words:
        return False
    for place in gazetteer.lookup_key(key):
        if place.kind == "country":
            if place.country in NEIGHBOUR_COUNTRIES:
                return True
        elif in_theatre(place.country, place.admin1) or place.feature_class == "H":
            return True
    return False


def _name_like_tokens(tokens: Tokens) -> list[int]:
    """Capitalised content words: the tagger's noun/verb guesses on unknown
    names are unreliable, so only function words are ruled out."""
    return [i for i, text in enumerate(tokens.texts)
            if len(text) >= 3 and text[0].isupper() and not tokens.stops[i]
            and tokens.tag(i) not in FUNCTION_TAGS]


def _gazetteer_name(tokens: Tokens, i: int, gazetteer: Gazetteer) -> TokenSpan | None:
    """The longest name from token i that the gazetteer knows and matching
    may report on its own."""
    text, texts, starts = tokens.text, tokens.texts, tokens.starts
    # Each length's key starts with the shorter one's, so no length is worth
    # trying past the first whose key starts no gazetteer name.
    keys: list[str] = []
    while True:
        last = i + len(keys)
        # The name's text straight from the string: cheaper than a span's.
        key = normalize(text[starts[i]:starts[last] + len(texts[last])])
        if not gazetteer.has_key_prefix(key):
            break
        keys.append(key)
        # A name does not run across punctuation other than the hyphens,
        # apostrophes and dots names contain.
        following = last + 1
        if len(keys) == MAX_NAME_TOKENS or following == len(texts) or not (
                texts[following][0].isalnum() or texts[following] in NAME_PUNCTUATION):
            break
    for n in range(len(keys), 0, -1):
        key = keys[n - 1]
        if (texts[i + n - 1][0].isalnum() and gazetteer.has_key(key)
                and _matchable(gazetteer, key) and not tokens.glued_to_neighbour(i, i + n)):
            return TokenSpan(i, i + n)
    return None
