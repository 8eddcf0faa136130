"""Documents: read articles from files, folders and stdin, with their metadata.

Supported: .txt, .md, .html/.htm (article text and metadata by trafilatura,
else the page's visible text), .json (an object or a list of objects),
.jsonl, .csv (a text column and optional id/title/source/date/url columns),
folders (recursively, with include/exclude globs) and "-" for stdin.
Encodings: UTF-8 with or without BOM, UTF-16 with BOM, and cp1251, koi8-u and
latin-1 detected with charset-normalizer. A bad input is reported in one line
naming the file (and line or row) and the problem; the others are still read.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import fnmatch
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from geomap.errors import StrictStop

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".json", ".jsonl", ".csv"}
STDIN = "-"
STDIN_FORMATS = ("txt", "html", "json", "jsonl", "csv")

META_FIELDS = ("title", "source", "date", "url")
TITLE_MAX = 120
# spaCy handles up to a million characters at a time; longer articles are
# read in parts of at most this size, split at paragraph breaks.
DEFAULT_MAX_CHARS = 1_000_000
DEFAULT_MAX_DOCUMENTS = 1_000_000
LEGACY_ENCODINGS = ["cp1251", "koi8_u", "latin_1"]
BINARY_SIGNATURES = (b"\x89PNG", b"PK\x03\x04", b"%PDF", b"GIF8", b"\xff\xd8\xff", b"\x7fELF",
                     b"\x1f\x8b", b"BZh", b"7z\xbc\xaf")

# The seeds' inline header: "date 2022-03-16 (NewsNation) — text ...".
_INLINE_HEADER = re.compile(
    r"\A\s*date\s+(?P<date>\d{4}-\d{2}-\d{2})(?:\s*\((?P<source>[^)\n]{1,80})\))?\s*[—–-]?\s*",
    re.IGNORECASE,
)
# "Title: ...", "Source: ..." lines at the top of a file.
_FIELD_LINE = re.compile(r"\A(?P<key>title|source|date|url)\s*:\s*(?P<value>.*)\Z", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    include: tuple[str, ...] = ()  # globs a file in a folder must match (any)
    exclude: tuple[str, ...] = ()  # globs that leave a file out
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

    def fail(self, message: str) -> None:
        self.failed += 1
        self.say(f"error: {message}")
        if self.strict:
            raise StrictStop(f"--strict: stopping at the first failed input ({message}); "
                             "nothing was written")

    def skip(self, message: str) -> None:
        self.skipped += 1
        self.say(f"skipped: {message}")

    def summary(self) -> str:
        return (f"inputs: {self.processed} processed, {self.skipped} skipped, "
                f"{self.failed} failed")


def iso_date(value: object) -> str:
    """The YYYY-MM-DD part of a date string, or "" when there is none."""
    match = _ISO_DATE.search(str(value or ""))
    return match.group(0) if match else ""


def default_title(text: str) -> str:
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first_line) <= TITLE_MAX:
        return first_line
    return first_line[:TITLE_MAX].rsplit(" ", 1)[0] + "…"


def decode(data: bytes) -> str:
    """Bytes of a text file as text: BOMs honoured, UTF-8 first, then the
    region's legacy encodings by charset-normalizer; NULs and CRs removed."""
    if not data.strip():
        raise InputError("empty file")
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        head = data[:8192]
        if head.startswith(BINARY_SIGNATURES) or head.count(0) > len(head) // 10:
            raise InputError("binary file, not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes

            best = from_bytes(data, cp_isolation=LEGACY_ENCODINGS).best()
            if best is None:
                raise InputError("not text in UTF-8, UTF-16, cp1251, koi8-u or latin-1") from None
            text = str(best)
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("no text")
    return text


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
    while len(text) > max_chars:
        for separator in ("\n\n", "\n", " "):
            cut = text.rfind(separator, 0, max_chars - len(separator) + 1)
            if cut > 0:
                cut += len(separator)  # the break stays with the part it ends
                break
        else:
            cut = max_chars
        out.append(text[:cut])
        text = text[cut:]
    out.append(text)
    return [part for part in out if part.strip()]


def documents_of(doc_id: str, text: str, options: ReadOptions, **meta: str) -> Iterator[Document]:
    """One Document, or one per part of a very long article ("id#2", ...)."""
    chunks = parts(text, options.max_chars)
    title = meta.pop("title", "") or default_title(text)
    for n, chunk in enumerate(chunks, start=1):
        part_id = doc_id if len(chunks) == 1 else f"{doc_id}#{n}"
        yield Document(id=part_id, text=chunk, title=title, **meta)


def text_documents(raw: str, path: str, options: ReadOptions) -> Iterator[Document]:
    meta, text = split_header(raw)
    if not text.strip():
        raise InputError("no article text")
    yield from documents_of(path, text, options, title=meta.get("title", ""),
                            source=meta.get("source", ""), date=iso_date(meta.get("date")),
                            url=meta.get("url", ""), path=path)


def html_documents(raw: str, path: str, options: ReadOptions) -> Iterator[Document]:
    """The article's text and metadata; a page with no article gives its visible text."""
    import trafilatura

    extracted = trafilatura.bare_extraction(raw, with_metadata=True)
    text = getattr(extracted, "text", None) or visible_text(raw)
    if not text.strip():
        raise InputError("no text in the page")
    get = (lambda name: str(getattr(extracted, name, None) or "")) if extracted else (lambda _: "")
    yield from documents_of(path, text, options, title=get("title"), source=get("sitename"),
                            date=iso_date(get("date")), url=get("url"), path=path)


def visible_text(html: str) -> str:
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for hidden in tree.xpath("//script|//style|//noscript|//template"):
        hidden.drop_tree()
    return "\n".join(line.strip() for line in tree.text_content().splitlines() if line.strip())


def record_documents(record: object, where: str, path: str,
                     options: ReadOptions) -> Iterator[Document]:
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
        date=iso_date(record.get(options.column("date"))),
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


def jsonl_documents(raw: str, path: str, options: ReadOptions, log: InputLog,
                    first_line: int = 1) -> Iterator[Document]:
    for where, record in json_lines(raw.split("\n"), path, log, first_line):
        try:
            yield from record_documents(record, where, path, options)
        except InputError as exc:
            log.fail(str(exc))


def json_documents(raw: str, path: str, options: ReadOptions, log: InputLog) -> Iterator[Document]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} "
                         f"(line {exc.lineno}, column {exc.colno})") from None
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        where = path if not isinstance(data, list) else f"{path}[{number}]"
        try:
            yield from record_documents(record, where, path, options)
        except InputError as exc:
            log.fail(str(exc))


