"""Documents: read articles from files, folders and stdin, with their metadata.

Supported: .txt, .md, .html/.htm (article text and metadata by trafilatura,
else the page's visible text), .json (an object or a list of objects),
.jsonl, .csv (a text column and optional id/title/source/date/url columns),
the files of folders (geomap.input_files) and "-" for stdin, in the
encodings geomap.decoding reads. A bad input is reported in one line naming
the file (and line or row) and the problem; the others are still read. A
date that is not a real day is reported and left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import BinaryIO

from geomap.decoding import DecodeError, decode
from geomap.errors import StrictStop, os_problem
from geomap.input_files import (
    STDIN,
    FileProblems,
    InputFile,
    Selection,
    files_of,
    kind_of,
)
from geomap.input_files import estimated_count as estimated_files_count

STDIN_FORMATS = ("txt", "html", "json", "jsonl", "csv")

META_FIELDS = ("title", "source", "date", "url")
TITLE_MAX = 120
# spaCy takes up to a million characters at a time, but its memory grows
# with the text (some 3 GB for a million characters): longer articles are
# read in parts of at most DEFAULT_MAX_CHARS, split at paragraph breaks.
SPACY_MAX_CHARS = 1_000_000
DEFAULT_MAX_CHARS = 100_000
DEFAULT_MAX_DOCUMENTS = 1_000_000
# Dates a news article can bear; others are typos or placeholders (0001-01-01).
FIRST_YEAR, LAST_YEAR = 1900, 2100
# A CSV cell may hold a whole article; the csv module's default limit is 131,072.
CSV_FIELD_LIMIT = 2**31 - 1

# The seeds' inline header: "date 2022-03-16 (NewsNation) — text ...".
_INLINE_HEADER = re.compile(
    r"\A\s*date\s+(?P<date>\d{4}-\d{2}-\d{2})(?:\s*\((?P<source>[^)\n]{1,80})\))?\s*[—–-]?\s*",
    re.IGNORECASE,
)
# "Title: ...", "Source: ..." lines at the top of a file.
_FIELD_LINE = re.compile(r"\A(?P<key>title|source|date|url)\s*:\s*(?P<value>.*)\Z", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


TOO_DEEP = "JSON nested too deeply to be an article record"


class InputError(Exception):
    """A problem with one input; the message says what, the caller says where."""


@dataclass(frozen=True)
class Document:
    """One article. `id` is the record's id, else the file path (plus line for
    JSONL and row for CSV, and #part for the parts of a very long article)."""

    id: str
    text: str
    title: str = ""
    source: str = ""
    date: str = ""  # ISO YYYY-MM-DD when known
    url: str = ""
    path: str = ""  # the file the article came from


@dataclass(frozen=True)
class LineRange:
    """A line-aligned part of a JSONL file: bytes start..end, the first of
    them on line number first_line."""

    start: int
    end: int
    first_line: int


@dataclass
class ReadOptions:
    selection: Selection = field(default_factory=Selection)  # which files of folders
    columns: dict[str, str] = field(default_factory=dict)  # field -> CSV/JSON column name
    max_chars: int = DEFAULT_MAX_CHARS
    max_documents: int = DEFAULT_MAX_DOCUMENTS
    stdin_format: str = "txt"
    strict: bool = False

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


class InputLog:
    """Counts what was read, skipped and failed, and says so one line each."""

    def __init__(self, say: Callable[[str], None], strict: bool = False):
        self.say = say
        self.strict = strict
        self.processed = self.skipped = self.failed = 0
        self.documents = 0
        self.limit_reached = False  # --max-documents stopped the reading, and said so

    def fail(self, message: str) -> None:
        self.failed += 1
        self.say(f"error: {message}")
        if self.strict:
            raise StrictStop(f"--strict: stopping at the first failed input ({message}); "
                             "nothing was written")

    def skip(self, message: str) -> None:
        self.skipped += 1
        self.say(f"skipped: {message}")

    def warn(self, message: str) -> None:
        """A problem the input is still read with (a bad date, replaced bytes)."""
        self.say(f"warning: {message}")

    @property
    def file_problems(self) -> FileProblems:
        return FileProblems(self.fail, self.skip)

    def summary(self) -> str:
        return (f"inputs: {self.processed} processed, {self.skipped} skipped, "
                f"{self.failed} failed")


