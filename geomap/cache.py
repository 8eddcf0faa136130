"""Incremental runs: each document's extraction, cached by content and pipeline.

A document's mentions and their resolutions are stored under a key made of
what the extraction reads (its text and date), the language model, the
gazetteer's digest and the digest of geomap's code (all of the package but
the map's, the exports', the evaluation's and the command line's), so a
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
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from geomap.documents import Document
from geomap.records import compact_resolutions, resolutions_from_compact
from geomap.resolve import Resolution, ResolvedDocument
from geomap.storage import open_cache_db

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
        return resolutions_from_compact(row[0], doc_id)

    def put(self, key: str, resolutions: list[Resolution]) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO extractions VALUES (?, ?)",
                            (key, compact_resolutions(resolutions)))


@dataclass(frozen=True)
class CacheLookup:
    """A document, with its resolutions if the cache has them."""

    document: Document
    resolutions: list[Resolution] | None  # None: not in the cache


def with_cache(documents: Iterable[Document], cache: ExtractionCache | None,
               process: Callable[[Iterable[CacheLookup]], Iterator[ResolvedDocument]],
               ) -> Iterator[ResolvedDocument]:
    """Documents with their resolutions, in input order. `process` gets each
    document's cache lookup and runs the pipeline on those the cache lacks;
    their results are cached."""
    if cache is None:
        yield from process(CacheLookup(document, None) for document in documents)
        return
    new_keys: deque[str | None] = deque()  # in input order: the key of each new document

    def looked_up() -> Iterator[CacheLookup]:
        for document in documents:
            key = cache.key(document)
            known = cache.get(key, document.id)
            new_keys.append(key if known is None else None)
            yield CacheLookup(document, known)

    for resolved in process(looked_up()):
        key = new_keys.popleft()
        if key is not None:
            cache.put(key, resolved.resolutions)
        yield resolved
