"""Names that look like places but are not: people, demonyms, organisations,
stances ("pro-Moscow"), a capital standing for its government, a ship's
flag state ("flying the flag of Panama", "a Palau-flagged vessel") and days
("Palm Sunday")."""

from __future__ import annotations

from geomap.gazetteer import Gazetteer, normalize
from geomap.mentions.entities import is_proper_name
from geomap.mentions.tokens import HYPHENS, Tokens, TokenSpan

# A capital's name before these words stands for its government or army
# ("Kiev forces shelled Donetsk"), not for a place where something happened.
METONYM_HEADS = {"forces", "troops", "military", "army", "regime", "government", "authorities",
                 "officials", "shelling", "side", "soldiers", "security", "leadership",
                 "says", "said", "say", "claims", "claimed", "accuses", "accused", "denies",
                 "denied", "announced", "announces", "warns", "warned", "wants", "demands"}
CAPITAL_KEYS = {"kyiv", "kiev", "moscow", "minsk", "washington"}
TOWN_POPULATION = 10_000  # smaller places known by another name yield to a person
PERSON_TITLES = {"president", "minister", "mr", "mr.", "mrs", "ms", "general", "mayor",
                 "governor", "spokesman", "spokeswoman", "spokesperson", "chancellor",
                 "secretary", "deputy", "commander", "colonel", "lieutenant", "sergeant",
                 "captain", "major", "head", "chief", "prosecutor", "ombudsman", "adviser",
                 "advisor", "resident", "soldier", "officer", "volunteer", "journalist"}
# Words for kin before a name: "his mother Angelina".
RELATIVES = {"mother", "father", "son", "daughter", "wife", "husband", "brother", "sister",
             "grandmother", "grandfather", "grandson", "granddaughter", "aunt", "uncle",
             "nephew", "niece", "cousin", "friend", "neighbour", "neighbor"}
PERSON_VERBS = {"said", "says", "told", "tells", "added", "claimed", "claims", "warned", "warns",
                "met", "meets", "spoke", "speaks", "announced", "announces", "accused",
                "accuses", "stated", "wrote", "called", "calls", "insisted", "signed"}
