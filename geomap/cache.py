"""Incremental runs: each document's extraction, cached by content and pipeline.

A document's mentions and their resolutions are stored under a key made of
what the extraction reads (its text and date), the language model, the
gazetteer's digest and the digest of geomap's code (all of the package but
the map's, the exports', the evaluation's and the command line's), so a
changed article, gazetteer or program never reuses an old answer, while a
moved or renamed folder (which changes ids made from file paths) still does.
SQLite (WAL) in the user cache dir or --cache-dir; every value carries its
checksum, and no problem with the cache stops a run (geomap.storage).
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
from geomap.resolve import Resolution, ResolvedDocument, fully_answered
from geomap.storage import ChecksummedStore

# The package's files that do not decide what an extraction is: the map and
# the exports, the evaluation and the command line. Every other file, code or
# data, is in the key (new ones too), so no change can serve stale results;
# the gazetteer's data file is in it by the gazetteer's own digest.
NOT_EXTRACTION = ("__main__.py", "cli.py", "evaluate.py", "export.py", "incidents.py",
                  "render.py", "static/", "data/basemap.json", "data/places.tsv.gz")
PACKAGE = Path(__file__).resolve().parent
TABLE = "extraction"  # key, the value's SHA-256, the value (compact JSON in UTF-8)


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
    """Document -> its resolutions, for one configuration of the pipeline, in
    a storage.ChecksummedStore: a damaged or edited entry is recomputed and
    replaced, and any problem with the file is one warning."""

    def __init__(self, directory: Path, configuration: str, warn: Callable[[str], None]):
        self.prefix = hashlib.sha256(f"{configuration}|{code_digest()}".encode()).hexdigest()
        self.hits = self.misses = 0
        self.store = ChecksummedStore(directory / "extractions.sqlite", TABLE, warn)

    @property
    def damaged(self) -> int:
        return self.store.damaged

    def key(self, document: Document) -> str:
        content = json.dumps([document.text, document.date], ensure_ascii=False)
        return hashlib.sha256(f"{self.prefix}|{content}".encode()).hexdigest()

    def get(self, key: str, doc_id: str) -> list[Resolution] | None:
        """The resolutions cached under `key`, their mentions given `doc_id`;
        None when they are not there, or not intact."""
        resolutions = self.store.get(
            key, lambda value: resolutions_from_compact(value.decode("utf-8"), doc_id))
        if resolutions is None:
            self.misses += 1
        else:
            self.hits += 1
        return resolutions

    def put(self, key: str, resolutions: list[Resolution]) -> None:
        self.store.put(key, compact_resolutions(resolutions).encode("utf-8"))


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
    their results are cached, but for those with a name the geocoder did not
    answer (a later run asks again)."""
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
        if key is not None and fully_answered(resolved.resolutions):
            cache.put(key, resolved.resolutions)
        yield resolved