def iso_date(value: object) -> str:
    """The YYYY-MM-DD part of a date string, or "" when there is none;
    ValueError when it is not a day between FIRST_YEAR and LAST_YEAR."""
    match = _ISO_DATE.search(str(value or ""))
    if not match:
        return ""
    date = dt.date.fromisoformat(match.group(0))
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        raise ValueError(f"year {date.year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return match.group(0)


def checked_date(value: object, where: str, warn: Callable[[str], None]) -> str:
    """iso_date, or "" with a warning naming `where` when the date is not a real day."""
    try:
        return iso_date(value)
    except ValueError as exc:
        warn(f"{where}: date {str(value)[:40]!r} is not a real day ({exc}); read without a date")
        return ""


def default_title(text: str) -> str:
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first_line) <= TITLE_MAX:
        return first_line
    return first_line[:TITLE_MAX].rsplit(" ", 1)[0] + "…"


def split_header(raw: str) -> tuple[dict[str, str], str]:
    """Metadata from a text file's header, and the article text after it.

    Understands YAML-style front matter (--- key: value ---), leading
    "Title:/Source:/Date:/URL:" lines ended by a blank line, and the inline
    "date YYYY-MM-DD (Source) —" prefix of the sample articles.
    """
    meta: dict[str, str] = {}
    lines = raw.split("\n")
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() == "---":
                for line in lines[1:end]:
                    key, _, value = line.partition(":")
                    if key.strip().lower() in META_FIELDS:
                        meta[key.strip().lower()] = value.strip().strip("\"'")
                return meta, "\n".join(lines[end + 1:]).lstrip("\n")
    field_lines = 0
    for line in lines:
        match = _FIELD_LINE.match(line.strip())
        if not match:
            break
        meta[match["key"].lower()] = match["value"].strip()
        field_lines += 1
    if field_lines and (field_lines == len(lines) or not lines[field_lines].strip()):
        return meta, "\n".join(lines[field_lines:]).lstrip("\n")
    meta.clear()
    match = _INLINE_HEADER.match(raw)
    if match:
        meta["date"] = match["date"]
        if match["source"]:
            meta["source"] = match["source"].strip()
        return meta, raw[match.end():]
    return meta, raw


def parts(text: str, max_chars: int) -> list[str]:
    """The text cut at paragraph (else line, else any) breaks into parts of at most max_chars."""
    out = []
    start = 0
    while len(text) - start > max_chars:
        for separator in ("\n\n", "\n", " "):
            cut = text.rfind(separator, start, start + max_chars - len(separator) + 1)
            if cut > start:
                cut += len(separator)  # the break stays with the part it ends
                break
        else:
            cut = start + max_chars
        out.append(text[start:cut])
        start = cut
    out.append(text[start:])
    return [part for part in out if part.strip()]


def documents_of(doc_id: str, text: str, options: ReadOptions, **meta: str) -> Iterator[Document]:
    """One Document, or one per part of a very long article ("id#2", ...)."""
    chunks = parts(text, options.max_chars)
    title = meta.pop("title", "") or default_title(text)
    for n, chunk in enumerate(chunks, start=1):
        part_id = doc_id if len(chunks) == 1 else f"{doc_id}#{n}"
        yield Document(id=part_id, text=chunk, title=title, **meta)


def text_documents(raw: str, path: str, options: ReadOptions,
                   log: InputLog) -> Iterator[Document]:
    meta, text = split_header(raw)
    if not text.strip():
        raise InputError("no article text")
    yield from documents_of(path, text, options, title=meta.get("title", ""),
                            source=meta.get("source", ""),
                            date=checked_date(meta.get("date"), path, log.warn),
                            url=meta.get("url", ""), path=path)


