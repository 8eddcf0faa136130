"""Where geomap keeps its caches (the user cache dir), and the SQLite store
both caches (extractions, geocoder answers) keep their values in, so that
no cache problem ever stops a run.

A cache is an optimisation: when its folder cannot be made, its file cannot
be written or another process holds it locked, the run goes on without it
after one warning. A damaged file (not a database, or corrupt) is moved
aside and a fresh one started; a file that is only busy is never moved.
Every value carries its SHA-256: a damaged or edited one reads as missing,
so it is computed again and replaced.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from geomap.errors import os_problem

# How long a write waits for another run's write to finish before the cache
# is left alone for the rest of the run.
BUSY_SECONDS = 5
DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
# What reading a value that passed its checksum may raise when it was
# written by another version or shape of the data: it is damaged, too.
UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError)

Value = TypeVar("Value")


def user_cache_dir() -> Path:
    """geomap's folder in the user cache dir ($XDG_CACHE_HOME, else ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "geomap"


def is_damaged(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file is damaged, not merely busy or read-only."""
    return getattr(exc, "sqlite_errorcode", None) in DAMAGED


def problem(exc: BaseException) -> str:
    return os_problem(exc) if isinstance(exc, OSError) else str(exc)


def open_cache_db(path: Path, table: str, columns: str,
                  warn: Callable[[str], None]) -> sqlite3.Connection | None:
    """An SQLite cache in WAL mode (concurrent runs read while one writes, and
    it survives crashes), or None, with a warning, when it cannot be used."""
    def connect() -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=BUSY_SECONDS)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
            db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        except sqlite3.Error:
            db.close()
            raise
        return db

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return connect()
    except sqlite3.Error as exc:
        if not is_damaged(exc):
            warn(f"cache {path} cannot be used ({problem(exc)}); going on without it")
            return None
        moved = move_aside(path, exc, warn)
    except OSError as exc:
        warn(f"cache {path} cannot be used ({problem(exc)}); going on without it")
        return None
    if not moved:
        return None
    try:
        return connect()
    except (sqlite3.Error, OSError) as exc:
        warn(f"cache {path} cannot be used ({problem(exc)}); going on without it")
        return None


def move_aside(path: Path, exc: sqlite3.Error, warn: Callable[[str], None]) -> bool:
    """Move a damaged cache file aside (with its WAL files); whether it was."""
    aside = path.with_name(path.name + f".corrupt-{os.getpid()}")
    try:
        os.replace(path, aside)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.replace(f"{path}{suffix}", f"{aside}{suffix}")
    except OSError as move_error:
        warn(f"cache {path} is damaged ({exc}) and cannot be moved aside "
             f"({problem(move_error)}); going on without it")
        return False
    warn(f"cache {path} was damaged ({exc}); moved aside to {aside} and started afresh")
    return True


class ChecksummedStore:
    """Key -> bytes in one SQLite table, each value with its SHA-256; opened
    on first use. A value that is missing, fails its checksum or cannot be
    read reads as None (the damaged ones are counted); any error of the file
    is one warning, and the run goes on without the store."""

    def __init__(self, path: Path, table: str, warn: Callable[[str], None]):
        self.path, self.table, self.warn = path, table, warn
        self.damaged = 0  # values found damaged, to be computed again
        self._db: sqlite3.Connection | None = None
        self._opened = False

    def get(self, key: str, read: Callable[[bytes], Value]) -> Value | None:
        """The value under `key`, read by `read`; None when there is none intact."""
        db = self._connection()
        if db is None:
            return None
        try:
            row = db.execute(f"SELECT sha256, value FROM {self.table} WHERE key=?",
                             (key,)).fetchone()
        except sqlite3.Error as exc:
            self._give_up(exc)
            return None
        if row is None:
            return None
        try:
            if hashlib.sha256(row[1]).hexdigest() != row[0]:
                raise ValueError("checksum")
            return read(row[1])
        except UNREADABLE:
            self.damaged += 1
            return None

    def put(self, key: str, value: bytes) -> None:
        db = self._connection()
        if db is None:
            return
        try:
            with db:
                db.execute(f"INSERT OR REPLACE INTO {self.table} VALUES (?, ?, ?)",
                           (key, hashlib.sha256(value).hexdigest(), value))
        except sqlite3.Error as exc:
            self._give_up(exc)

    def _connection(self) -> sqlite3.Connection | None:
        if not self._opened:
            self._opened = True
            self._db = open_cache_db(self.path, self.table,
                                     "key TEXT PRIMARY KEY, sha256 TEXT, value BLOB", self.warn)
        return self._db

    def _give_up(self, exc: sqlite3.Error) -> None:
        """Leave the store alone for the rest of the run (a damaged file is moved aside)."""
        assert self._db is not None
        self._db.close()
        self._db = None
        if is_damaged(exc):
            move_aside(self.path, exc, self.warn)
        else:
            self.warn(f"cache {self.path} cannot be used ({problem(exc)}); going on without it")
