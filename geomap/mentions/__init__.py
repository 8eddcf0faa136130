"""Mentions: find the place names in documents, with the model's entities
plus gazetteer matching, each with its sentence and the sentence's words.

The statistical model finds most place names but mislabels some (Mariupol as
an organisation, Kyiv as a person) and misses others. Gazetteer matching
finds names the bundled gazetteer knows, and a few document-level rules keep
people, demonyms and organisations off the map. The parts, one job each:

- nlp: loading the spaCy pipeline;
- tokens: the token view every rule reads;
- entities: the model's entities cut where they are unreliable;
- gazetteer_names, variants: names the gazetteer knows, by any spelling;
- not_places: people, demonyms, organisations, stances, metonyms;
- designators: "region", "river", "railway station" after a name;
- find: which spans are place names, from all of the above;
- sentences: the sentence around a mention;
- lemmas: the words of that sentence, for typing incidents;
- counts: the killed, injured, captured or missing its parse states.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from geomap.documents import Document
from geomap.gazetteer import Gazetteer
from geomap.mentions.counts import DIGEST_SEPARATOR, OUTCOME_OF, Count, sentence_counts
from geomap.mentions.find import find_place_spans
from geomap.mentions.lemmas import SentenceWords
from geomap.mentions.nlp import load_pipeline
from geomap.mentions.sentences import Sentences
from geomap.mentions.tokens import Tokens, tokens_of

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# The most text the model is given at once (but one longer document alone).
BATCH_CHARS = 100_000


@dataclass(frozen=True)
class Mention:
    doc_id: str
    text: str  # exact surface text, document.text[start:end]
    start: int
    end: int
    sentence: str
    sentence_start: int
    label: str  # the model's entity label, or "GAZETTEER" when only matching found it
    name: str = ""  # the bare name, without designator words ("Kharkiv" in "Kharkiv region")
    designator: str = ""  # region, district, river, plant, station, airport, ... or ""
    after_article: bool = False  # "the Dnipro": rivers and regions take the article
    # The sentence's words as (lower-case text, lemma), for typing incidents.
    sentence_words: tuple[tuple[str, str], ...] = ()
    # The sentence's counts of people killed, injured, captured or missing.
    sentence_counts: tuple[Count, ...] = ()


def mentions_in(document: Document, doc: Doc, gazetteer: Gazetteer,
                nlp: Language | None = None) -> list[Mention]:
    """The place-name mentions in a document parsed by `nlp` (the default
    pipeline if not given), which lemmatises the sentences that have one."""
    nlp = nlp or load_pipeline()
    text = document.text  # the same as doc.text, which spaCy rebuilds on every access
    tokens = tokens_of(doc, text)
    found_spans = find_place_spans(tokens, gazetteer)
    if not found_spans:
        return []
    sentence_words_of = SentenceWords(doc, tokens, nlp)
    sentences = Sentences(tokens)
    spans = [(tokens.starts[found.span.start], tokens.end_char(found.span.end))
             for found in found_spans]
    around = [sentences.around(start_char) for start_char, _end in spans]
    place_starts: dict[tuple[int, int], list[int]] = {}
    for (start_char, _end), bounds in zip(spans, around):
        place_starts.setdefault(bounds, []).append(start_char)
    counts = {bounds: _counts(doc, tokens, bounds, starts)
              for bounds, starts in place_starts.items()}
    mentions = []
    for found, (start_char, end_char), (start, end) in zip(found_spans, spans, around):
        mentions.append(Mention(
            doc_id=document.id, text=text[start_char:end_char], start=start_char, end=end_char,
            sentence=text[start:end], sentence_start=start, label=found.label,
            name=tokens.span_text(found.name), designator=found.designator,
            after_article=found.after_article, sentence_words=sentence_words_of(start, end),
            sentence_counts=counts[(start, end)],
        ))
    return mentions


def _counts(doc: Doc, tokens: Tokens, bounds: tuple[int, int],
            place_starts: list[int]) -> tuple[Count, ...]:
    """The counts of the sentence at `bounds`: read from its parse, and only
    in sentences that say someone was killed, hurt or taken."""
    start, end = bounds
    first = bisect.bisect_left(tokens.starts, start)
    last = bisect.bisect_left(tokens.starts, end)
    if not any(tokens.lower(i) in OUTCOME_OF for i in range(first, last)):
        return ()
    # A digest of headlines is one sentence to the parser: each headline's
    # counts are read on their own.
    separators = (m.start() for m in DIGEST_SEPARATOR.finditer(tokens.text, start, end))
    # Each cut comes after the token holding the separator (";" or "2021.;").
    cuts = [first, *(bisect.bisect_right(tokens.starts, at) for at in separators), last]
    return tuple(count for part_start, part_end in zip(cuts, cuts[1:])
                 if part_end > part_start
                 for count in sentence_counts(doc[part_start:part_end], place_starts))


def extract_mentions(documents: Iterable[Document], gazetteer: Gazetteer,
                     nlp: Language | None = None,
                     batch_size: int = 32) -> Iterator[tuple[Document, list[Mention]]]:
    """Each document with its place-name mentions, through nlp.pipe in
    batches of at most `batch_size` documents and BATCH_CHARS characters
    (but for one longer document alone): the model's memory grows with the
    text it holds at once, some 3 MB per 1,000 characters."""
    nlp = nlp or load_pipeline()
    for batch in _batches(documents, batch_size):
        texts = [document.text for document in batch]
        for doc, document in zip(nlp.pipe(texts, batch_size=len(batch)), batch, strict=True):
            yield document, mentions_in(document, doc, gazetteer, nlp)


def _batches(documents: Iterable[Document], batch_size: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    chars = 0
    for document in documents:
        if batch and (len(batch) == batch_size or chars + len(document.text) > BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(document)
        chars += len(document.text)
    if batch:
        yield batch
