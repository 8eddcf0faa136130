"""Extraction records: the JSON form of what the resolution stage found.

Two forms of `geomap extract` output, both JSON lines (schemas in the README):
- mention records, one per place-name mention, for people and other tools;
- document records, one per document with its metadata and every mention
  and pick in full, which `geomap build --from-extract` turns back into
  (Document, resolutions) without running the language model again.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from functools import partial
from typing import TextIO

from geomap.documents import (STDIN, Document, InputError, InputLog, ReadOptions, files_of,
                              json_lines)
from geomap.gazetteer import Place
from geomap.mentions import Mention
from geomap.resolve import Resolution, toponyms

MENTION_FORMAT, DOCUMENT_FORMAT = "mentions", "documents"
FORMATS = (MENTION_FORMAT, DOCUMENT_FORMAT)
EXPLAINED_CANDIDATES = 5
# The document fields a record keeps: everything but the text, which the
# mentions' sentences already quote.
DOCUMENT_FIELDS = ("id", "title", "source", "date", "url", "path")


def mention_record(resolution: Resolution, explain: bool = False) -> dict:
    """One line of `geomap extract --format mentions`."""
    mention = resolution.mention
    record = {
        "doc": mention.doc_id, "text": mention.text, "start": mention.start, "end": mention.end,
        "sentence": mention.sentence,
        "place": resolution.place.to_dict() if resolution.place else None,
        "score": resolution.score, "reason": resolution.reason,
    }
    if explain:
        record["candidates"] = [
            {**candidate.place.to_dict(), "score": candidate.score,
             "factors": {factor.label: factor.value for factor in candidate.factors}}
            for candidate in resolution.candidates[:EXPLAINED_CANDIDATES]]
    return record


def resolution_record(resolution: Resolution) -> dict:
    """A resolution in full: the mention with its sentence's words, the whole place."""
    return {"mention": asdict(resolution.mention),
            "place": resolution.place.__dict__ if resolution.place else None,
            "score": resolution.score, "reason": resolution.reason, "source": resolution.source}


def resolution_from_record(record: dict) -> Resolution:
    mention = dict(record["mention"])
    mention["sentence_words"] = tuple(map(tuple, mention["sentence_words"]))
    place = Place(**record["place"]) if record["place"] else None
    return Resolution(Mention(**mention), place, record["score"], record["reason"],
                      record["source"])


def document_record(document: Document, resolutions: list[Resolution]) -> dict:
    """One line of `geomap extract --format documents`."""
    return {"document": {name: getattr(document, name) for name in DOCUMENT_FIELDS},
            "resolutions": [resolution_record(r) for r in resolutions]}


def document_from_record(record: object) -> tuple[Document, list[Resolution]]:
    """A document record back as the document (without its text) and its resolutions."""
    if not isinstance(record, dict) or "document" not in record or "resolutions" not in record:
        if isinstance(record, dict) and "doc" in record and "sentence" in record:
            raise InputError("a mention record, not a document record; write extraction "
                             "output for build with `geomap extract --format documents`")
        raise InputError("not a geomap document record")
    try:
        document = Document(text="", **record["document"])
        return document, [resolution_from_record(r) for r in record["resolutions"]]
    except (TypeError, KeyError, ValueError) as exc:
        raise InputError(f"malformed document record ({exc})") from None


def extraction_lines(document: Document, resolutions: list[Resolution], output_format: str,
                     explain: bool = False) -> str:
    """A document's extraction output in the given format, as JSON lines."""
    if output_format == DOCUMENT_FORMAT:
        return json.dumps(document_record(document, resolutions), ensure_ascii=False) + "\n"
    return "".join(json.dumps(mention_record(r, explain), ensure_ascii=False) + "\n"
                   for r in toponyms(resolutions))


def read_extraction(paths: Iterable[str], log: InputLog) -> Iterator[tuple[Document, list[Resolution]]]:
    """Documents and their resolutions from document-record files, the
    .jsonl files in folders (a Dask run's parts) in name order, or "-" for
    stdin. A bad line is reported with its file and line number and the rest
    still read."""
    for name in paths:
        for source, opened in _sources(name, log):
            try:
                with opened() as lines:
                    yield from _records_in(lines, source, log)
                log.processed += 1
            except OSError as exc:
                log.fail(f"{source}: {(exc.strerror or str(exc)).lower()}")
            except UnicodeDecodeError:
                log.fail(f"{source}: not UTF-8 text")


def _sources(name: str, log: InputLog) -> Iterator[tuple[str, Callable[[], TextIO]]]:
    """(name, a way to open it) for stdin, a file, or the .jsonl files in a folder."""
    if name == STDIN:
        yield "<stdin>", lambda: io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
        return
    for file in files_of(name, ReadOptions(include=("*.jsonl",)), log):
        yield str(file), partial(open, file, encoding="utf-8")


def _records_in(lines: Iterable[str], name: str,
                log: InputLog) -> Iterator[tuple[Document, list[Resolution]]]:
    for where, record in json_lines(lines, name, log):
        try:
            pair = document_from_record(record)
        except InputError as exc:
            log.fail(f"{where}: {exc}")
            continue
        log.documents += 1
        yield pair
