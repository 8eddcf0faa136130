"""Casualty counts (and the evacuated) read from a sentence's dependency parse: the number
(digits or words, "at least" and the like dropped), the people it counts
("people", "civilians", "soldiers", or the number standing alone), and the
word that says what happened to them ("killed", "dead", "wounded",
"hospitalised", "taken hostage"). Ages, dates, buildings and the like are
never counts; "including four children" is a subset, not the total; "no one
was injured" is no number. A count the sentence ties to one of its places
("six in Reni and one in Izmail") says which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

KILLED, INJURED, MISSING, EVACUATED = "killed", "injured", "captured or missing", "evacuated"
# What happened, by the lower-case word the sentence says it with.
OUTCOMES = {
    KILLED: {"killed", "kill", "kills", "killing", "dead", "died", "die", "dies", "dying",
             "perished", "deaths", "death", "bodies", "fatalities", "eliminated",
             "liquidated", "lives"},
    INJURED: {"injured", "injure", "injures", "injuring", "wounded", "wound", "wounds",
              "wounding", "hurt", "hospitalised", "hospitalized", "injuries", "casualties"},
    MISSING: {"hostage", "hostages", "missing", "abducted", "kidnapped", "captured", "detained"},
    EVACUATED: {"evacuated", "evacuate", "evacuating", "rescued"},
}
OUTCOME_OF = {word: what for what, words in OUTCOMES.items() for word in words}
# "casualties" alone says nothing of killed or wounded; "lost their lives" does.
UNSPLIT = {"casualties"}
# Nouns that count people, and those that name one person.
ONE_PERSON = {"person", "civilian", "resident", "soldier", "serviceman", "fighter", "child",
              "woman", "man", "boy", "girl", "teenager", "policeman", "officer", "rescuer",
              "worker", "medic", "volunteer", "passenger", "militiaman", "rebel", "separatist",
              "defender", "journalist", "adult", "infant", "baby", "pensioner", "doctor",
              "victim", "citizen", "daughter", "son", "mother", "father", "wife", "husband",
              "brother", "sister", "grandmother", "grandfather", "driver", "farmer", "teacher",
              "student", "servicewoman", "prisoner", "hostage", "firefighter", "nurse",
              "militia", "commander", "warlord", "member", "representative", "deputy",
              "another", "policewoman", "pilot", "priest"}
PEOPLE = ONE_PERSON | {
    "people", "persons", "civilians", "residents", "soldiers", "servicemen", "troops",
    "militants", "fighters", "children", "kids", "women", "men", "boys", "girls", "teenagers",
    "policemen", "officers", "rescuers", "workers", "employees", "medics", "volunteers",
    "passengers", "servicemembers", "others", "militiamen", "rebels", "separatists",
    "defenders", "combatants", "journalists", "adults", "babies", "elderly", "pensioners",
    "invaders", "occupiers", "mercenaries", "paratroopers", "marines", "guards", "guardsmen",
    "firefighters", "doctors", "nurses", "victims", "personnel", "citizens", "inhabitants",
    "villagers", "locals", "members", "servicewomen", "prisoners", "pows", "hostages",
    "students", "drivers", "farmers", "teachers", "militias", "militiamen", "police",
    "pilots", "officials"}
NUMBER_WORDS = {word: n for n, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS |= {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                 "eighty": 80, "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1000}
NOBODY = {"no", "nobody", "none", "noone"}
FATALLY = {"fatally", "mortally"}
# Words that make a number something other than a count of people.
NOT_COUNT_HEADS = {"year", "years", "aged", "age", "old", "km", "kilometres", "kilometers",
                   "miles", "metres", "meters", "percent", "%", "hours", "days", "times",
                   "houses", "buildings", "homes", "apartments", "cars", "vehicles", "tanks",
                   "shells", "missiles", "drones", "rockets", "attacks", "settlements",
                   "hryvnias", "dollars", "rubles", "roubles", "euros", "tonnes", "tons"}
PLACE_PREPOSITIONS = {"in", "near", "at", "on", "outside"}
# What joins the headlines of a digest: a bare semicolon ("Torez;Snizhne");
# prose writes "; " and its sentence stays whole.
DIGEST_SEPARATOR = re.compile(r";(?! )")


@dataclass(frozen=True)
class Count:
    """A number of people the sentence says were killed, injured, or
    captured or missing, with the words it was read from."""

    what: str
    value: int
    evidence: str  # the sentence's words it was read from
    start: int  # where the evidence starts in the document
    place_start: int  # where the place the sentence ties it to starts, or -1


def sentence_counts(sentence: Span, place_starts: list[int]) -> tuple[Count, ...]:
    """The counts of a parsed sentence (or a headline of it); `place_starts`
    are where its place mentions start (to tie a count to one of them)."""
    found: list[tuple[str, int, int, list[Token]]] = []  # what, value, place, words
    unsplit = _unsplit(sentence)
    inside = range(sentence.start, sentence.end)
    for token in sentence:
        what = OUTCOME_OF.get(token.lower_)
        if what is None or token.lower_ in UNSPLIT or token.i in unsplit:
            continue
        if what == INJURED and any(c.lower_ in FATALLY for c in token.children):
            what = KILLED  # "fatally wounded"
        if token.lower_ == "lives" and not any(c.lower_ in ("lost", "lose") for c in
                                               (token.head, *token.head.children)):
            continue
        # One outcome word's numbers add up ("five soldiers, two rebels killed"),
        # each tied to its own place when the sentence splits them.
        by_place: dict[int, list[tuple[int, list[Token]]]] = {}
        seen: set[int] = set()
        for number, counted in (_split(token, place_starts)
                                or _numbers_of(token, inside)):
            value = number_value(number) if number is not None else 1
            words = [t for t in (number, counted) if t is not None] or [token]
            if value is None or words[0].i in seen:
                continue
            seen.add(words[0].i)
            place_start = _tied_place(words[0], token, place_starts)
            by_place.setdefault(place_start, []).append((value, words))
        for place_start, parts in by_place.items():
            words = [word for _value, part in parts for word in part] + [token]
            found.append((what, sum(value for value, _part in parts), place_start, words))
    # Someone wounded who then died counts only as killed.
    dead = {word.i for what, _value, _place, words in found if what == KILLED
            for word in words[:-1]}
    counts: dict[tuple[str, int], Count] = {}
    for what, value, place_start, words in found:
        if what == INJURED and dead & {word.i for word in words[:-1]}:
            continue
        start = min(t.idx for t in words)
        end = max(t.idx + len(t.text) for t in words)
        # The first count of a kind for a place stands; a second number of
        # the same kind (a running total) does not add to it.
        counts.setdefault((what, place_start), Count(
            what, value, sentence.doc.text[start:end], start, place_start))
    return tuple(sorted(counts.values(), key=lambda c: (c.start, c.what)))


def _unsplit(sentence: Span) -> set[int]:
    """Outcome words joined with one of another kind over the same people,
    "100 soldiers killed and wounded": no number for either."""
    joined: set[int] = set()
    for token in sentence:
        what = OUTCOME_OF.get(token.lower_)
        for other in token.children:
            if (other.dep_ == "conj" and OUTCOME_OF.get(other.lower_) not in (None, what)
                    and not any(c.like_num or c.dep_ in ("nsubj", "nsubjpass", "dobj")
                                for c in other.children)):
                joined |= {token.i, other.i}
    return joined


def _split(outcome: Token, place_starts: list[int]) -> list[tuple[Token | None, Token | None]]:
    """"Seven civilians were injured - six in Reni and one in Izmail": the
    parts, when every part names its place; else nothing."""
    head = outcome.head
    if head.i == outcome.i or not head.like_num:
        return []
    parts = [head, *head.conjuncts]
    if len(parts) < 2 or any(_tied_place(part, part, place_starts) < 0 for part in parts):
        return []
    return [(part, None) for part in parts]


def _numbers_of(outcome: Token, inside: range) -> list[tuple[Token | None, Token | None]]:
    """(number, noun) pairs the outcome word says happened: the number token
    (None for one person) and the noun it counts (None for a bare number)."""
    candidates: list[Token] = []
    # "N people were killed", "killed N people", "N killed", "killing 35":
    # the outcome's subject and object, and the noun it modifies.
    for child in outcome.children:
        if child.dep_ in ("nsubj", "nsubjpass", "dobj", "attr", "npadvmod", "nummod",
                          "appos", "dative", "nmod"):
            candidates.append(child)
    if outcome.dep_ in ("amod", "acl", "relcl", "nummod", "compound") or (
            outcome.dep_ in ("conj", "appos") and outcome.head.pos_ in ("NOUN", "NUM", "PROPN")):
        candidates.append(outcome.head)
    if outcome.dep_ == "conj" and not any(c.dep_ in ("nsubj", "nsubjpass") for c in candidates):
        # "two were killed and four wounded": the conjunct's own number, if any
        candidates += [c for c in outcome.children if c.like_num]
    # "15 deaths", "447 bodies found"; "the bodies of four civilians", "the
    # death of its representative"
    if outcome.lower_ in ("bodies", "body", "death", "deaths"):
        if outcome.lower_ != "body":
            candidates += [c for c in outcome.children if c.like_num]
        candidates += [obj for prep in outcome.children if prep.dep_ == "prep"
                       and prep.lower_ == "of" for obj in prep.children if obj.dep_ == "pobj"]
    # "one soldier reported killed", "a journalist believed killed"
    if outcome.dep_ in ("xcomp", "oprd"):
        candidates += [c for c in outcome.head.children if c.dep_ in ("nsubj", "nsubjpass")]
    # "there is a dead"
    if outcome.lower_ == "dead" and any(c.lower_ in ("a", "one") for c in outcome.children):
        return [(None, None)]
    # "the death toll rose to 15", "the number of injured increased to six",
    # "the number of residents who died increased to 2"
    measure = _measure_of(outcome)
    if measure is not None:
        for word in (measure, measure.head):
            for prep in word.children:
                if prep.dep_ == "prep" and prep.lower_ in ("to", "at"):
                    candidates += [c for c in prep.children if c.like_num]
    found: list[tuple[Token | None, Token | None]] = []
    for candidate in candidates:
        # "killed, five injured": a number with an outcome of its own is that
        # one's; but a subject is its verb's ("a rescuer injured ... died").
        if candidate.i != outcome.head.i and candidate.dep_ not in ("nsubj", "nsubjpass") and any(
                c.lower_ in OUTCOME_OF and c.i != outcome.i for c in candidate.children):
            continue
        if candidate.i in inside:
            found += _counted(candidate, inside)
    return found


def _measure_of(outcome: Token) -> Token | None:
    """The "toll" or "number" an outcome word is the measure of, if any."""
    word = outcome
    if word.dep_ == "relcl":  # "residents who died"
        word = word.head
    if word.head.lower_ == "toll":
        return word.head
    if (word.dep_ == "pobj" and word.head.lower_ == "of"
            and word.head.head.lower_ in ("number", "toll")):
        return word.head.head
    return None


def _counted(token: Token, inside: range) -> list[tuple[Token | None, Token | None]]:
    """The numbers a noun phrase (or a bare number) gives, groups added
    ("five soldiers, two rebels"), subsets left out ("including four
    children")."""
    phrases = [token, *token.conjuncts]
    # "Five soldiers, two rebels killed": a group with its number set beside another.
    if token.dep_ == "appos" and _numbered(token.head):
        phrases.append(token.head)
    phrases += [c for c in token.children if c.dep_ == "appos" and _numbered(c)]
    found: list[tuple[Token | None, Token | None]] = []
    for phrase in phrases:
        if phrase.i not in inside:
            continue  # another headline of a digest the parser took for one sentence
        if any(c.lower_ in NOBODY for c in (phrase, *phrase.children)):
            continue  # "no one was injured": nothing to show
        if phrase.i != token.i and (
                any(c.lower_ in OUTCOME_OF for c in phrase.children)
                or any(c.lower_ == "another" for c in phrase.children)):
            continue  # "one civilian killed, five injured": that group has its own outcome
        if phrase.like_num:
            if _is_count_number(phrase):
                found.append((phrase, None))
            continue
        if phrase.lower_ not in PEOPLE and phrase.ent_type_ != "PERSON":
            continue
        numbers = [c for c in phrase.children if c.dep_ == "nummod" and c.like_num]
        if numbers:
            found.append((numbers[0], phrase))
        elif phrase.lower_ in ONE_PERSON or phrase.ent_type_ == "PERSON":
            # "a woman was injured", "Ukrainian soldier killed", "Vasyl Ostrovsky killed"
            found.append((None, phrase))
    return found


def _numbered(phrase: Token) -> bool:
    """A number, people with a number ("two rebels") or one person ("Child,
    man killed"): a group that adds to the one it is set beside."""
    return phrase.like_num or phrase.lower_ in ONE_PERSON or (phrase.lower_ in PEOPLE and any(
        c.dep_ == "nummod" and c.like_num for c in phrase.children))


def _is_count_number(number: Token) -> bool:
    """A bare number that counts people: not an age, a date, a distance."""
    head = number.head
    if head.lower_ in NOT_COUNT_HEADS or any(c.lower_ in NOT_COUNT_HEADS for c in number.children):
        return False
    following = number.nbor(1) if number.i + 1 < len(number.doc) else None
    return not (following is not None and (following.text in ("-", "%") or following.lower_
                                           in NOT_COUNT_HEADS))


def number_value(token: Token) -> int | None:
    """The value of a number token: "1,200", "seven", "twenty-two",
    "2 thousand"; None for "dozens" or a year."""
    text = token.lower_.replace(",", "")
    if text.isdigit():
        value = int(text)
        if 1900 <= value <= 2100 and token.i + 1 < len(token.doc) and len(text) == 4:
            return None  # a year
    elif text in NUMBER_WORDS:
        value = NUMBER_WORDS[text]
    elif "-" in text and all(part in NUMBER_WORDS for part in text.split("-")):
        value = sum(NUMBER_WORDS[part] for part in text.split("-"))
    else:
        return None
    after = token.nbor(1) if token.i + 1 < len(token.doc) else None
    if after is not None and after.lower_ in SCALES:
        value *= SCALES[after.lower_]
    return value


def _tied_place(anchor: Token, outcome: Token, place_starts: list[int]) -> int:
    """The place mention the sentence ties the count to: one after "in",
    "near" ... hanging from the number, its noun or the outcome word."""
    for word in (anchor, outcome):
        for child in word.children:
            if child.dep_ == "prep" and child.lower_ in PLACE_PREPOSITIONS:
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        start = _mention_at(obj, place_starts)
                        if start >= 0:
                            return start
    return -1


def _mention_at(token: Token, place_starts: list[int]) -> int:
    """The start of the place mention the token (or its phrase) is part of, or -1."""
    if token.idx in place_starts:
        return token.idx
    for word in token.subtree:
        if word.idx in place_starts:
            return word.idx
    return -1


def headline_bounds(sentence: str, sentence_start: int, offset: int) -> tuple[int, int]:
    """The document offsets of the headline around `offset`: the part of the
    sentence (at `sentence_start`) between the separators of a digest."""
    at = offset - sentence_start
    cuts = [m.start() for m in DIGEST_SEPARATOR.finditer(sentence)]
    low = max((cut + 1 for cut in cuts if cut < at), default=0)
    high = min((cut for cut in cuts if cut >= at), default=len(sentence))
    return sentence_start + low, sentence_start + high