DAY_WORDS = {"day", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
# Words after a name that make the whole phrase an organisation or unit.
ORGANISATION_HEADS = {
    "independent", "battalion", "regiment", "brigade", "initiative", "administration",
    "council", "prosecutor", "prosecutors", "prosecutor’s", "prosecutor's", "university",
    "post", "times", "truth", "press", "airlines", "news", "group", "company", "corporation",
    "fc", "club", "railway", "railways", "police", "court", "authorities",
    "department", "directorate", "office", "agency", "ministry", "committee", "force",
}
# Words that may stand between a place name and an organisation head word.
ORGANISATION_MODIFIERS = {"regional", "city", "military", "state", "oblast", "district", "local",
                          "civil", "civilian", "national", "grain", "operational", "tactical",
                          "task"}


def person_surnames(tokens: Tokens) -> set[str]:
    """Last names of the people the model found ("Lavrov" from "Sergey Lavrov");
    not from a "person" that is no proper name ("Missiles struck Sumy")."""
    return {normalize(tokens.texts[ent.end - 1]) for ent in tokens.entities
            if ent.label == "PERSON" and len(ent) > 1 and is_proper_name(tokens, ent)}


def followed_by_organisation(tokens: Tokens, end: int) -> bool:
    """'Kyiv Independent', 'Kharkiv Regional Military Administration', 'Azov
    battalion', after a name ending before token `end`."""
    for i in range(end, min(end + 5, len(tokens))):
        lower = tokens.lower(i)
        if lower in ORGANISATION_HEADS:
            return True
        joins_a_word = tokens.texts[i] == "-" and not tokens.spaced[i - 1]  # operational-tactical
        if lower not in ORGANISATION_MODIFIERS and not joins_a_word:
            return False
    return False


def is_metonym(tokens: Tokens, span: TokenSpan) -> bool:
    """'Kiev forces', 'Moscow says', or a headline's closing attribution ': Kiev'."""
    if normalize(tokens.span_text(span)) not in CAPITAL_KEYS:
        return False
    end = span.end
    after = end if end < len(tokens) else None
    if after is not None and (tokens.lower(after) in METONYM_HEADS
                              or (tokens.tag(after) == "POS" and after + 1 < len(tokens)
                                  and tokens.lower(after + 1) in METONYM_HEADS)):
        return True
    # The attribution closing a headline: ": Kiev", " - Kiev".
    return (span.start > 0 and (tokens.texts[span.start - 1] == ":" or (
                tokens.texts[span.start - 1] in HYPHENS and bool(tokens.spaced[span.start - 1])))
            and (after is None or tokens.texts[after] == ";" or "\n" in tokens.texts[after]))


def acts_as_person(tokens: Tokens, span: TokenSpan, gazetteer: Gazetteer) -> bool:
    """A name that is a person's, whatever the model called it, and with no
    model at all: titled or described as one ("Minister Lavrov", "his
    mother Angelina", "Kobzar, the Sumy mayor,", "Yanukovich, who"), or part
    of a longer name that speaks ("Nataliya Kuznetsova told"), and no town
    bears it; or speaking ("Putin said") and no place bears it as its own
    name (GeoNames lists "Putin" for the village Putyatintsy). A headline's
    bare Russian spelling of a village ("Svetloye") stays a place, and so
    does "Kyiv said"."""
    start, end = span.start, span.end
    # The whole name the span is part of, but not a title after it ("Bucha Mayor").
    while start > 0 and _name_word(tokens, start - 1):
        start -= 1
    while end < len(tokens) and _name_word(tokens, end):
        end += 1
    if end < len(tokens) and tokens.lower(end) in PERSON_TITLES:
        return False
    before = tokens.lower(start - 1) if start > 0 else ""
    after = end
    while after < len(tokens) and tokens.texts[after] in (",", "'s", "’s"):
        after += 1
    speaks = after < len(tokens) and tokens.lower(after) in PERSON_VERBS
    titled = (before in PERSON_TITLES or before in RELATIVES
              or (after < len(tokens) and tokens.texts[after - 1] == "," and (
                  tokens.lower(after) == "who" or _described_as_person(tokens, after)))
              or (speaks and (start, end) != (span.start, span.end)))
    if not (titled or speaks):
        return False
    key = normalize(tokens.span_text(span))
    places = gazetteer.lookup_key(key)
    if titled:  # unless a town bears it as its own name
        return all(p.population < TOWN_POPULATION or normalize(p.name) != key for p in places)
    return all(normalize(p.name) != key and p.population < TOWN_POPULATION for p in places)


def _name_word(tokens: Tokens, i: int) -> bool:
    """A capitalised word that may belong to a person's name."""
    text = tokens.texts[i]
    return text[:1].isupper() and text.isalpha() and tokens.lower(i) not in PERSON_TITLES


def _described_as_person(tokens: Tokens, i: int) -> bool:
    """', the Sumy mayor,' from token i: an apposition that says who someone
    is, closed by a comma or the sentence's end (in "Brokentown, the
    governor said" the governor is someone else)."""
    if tokens.lower(i) not in ("the", "a", "an"):
        return False
    for j in range(i + 1, min(i + 5, len(tokens))):
        if tokens.lower(j) in PERSON_TITLES:
            return j + 1 == len(tokens) or tokens.texts[j + 1] in (",", ".", ";", ")")
    return False


def is_flag_state(tokens: Tokens, span: TokenSpan) -> bool:
    """'the flag of Panama', 'a Palau-flagged vessel': where a ship is
    registered, not where anything happened."""
    start, end = span.start, span.end
    after = [tokens.lower(i) for i in range(end, min(end + 2, len(tokens)))]
    return ((start >= 2 and tokens.lower(start - 1) == "of"
             and tokens.lower(start - 2) in ("flag", "flags"))
            or after[:1] == ["flagged"] or (after[:1] == ["-"] and after[1:] == ["flagged"]))


def names_a_day(tokens: Tokens, span: TokenSpan) -> bool:
    """'Palm Sunday', 'Victory Day': a day the model took for a place."""
    return len(span) > 1 and tokens.lower(span.end - 1) in DAY_WORDS


def in_compound_adjective(tokens: Tokens, start: int) -> bool:
    """'pro-Moscow', 'anti-Kyiv' (a name from token `start`): a stance, not a place."""
    texts, spaced = tokens.texts, tokens.spaced
    return (start >= 2 and texts[start - 1] in HYPHENS
            and not spaced[start - 2] and not spaced[start - 1]
            and texts[start - 2].islower())  # spaCy's is_lower


def is_demonym(tokens: Tokens, span: TokenSpan) -> bool:
    """'Ukrainian', 'Russians': adjectives and peoples, not places."""
    last = span.end - 1
    return (tokens.tag(last) in ("JJ", "NNPS")
            or tokens.lower(last).endswith(("ian", "ians", "ean", "ese", "ish")))