def html_documents(raw: str, path: str, options: ReadOptions,
                   log: InputLog) -> Iterator[Document]:
    """The article's text and metadata; a page with no article gives its visible text."""
    import trafilatura

    extracted = trafilatura.bare_extraction(raw, with_metadata=True)
    text = getattr(extracted, "text", None) or visible_text(raw)
    if not text.strip():
        raise InputError("no text in the page")
    get = (lambda name: str(getattr(extracted, name, None) or "")) if extracted else (lambda _: "")
    yield from documents_of(path, text, options, title=get("title"), source=get("sitename"),
                            date=checked_date(get("date"), path, log.warn), url=get("url"),
                            path=path)


def visible_text(html: str) -> str:
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for hidden in tree.xpath("//script|//style|//noscript|//template"):
        hidden.drop_tree()
    return "\n".join(line.strip() for line in tree.text_content().splitlines() if line.strip())


def record_documents(record: object, where: str, path: str, options: ReadOptions,
                     log: InputLog) -> Iterator[Document]:
    """A JSON/JSONL/CSV record with a text field; other fields are ignored."""
    if not isinstance(record, dict):
        raise InputError(f"{where}: not an object with a \"{options.column('text')}\" field")
    text = record.get(options.column("text"))
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: record has no \"{options.column('text')}\" string")
    record_id = record.get(options.column("id"))
    yield from documents_of(
        str(record_id) if record_id not in (None, "") else where, text.replace("\x00", ""),
        options, title=str(record.get(options.column("title")) or ""),
        source=str(record.get(options.column("source")) or ""),
        date=checked_date(record.get(options.column("date")), where, log.warn),
        url=str(record.get(options.column("url")) or ""), path=path)


def json_lines(lines: Iterable[str], name: str, log: InputLog,
               first_line: int = 1) -> Iterator[tuple[str, object]]:
    """("NAME:LINE", the parsed value) for each non-blank line of JSON lines;
    a line that does not parse is reported and the rest still read."""
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as exc:
            log.fail(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})")
        except RecursionError:
            log.fail(f"{where}: {TOO_DEEP}")


def jsonl_documents(raw: str, path: str, options: ReadOptions, log: InputLog,
                    first_line: int = 1) -> Iterator[Document]:
    for where, record in json_lines(raw.split("\n"), path, log, first_line):
        try:
            yield from record_documents(record, where, path, options, log)
        except InputError as exc:
            log.fail(str(exc))


def json_documents(raw: str, path: str, options: ReadOptions, log: InputLog) -> Iterator[Document]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} "
                         f"(line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InputError(TOO_DEEP) from None
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        where = path if not isinstance(data, list) else f"{path}[{number}]"
        try:
            yield from record_documents(record, where, path, options, log)
        except InputError as exc:
            log.fail(str(exc))


def csv_documents(raw: str, path: str, options: ReadOptions, log: InputLog) -> Iterator[Document]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    rows = csv_rows(raw, path, log)
    header = next(rows, None)
    text_column = options.column("text")
    if not header or text_column not in header:
        columns = ", ".join(header or []) or "none"
        raise InputError(f"no \"{text_column}\" column (columns: {columns}); "
                         "name the text column with --text-column")
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}:row {number}"
        if len(row) != len(header):
            log.fail(f"{where}: {len(row)} fields, the header has {len(header)}")
            continue
        try:
            yield from record_documents(dict(zip(header, row)), where, path, options, log)
        except InputError as exc:
            log.fail(str(exc))