def csv_documents(raw: str, path: str, options: ReadOptions, log: InputLog) -> Iterator[Document]:
    reader = csv.reader(io.StringIO(raw, newline=""))
    header = next(reader, None)
    text_column = options.column("text")
    if not header or text_column not in header:
        columns = ", ".join(header or []) or "none"
        raise InputError(f"no \"{text_column}\" column (columns: {columns}); "
                         "name the text column with --text-column")
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}:row {number}"
        if len(row) != len(header):
            log.fail(f"{where}: {len(row)} fields, the header has {len(header)}")
            continue
        try:
            yield from record_documents(dict(zip(header, row)), where, path, options)
        except InputError as exc:
            log.fail(str(exc))


def documents_in(raw: str, path: str, kind: str, options: ReadOptions,
                 log: InputLog, first_line: int = 1) -> Iterator[Document]:
    if kind in ("txt", "md"):
        return text_documents(raw, path, options)
    if kind == "html":
        return html_documents(raw, path, options)
    if kind == "jsonl":
        return jsonl_documents(raw, path, options, log, first_line)
    if kind == "json":
        return json_documents(raw, path, options, log)
    return csv_documents(raw, path, options, log)


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    return "html" if suffix in HTML_SUFFIXES else suffix.lstrip(".")


def _matches(relative: str, globs: Iterable[str]) -> bool:
    """Whether a file's path below the folder, or its name, matches a glob."""
    name = os.path.basename(relative)
    return any(fnmatch.fnmatch(relative, g) or fnmatch.fnmatch(name, g) for g in globs)


