"""Incremental runs: each document's extraction, cached by content and pipeline.

A document's mentions and their resolutions are stored under a key made of
what the extraction reads (its text and date), the language model, the
gazetteer's digest and the digest of geomap's own extraction code, so a
changed article, gazetteer or program never reuses an old answer, while a
moved or renamed folder (which changes ids made from file paths) still does.
SQLite (WAL) in the user cache dir or --cache-dir; a corrupt cache file is
moved aside.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from functools import cache
from pathlib import Path

from geomap.documents import Document
from geomap.gazetteer import Place
from geomap.geocode import open_cache_db
from geomap.mentions import Mention
from geomap.resolve import Resolution

# The package's files that do not decide what an extraction is: the map and
# the exports, the evaluation and the command line. Every other file, code or
# data, is in the key (new ones too), so no change can serve stale results;
# the gazetteer's data file is in it by the gazetteer's own digest.
NOT_EXTRACTION = ("__main__.py", "cli.py", "evaluate.py", "export.py", "incidents.py",
                  "render.py", "static/", "data/basemap.json", "data/places.tsv.gz")
PACKAGE = Path(__file__).resolve().parent


@cache
def code_digest() -> str:
    return extraction_digest(PACKAGE)


def extraction_digest(package: Path) -> str:
    """A digest of a package's extraction code and data: its files but NOT_EXTRACTION."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package).as_posix()
        if (path.is_file() and "__pycache__" not in path.parts
                and not relative.startswith(NOT_EXTRACTION)):
            digest.update(f"{relative}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class ExtractionCache:
    """Document -> its resolutions, for one configuration of the pipeline."""

    def __init__(self, directory: Path, configuration: str, warn: Callable[[str], None]):
        self.path = directory / "extractions.sqlite"
        self.prefix = hashlib.sha256(f"{configuration}|{code_digest()}".encode()).hexdigest()
        self.hits = self.misses = 0
        self.db = open_cache_db(self.path, "extractions", "key TEXT PRIMARY KEY, value TEXT", warn)

    def key(self, document: Document) -> str:
        content = json.dumps([document.text, document.date], ensure_ascii=False)
        return hashlib.sha256(f"{self.prefix}|{content}".encode()).hexdigest()

    def get(self, key: str, doc_id: str) -> list[Resolution] | None:
        """The resolutions cached under `key`, their mentions given `doc_id`."""
        row = self.db.execute("SELECT value FROM extractions WHERE key=?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return decoded(row[0], doc_id)

    def put(self, key: str, resolutions: list[Resolution]) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO extractions VALUES (?, ?)",
                            (key, encoded(resolutions)))


PLACE_FIELDS = tuple(f.name for f in fields(Place))


def encoded(resolutions: list[Resolution]) -> str:
    """A document's resolutions as compact JSON: [sentences, mentions].

    Each sentence is stored once, with its words' texts and lemmas in one
    flat list, and each mention points to its sentence: a third of the size
    of the full records and a quarter of the time to read back, which is
    most of an incremental run's time.
    """
    sentences: dict[tuple, int] = {}
    rows = []
    for resolution in resolutions:
        mention, place = resolution.mention, resolution.place
        sentence = (mention.sentence_start, mention.sentence, mention.sentence_words)
        index = sentences.setdefault(sentence, len(sentences))
        rows.append([index, mention.text, mention.start, mention.end, mention.label, mention.name,
                     mention.designator, mention.after_article,
                     [getattr(place, name) for name in PLACE_FIELDS] if place else None,
                     resolution.score, resolution.reason, resolution.source])
    return json.dumps([[[start, text, [word for pair in words for word in pair]]
                        for start, text, words in sentences], rows], ensure_ascii=False)


def decoded(value: str, doc_id: str) -> list[Resolution]:
    sentence_rows, rows = json.loads(value)
    sentences = []
    for start, text, flat in sentence_rows:
        words = iter(flat)
        sentences.append((start, text, tuple(zip(words, words))))
    resolutions = []
    for (index, text, start, end, label, name, designator, after_article, place, score, reason,
         source) in rows:
        sentence_start, sentence, words = sentences[index]
        mention = Mention(doc_id, text, start, end, sentence, sentence_start, label, name,
                          designator, after_article, words)
        resolutions.append(Resolution(mention, Place(*place) if place else None, score, reason,
                                      source))
    return resolutions


def with_cache(documents: Iterable[Document], cache: ExtractionCache | None,
               process: Callable[[Iterable[tuple[Document, list[Resolution] | None]]],
                                 Iterator[tuple[Document, list[Resolution]]]],
               ) -> Iterator[tuple[Document, list[Resolution]]]:
    """Documents with their resolutions, in input order. `process` gets each
    document with its cached resolutions, or None when the cache lacks it,
    and runs the pipeline on those only; their results are cached."""
    if cache is None:
        yield from process((document, None) for document in documents)
        return
    new_keys: deque[str | None] = deque()  # in input order: the key of each new document

    def looked_up() -> Iterator[tuple[Document, list[Resolution] | None]]:
        for document in documents:
            key = cache.key(document)
            known = cache.get(key, document.id)
            new_keys.append(key if known is None else None)
            yield document, known

    for document, resolutions in process(looked_up()):
        key = new_keys.popleft()
        if key is not None:
            cache.put(key, resolutions)
        yield document, resolutions