def csv_rows(raw: str, path: str, log: InputLog) -> Iterator[list[str]]:
    """A CSV's rows. A quote never closed would make the rest of the file one
    cell (the csv module's lenient reading): that last row is reported instead."""
    reader = csv.reader(io.StringIO(raw, newline=""))
    pending: list[str] | None = None
    first_line = last_line = 0
    for row in reader:
        if pending is not None:
            yield pending
        pending, first_line, last_line = row, last_line + 1, reader.line_num
    if pending is None:
        return
    if last_line > first_line and _quote_left_open(raw, first_line):
        log.fail(f"{path}:line {first_line}: a quote opened on this line is never closed; "
                 f"lines {first_line}-{last_line} were not read")
        return
    yield pending


def _quote_left_open(raw: str, first_line: int) -> bool:
    tail = raw.split("\n", first_line - 1)[-1]
    try:
        next(csv.reader(io.StringIO(tail, newline=""), strict=True), None)
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def documents_in(raw: str, path: str, kind: str, options: ReadOptions,
                 log: InputLog, first_line: int = 1) -> Iterator[Document]:
    if kind in ("txt", "md"):
        return text_documents(raw, path, options, log)
    if kind == "html":
        return html_documents(raw, path, options, log)
    if kind == "jsonl":
        return jsonl_documents(raw, path, options, log, first_line)
    if kind == "json":
        return json_documents(raw, path, options, log)
    return csv_documents(raw, path, options, log)


def estimated_count(paths: Iterable[str], options: ReadOptions) -> int | None:
    """About how many documents `paths` hold (input_files.estimated_count)."""
    return estimated_files_count(paths, options.selection, options.max_documents)


def read_documents(paths: Iterable[str], log: InputLog,
                   options: ReadOptions | None = None) -> Iterator[Document]:
    """Every document in `paths`; a bad input is reported and the rest still
    read, until --max-documents documents have been read."""
    options = options or ReadOptions()
    for name in paths:
        if name == STDIN:
            files: Iterable[InputFile | None] = (None,)
        else:
            files = files_of(name, options.selection, log.file_problems)
        for file in files:
            if log.documents >= options.max_documents:
                if not log.limit_reached:
                    log.skip(f"{file.name if file else '<stdin>'} and every input after it: "
                             f"the limit of {options.max_documents} documents is reached "
                             "(--max-documents)")
                return
            if file is None:
                yield from _read_one(partial(_read_at_most, sys.stdin.buffer, options),
                                     "<stdin>", options.stdin_format, options, log)
            else:
                yield from read_file(file, options, log)


def read_file(file: InputFile, options: ReadOptions, log: InputLog,
              part: LineRange | None = None) -> Iterator[Document]:
    """The documents of one file, or of the given part of a JSONL file."""
    def read() -> bytes:
        with open(file.path, "rb") as f:
            if part is None:
                return _read_at_most(f, options)
            f.seek(part.start)
            return f.read(part.end - part.start)
    kind = "jsonl" if part else kind_of(file.path)
    return _read_one(read, file.name, kind, options, log, first_line=part.first_line if part else 1)


def _read_at_most(stream: BinaryIO, options: ReadOptions) -> bytes:
    """A stream's bytes, refusing more than --max-file-bytes (a file may grow
    after it was looked at, and stdin has no size)."""
    limit = options.selection.max_file_bytes
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"larger than the limit of {limit:,} bytes (--max-file-bytes)")
    return data


def _read_one(read: Callable[[], bytes], name: str, kind: str, options: ReadOptions,
              log: InputLog, first_line: int = 1) -> Iterator[Document]:
    try:
        decoded = decode(read())
        replaced = decoded.warning(first_line)
        if replaced:
            log.warn(f"{name}: {replaced}")
        for document in documents_in(decoded.text, name, kind, options, log, first_line):
            if log.documents >= options.max_documents:
                log.limit_reached = True
                log.skip(f"{name}: the limit of {options.max_documents} documents is reached "
                         "(--max-documents); the rest of this input and every input after it "
                         "were not read")
                return
            log.documents += 1
            yield document
        log.processed += 1
    except (InputError, DecodeError) as exc:
        log.fail(f"{name}: {exc}")
    except OSError as exc:
        log.fail(f"{name}: {os_problem(exc)}")