def _wanted(relative: str, options: ReadOptions) -> bool:
    if options.include and not _matches(relative, options.include):
        return False
    return not _matches(relative, options.exclude)


def folder_files(folder: Path, options: ReadOptions, log: InputLog) -> Iterator[Path]:
    """Files under a folder in name order, following links but never in circles."""
    seen = set()
    for root, dirs, files in os.walk(folder, followlinks=True, onerror=lambda e: log.fail(
            f"{e.filename}: {e.strerror.lower() if e.strerror else e}")):
        real = os.path.realpath(root)
        if real in seen:
            log.skip(f"{root}: a link back into a folder already read (directory loop)")
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            relative = str(path.relative_to(folder))
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                log.skip(f"{path}: unsupported file type {path.suffix or '(none)'}")
            elif _wanted(relative, options):
                yield path


def files_of(name: str, options: ReadOptions, log: InputLog) -> Iterator[Path]:
    """The supported files an input path names: the file, or those in the folder."""
    path = Path(name)
    if path.is_dir():
        files = list(folder_files(path, options, log))
    elif path.exists():
        files = [path]
    else:
        log.fail(f"{name}: no such file or directory")
        return
    for file in files:
        if file.suffix.lower() not in SUPPORTED_SUFFIXES:
            log.fail(f"{file}: unsupported file type {file.suffix or '(none)'}; use one of "
                     f"{', '.join(sorted(SUPPORTED_SUFFIXES))}")
            continue
        yield file


def estimated_count(paths: Iterable[str], options: ReadOptions) -> int | None:
    """About how many documents `paths` hold, for a progress bar's ETA: one
    per JSONL line or CSV row, one per other file (an article read in parts
    counts once); None when reading stdin."""
    silent = InputLog(lambda _line: None)  # reading reports the errors
    total = 0
    for name in paths:
        if name == STDIN:
            return None
        for file in files_of(name, options, silent):
            if kind_of(file) not in ("jsonl", "csv"):
                total += 1
                continue
            with contextlib.suppress(OSError), open(file, "rb") as f:
                lines = sum(chunk.count(b"\n") for chunk in iter(partial(f.read, 1 << 20), b""))
                total += lines - (kind_of(file) == "csv")  # its header
    return min(total, options.max_documents)


def read_documents(paths: Iterable[str], log: InputLog,
                   options: ReadOptions | None = None) -> Iterator[Document]:
    """Every document in `paths`; a bad input is reported and the rest still read."""
    options = options or ReadOptions()
    for name in paths:
        if name == STDIN:
            yield from _read_one(sys.stdin.buffer.read, "<stdin>", options.stdin_format,
                                 options, log)
            continue
        for file in files_of(name, options, log):
            yield from read_file(file, options, log)
        if log.documents >= options.max_documents:
            return


def read_file(file: Path, options: ReadOptions, log: InputLog,
              part: LineRange | None = None) -> Iterator[Document]:
    """The documents of one file, or of the given part of a JSONL file."""
    if part is None:
        return _read_one(file.read_bytes, str(file), kind_of(file), options, log)

    def read() -> bytes:
        with open(file, "rb") as f:
            f.seek(part.start)
            return f.read(part.end - part.start)
    return _read_one(read, str(file), "jsonl", options, log, first_line=part.first_line)


def _read_one(read: Callable[[], bytes], name: str, kind: str, options: ReadOptions,
              log: InputLog, first_line: int = 1) -> Iterator[Document]:
    try:
        raw = decode(read())
        for document in documents_in(raw, name, kind, options, log, first_line):
            if log.documents >= options.max_documents:
                log.skip(f"{name}: the limit of {options.max_documents} documents is reached "
                         "(--max-documents)")
                return
            log.documents += 1
            yield document
        log.processed += 1
    except InputError as exc:
        log.fail(f"{name}: {exc}")
    except OSError as exc:
        log.fail(f"{name}: {(exc.strerror or str(exc)).lower()}")
