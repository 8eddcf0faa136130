"""Input files: which files the inputs name, and what each is called.

A folder is walked in name order, reading regular files only (never a
FIFO, a device or a socket), never following a link out of the folder
unless asked (--follow-links), and never reading geomap's own outputs
back. A file is named by its path inside the input it was found through
(the folder's own name plus the path inside it; a file's own name), so a
map shared with others carries no local absolute path; --full-paths keeps
the paths as found.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from geomap.errors import os_problem

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".json", ".jsonl", ".csv"}
STDIN = "-"
# A file is read whole; a bigger one is refused rather than exhausting memory.
DEFAULT_MAX_FILE_BYTES = 1 << 30
# How geomap's own outputs announce themselves, so a build never reads them as articles.
MAP_GENERATOR = "geomap"
OWN_OUTPUT_MARK = f'<meta name="generator" content="{MAP_GENERATOR}">'.encode()
OWN_CSV_HEADER = b"place_id,place,kind,oblast,country,lat,lon,located_by,"  # export.CSV_COLUMNS


@dataclass(frozen=True)
class InputFile:
    """A file to read: where it is, and the name documents and messages give it."""

    path: Path
    name: str


@dataclass(frozen=True)
class Selection:
    """Which files in the input folders are read."""

    include: tuple[str, ...] = ()  # globs a file in a folder must match (any)
    exclude: tuple[str, ...] = ()  # globs that leave a file out
    follow_links: bool = False  # follow links that lead out of an input folder
    full_paths: bool = False  # name files by their paths as found, not inside their input
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    skip_paths: frozenset[str] = field(default_factory=frozenset)  # this run's own outputs


class FileProblems:
    """Where a file's problems are told: `fail` for an input that cannot be
    read, `skip` for a file left out on purpose."""

    def __init__(self, fail: Callable[[str], None], skip: Callable[[str], None]):
        self.fail, self.skip = fail, skip


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    return "html" if suffix in HTML_SUFFIXES else suffix.lstrip(".")


def _matches(relative: str, globs: Iterable[str]) -> bool:
    """Whether a file's path below the folder, or its name, matches a glob."""
    name = os.path.basename(relative)
    return any(fnmatch.fnmatch(relative, g) or fnmatch.fnmatch(name, g) for g in globs)


def _wanted(relative: str, selection: Selection) -> bool:
    if selection.include and not _matches(relative, selection.include):
        return False
    return not _matches(relative, selection.exclude)


def is_inside(path: str, folder: str) -> bool:
    """Whether a real path is a folder's own or lies below it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def not_a_regular_file(path: Path, max_bytes: int) -> str | None:
    """Why a file is not to be read (not a regular file, too large), or None."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return os_problem(exc)
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe" if stat.S_ISFIFO(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        return f"{kind}, not a file to read"
    if info.st_size > max_bytes:
        return (f"{info.st_size:,} bytes, larger than the limit of {max_bytes:,} "
                "(--max-file-bytes)")
    return None


def is_own_output(path: Path) -> bool:
    """Whether a file is one geomap wrote: a map page, or its CSV (by their
    headers; extraction output has no "text" field, so it is never an article)."""
    kind = kind_of(path)
    if kind not in ("html", "csv"):
        return False
    with contextlib.suppress(OSError), open(path, "rb") as f:
        head = f.read(4096)
        if kind == "html":
            return OWN_OUTPUT_MARK in head
        return head.startswith(OWN_CSV_HEADER)
    return False


def folder_files(folder: Path, selection: Selection, problems: FileProblems,
                 ) -> Iterator[InputFile]:
    """Files under a folder in name order, following links inside it but never in circles."""
    top = os.path.realpath(folder)
    base = Path(top).name

    def shown(path: Path) -> str:
        """The name a file or folder under `folder` is given."""
        if selection.full_paths or not base:
            return str(path)
        return "/".join((base, *path.relative_to(folder).parts))

    def stays_inside(path: Path) -> bool:
        """Whether an entry may be read: not a link leading out of the input folder."""
        if selection.follow_links or not path.is_symlink() or is_inside(os.path.realpath(path),
                                                                      top):
            return True
        problems.skip(f"{shown(path)}: a link to outside the input folder, not followed "
                      "(--follow-links reads it)")
        return False

    seen = set()
    for root, dirs, files in os.walk(folder, followlinks=True, onerror=lambda e: problems.fail(
            f"{shown(Path(e.filename))}: {e.strerror.lower() if e.strerror else e}")):
        real = os.path.realpath(root)
        if real in seen:
            problems.skip(f"{shown(Path(root))}: a link back into a folder already read "
                          "(directory loop)")
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if stays_inside(Path(root) / d))
        for name in sorted(files):
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                problems.skip(f"{shown(path)}: unsupported file type {path.suffix or '(none)'}")
            elif not _wanted(relative, selection) or not stays_inside(path):
                continue
            elif (reason := not_a_regular_file(path, selection.max_file_bytes)) is not None:
                problems.skip(f"{shown(path)}: {reason}")
            elif os.path.realpath(path) in selection.skip_paths or is_own_output(path):
                problems.skip(f"{shown(path)}: written by geomap, not an article")
            else:
                yield InputFile(path, shown(path))


def files_of(name: str, selection: Selection, problems: FileProblems) -> Iterator[InputFile]:
    """The supported files an input path names: the file, or those in the folder."""
    path = Path(name)
    if path.is_dir():
        yield from folder_files(path, selection, problems)
        return
    if not path.exists() and not path.is_symlink():
        problems.fail(f"{name}: no such file or directory")
        return
    shown = name if selection.full_paths else path.name
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        problems.fail(f"{shown}: unsupported file type {path.suffix or '(none)'}; use one of "
                      f"{', '.join(sorted(SUPPORTED_SUFFIXES))}")
        return
    reason = not_a_regular_file(path, selection.max_file_bytes)
    if reason is not None:
        problems.fail(f"{shown}: {reason}")
        return
    yield InputFile(path, shown)


def estimated_count(paths: Iterable[str], selection: Selection, max_documents: int) -> int | None:
    """About how many documents `paths` hold, for a progress bar's ETA: one
    per JSONL line or CSV row, one per other file (an article read in parts
    counts once); None when reading stdin."""
    silent = FileProblems(lambda _line: None, lambda _line: None)  # reading reports them
    total = 0
    for name in paths:
        if name == STDIN:
            return None
        for file in files_of(name, selection, silent):
            if kind_of(file.path) not in ("jsonl", "csv"):
                total += 1
                continue
            with contextlib.suppress(OSError), open(file.path, "rb") as f:
                lines = sum(chunk.count(b"\n") for chunk in iter(partial(f.read, 1 << 20), b""))
                total += lines - (kind_of(file.path) == "csv")  # its header
            if total >= max_documents:
                break
    return min(total, max_documents)
