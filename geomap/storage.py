"""Where geomap keeps its caches (the user cache dir), and opening an SQLite
cache file there safely."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path


def user_cache_dir() -> Path:
    """geomap's folder in the user cache dir ($XDG_CACHE_HOME, else ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "geomap"


def open_cache_db(path: Path, table: str, columns: str,
                  warn: Callable[[str], None]) -> sqlite3.Connection:
    """An SQLite cache in WAL mode (concurrent runs read while one writes, and
    it survives crashes); a corrupt file is moved aside with a warning."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def connect() -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
            db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    try:
        return connect()
    except sqlite3.DatabaseError as exc:
        aside = path.with_name(path.name + f".corrupt-{os.getpid()}")
        os.replace(path, aside)
        warn(f"cache {path} was unreadable ({exc}); moved aside to {aside} and started afresh")
        return connect()
