"""`geomap extract` output, and reading it back for `build --from-extract`.

Two forms, both JSON lines (schemas in the README):
- mention lines, one per place-name mention, for people and other tools;
- document lines, one per document with its metadata and every mention and
  pick in full (geomap.records), which `build --from-extract` turns back
  into resolved documents without running the language model again.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import TextIO

from geomap.documents import InputError, InputLog, json_lines
from geomap.errors import os_problem
from geomap.input_files import STDIN, Selection, files_of
from geomap.records import document_from_record, document_record, place_summary
from geomap.resolve import Resolution, ResolvedDocument, toponyms

MENTION_FORMAT, DOCUMENT_FORMAT = "mentions", "documents"
FORMATS = (MENTION_FORMAT, DOCUMENT_FORMAT)
EXPLAINED_CANDIDATES = 5


def mention_line(resolution: Resolution, explain: bool = False) -> dict:
    """One line of `geomap extract --format mentions`."""
    mention = resolution.mention
    record = {
        "doc": mention.doc_id, "text": mention.text, "start": mention.start, "end": mention.end,
        "sentence": mention.sentence,
        "place": place_summary(resolution.place) if resolution.place else None,
        "score": resolution.score, "reason": resolution.reason,
    }
    if explain:
        record["candidates"] = [
            {**place_summary(candidate.place), "score": candidate.score,
             "factors": {factor.label: factor.value for factor in candidate.factors}}
            for candidate in resolution.candidates[:EXPLAINED_CANDIDATES]]
    return record


def extraction_lines(resolved: ResolvedDocument, output_format: str,
                     explain: bool = False) -> str:
    """A document's extraction output in the given format, as JSON lines."""
    if output_format == DOCUMENT_FORMAT:
        return json.dumps(document_record(resolved), ensure_ascii=False) + "\n"
    return "".join(json.dumps(mention_line(r, explain), ensure_ascii=False) + "\n"
                   for r in toponyms(resolved.resolutions))


def read_extraction(paths: Iterable[str], log: InputLog) -> Iterator[ResolvedDocument]:
    """Documents and their resolutions from document-line files, the .jsonl
    files in folders (a Dask run's parts) in name order, or "-" for stdin. A
    bad line is reported with its file and line number and the rest still
    read; a file of mention lines is reported once."""
    for name in paths:
        for source, opened in _sources(name, log):
            try:
                with opened() as lines:
                    yield from _records_in(lines, source, log)
                log.processed += 1
            except InputError as exc:
                log.fail(str(exc))
            except OSError as exc:
                log.fail(f"{source}: {os_problem(exc)}")
            except UnicodeDecodeError:
                log.fail(f"{source}: not UTF-8 text")


def _sources(name: str, log: InputLog) -> Iterator[tuple[str, Callable[[], TextIO]]]:
    """(name, a way to open it) for stdin, a file, or the .jsonl files in a folder."""
    if name == STDIN:
        yield "<stdin>", lambda: io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
        return
    for file in files_of(name, Selection(include=("*.jsonl",)), log.file_problems):
        yield file.name, partial(open, file.path, encoding="utf-8")


def _records_in(lines: Iterable[str], name: str, log: InputLog) -> Iterator[ResolvedDocument]:
    for where, record in json_lines(lines, name, log):
        if isinstance(record, dict) and "doc" in record and "sentence" in record:
            raise InputError(f"{where}: mention lines, not document lines; write extraction "
                             "output for build with `geomap extract --format documents`")
        try:
            resolved = document_from_record(record, lambda message: log.warn(
                f"{where}: {message}"))
        except InputError as exc:
            log.fail(f"{where}: {exc}")
            continue
        log.documents += 1
        yield resolved
