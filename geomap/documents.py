"""Documents: read article files, folders and JSONL records with their metadata."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = {".txt", ".md"}
RECORD_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | RECORD_SUFFIXES

META_FIELDS = ("title", "source", "date", "url")
TITLE_MAX = 120

# The seeds' inline header: "date 2022-03-16 (NewsNation) — text ...".
_INLINE_HEADER = re.compile(
    r"\A\s*date\s+(?P<date>\d{4}-\d{2}-\d{2})(?:\s*\((?P<source>[^)\n]{1,80})\))?\s*[—–-]?\s*",
    re.IGNORECASE,
)
# "Title: ...", "Source: ..." lines at the top of a file.
_FIELD_LINE = re.compile(r"\A(?P<key>title|source|date|url)\s*:\s*(?P<value>.*)\Z", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

ErrorReporter = Callable[[str], None]


@dataclass(frozen=True)
class Document:
    """One article. `id` is the record's id, else the file path (plus line for JSONL)."""

    id: str
    text: str
    title: str = ""
    source: str = ""
    date: str = ""  # ISO YYYY-MM-DD when known
    url: str = ""
    path: str = ""  # the file the article came from


def iso_date(value: object) -> str:
    """The YYYY-MM-DD part of a date string, or "" when there is none."""
    match = _ISO_DATE.search(str(value or ""))
    return match.group(0) if match else ""


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


def read_text_file(path: Path) -> Document:
    raw = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    meta, text = split_header(raw)
    if not text.strip():
        raise ValueError("no article text")
    return Document(
        id=str(path), text=text, title=meta.get("title") or default_title(text),
        source=meta.get("source", ""), date=iso_date(meta.get("date")),
        url=meta.get("url", ""), path=str(path),
    )


def read_jsonl_file(path: Path, report: ErrorReporter) -> Iterator[Document]:
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                report(f"{path}:{number}: invalid JSON ({exc.msg})")
                continue
            text = record.get("text") if isinstance(record, dict) else None
            if not isinstance(text, str) or not text.strip():
                report(f"{path}:{number}: record has no \"text\" string")
                continue
            record_id = record.get("id")
            yield Document(
                id=str(record_id) if record_id not in (None, "") else f"{path}:{number}",
                text=text,
                title=str(record.get("title") or default_title(text)),
                source=str(record.get("source") or ""),
                date=iso_date(record.get("date")),
                url=str(record.get("url") or ""),
                path=str(path),
            )


def expand(paths: Iterable[str], report: ErrorReporter) -> Iterator[Path]:
    """Files to read: named files as they are, folders recursively in name order."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child
        elif path.is_file():
            yield path
        else:
            report(f"{name}: no such file or directory")


def read_documents(paths: Iterable[str], report: ErrorReporter) -> Iterator[Document]:
    """Every document in `paths`; a bad input is reported and the rest still read."""
    for path in expand(paths, report):
        suffix = path.suffix.lower()
        try:
            if suffix in RECORD_SUFFIXES:
                yield from read_jsonl_file(path, report)
            elif suffix in TEXT_SUFFIXES:
                yield read_text_file(path)
            else:
                report(f"{path}: unsupported file type {suffix or '(none)'}; "
                       f"use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}")
        except UnicodeDecodeError as exc:
            report(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})")
        except (OSError, ValueError) as exc:
            report(f"{path}: {getattr(exc, 'strerror', None) or exc}")
