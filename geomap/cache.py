"""Incremental runs: each document's extraction, cached by content and pipeline.

A document's mentions and their resolutions are stored under a key made of
its content and metadata, the language model, the gazetteer's digest and
the digest of geomap's own extraction code, so a changed article, gazetteer
or program never reuses an old answer. SQLite (WAL) in the user cache dir or
--cache-dir; a corrupt cache file is moved aside.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from functools import cache
from pathlib import Path

from geomap.documents import Document
from geomap.geocode import open_cache_db
from geomap.records import resolution_from_record, resolution_record
from geomap.resolve import Resolution

# The modules whose code decides what an extraction is.
EXTRACTION_MODULES = ("documents", "gazetteer", "mentions", "phrases", "resolve", "geocode",
                      "cache", "records")


@cache
def code_digest() -> str:
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for name in EXTRACTION_MODULES:
        digest.update((package / f"{name}.py").read_bytes())
    return digest.hexdigest()


class ExtractionCache:
    """Document -> its resolutions, for one configuration of the pipeline."""

    def __init__(self, directory: Path, configuration: str, warn: Callable[[str], None]):
        self.path = directory / "extractions.sqlite"
        self.prefix = hashlib.sha256(f"{configuration}|{code_digest()}".encode()).hexdigest()
        self.hits = self.misses = 0
        self.db = open_cache_db(self.path, "extractions", "key TEXT PRIMARY KEY, value TEXT", warn)

    def key(self, document: Document) -> str:
        content = json.dumps(asdict(document), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(f"{self.prefix}|{content}".encode()).hexdigest()

    def get(self, key: str) -> list[Resolution] | None:
        row = self.db.execute("SELECT value FROM extractions WHERE key=?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return [resolution_from_record(record) for record in json.loads(row[0])]

    def put(self, key: str, resolutions: list[Resolution]) -> None:
        value = json.dumps([resolution_record(r) for r in resolutions], ensure_ascii=False)
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO extractions VALUES (?, ?)", (key, value))


def with_cache(documents: Iterable[Document], cache: ExtractionCache | None,
               process: Callable[[Iterable[Document]], Iterator[tuple[Document, list[Resolution]]]],
               ) -> Iterator[tuple[Document, list[Resolution]]]:
    """Documents with their resolutions, in input order: cached ones from the
    cache, the others through `process` (one stream, so --jobs stays busy)."""
    if cache is None:
        yield from process(documents)
        return
    # (document, its key, its cached resolutions or None), in input order.
    order: deque[tuple[Document, str, list[Resolution] | None]] = deque()

    def uncached() -> Iterator[Document]:
        for document in documents:
            key = cache.key(document)
            found = cache.get(key)
            order.append((document, key, found))
            if found is None:
                yield document

    for document, resolutions in process(uncached()):
        while order[0][2] is not None:
            cached, _key, found = order.popleft()
            yield cached, found
        _document, key, _found = order.popleft()
        cache.put(key, resolutions)
        yield document, resolutions
    while order:
        cached, _key, found = order.popleft()
        yield cached, found
