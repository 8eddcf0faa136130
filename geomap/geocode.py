"""The geopy fallback for names the bundled gazetteer cannot place.

Off unless asked for (`--geocode`): looking names up online tells the service
what you are investigating. Requests go through geopy's RateLimiter (one a
second for Nominatim) with a timeout and bounded retries. Every answer,
including "not found", is cached on disk (SQLite, per service and server,
each with its checksum), so a name costs at most one request ever; failures
are not cached, so a later run can still find the place. When the service
keeps failing, the run stops asking it and carries on.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geomap.errors import UsageError
from geomap.gazetteer import Place, normalize
from geomap.records import place_from_record, place_record
from geomap.resolve import GeocoderUnanswered
from geomap.storage import open_cache_db

DEFAULT_SERVICE = "nominatim"
DEFAULT_USER_AGENT = "geomap/0.1 (offline-first news geoparser)"
# Nominatim's usage policy: at most one request per second.
DEFAULT_MIN_DELAY = 1.0
MAX_RETRY_AFTER = 10.0  # seconds; a longer Retry-After is not worth holding a build for
GIVE_UP_AFTER = 3  # consecutive failed names before the run stops asking the service
OFFLINE_ENV = "GEOMAP_OFFLINE"
ANSWERS = "answer"  # service, query, the answer's SHA-256, the answer (a place record or "")
CACHE_FILE = "geocode.sqlite"

# Nominatim "addresstype" -> GeoNames-style feature class and code, so geocoded
# places get the same kinds as gazetteer ones.
_ADDRESS_TYPES = {
    "city": ("P", "PPL"), "town": ("P", "PPL"), "village": ("P", "PPL"), "hamlet": ("P", "PPL"),
    "suburb": ("P", "PPLX"), "country": ("A", "PCLI"), "state": ("A", "ADM1"),
    "county": ("A", "ADM2"), "district": ("A", "ADM2"), "water": ("H", "WTRH"),
}


def offline_requested() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class GeocoderSettings:
    """The geocoder a run may ask (the commands' geocoder options)."""

    enabled: bool = False  # --geocode
    service: str = DEFAULT_SERVICE
    domain: str | None = None
    scheme: str | None = None
    user_agent: str = DEFAULT_USER_AGENT
    offline: bool = False  # overrides everything else, as GEOMAP_OFFLINE=1 does

    @property
    def no_network(self) -> bool:
        """--offline or GEOMAP_OFFLINE: no network access at all, for anything."""
        return self.offline or offline_requested()


def geocoder_for(settings: GeocoderSettings, warn: Callable[[str], None],
                 cache_dir: Path | None) -> GeopyGeocoder | None:
    """The geocoder the settings ask for, or None: not asked for, or offline.
    Its answers are cached in `cache_dir` (None: for this run only)."""
    if settings.no_network or not settings.enabled:
        return None
    try:
        return GeopyGeocoder(settings.service, domain=settings.domain, scheme=settings.scheme,
                             user_agent=settings.user_agent, warn=warn,
                             cache_path=cache_dir / CACHE_FILE if cache_dir else None)
    except Exception as exc:  # geopy raises different errors for unknown services
        raise UsageError(str(exc), option="--geocoder") from exc


def place_from_location(service: str, location) -> Place:
    raw = location.raw if isinstance(location.raw, dict) else {}
    feature_class, feature_code = _ADDRESS_TYPES.get(raw.get("addresstype", ""), ("", "GEOCODED"))
    country = str((raw.get("address") or {}).get("country_code", "")).upper()
    raw_id = raw.get("osm_id") or raw.get("place_id") or normalize(location.address)
    return Place(
        id=f"{service}:{raw.get('osm_type', '')}{raw_id}", name=location.address.split(",")[0],
        lat=float(location.latitude), lon=float(location.longitude),
        feature_class=feature_class, feature_code=feature_code, country=country,
        admin1="", population=0,
    )


class GeopyGeocoder:
    """A geopy geocoder behind a rate limiter, retries and an on-disk cache."""

    def __init__(self, service: str = DEFAULT_SERVICE, *, user_agent: str = DEFAULT_USER_AGENT,
                 domain: str | None = None, scheme: str | None = None, timeout: float = 10.0,
                 min_delay: float = DEFAULT_MIN_DELAY, max_retries: int = 2,
                 cache_path: Path | None = None, warn: Callable[[str], None] = lambda _: None):
        from geopy.adapters import URLLibAdapter
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import get_geocoder_for_service

        # urllib does no retries of its own, so the RateLimiter's are the only ones.
        options = {"user_agent": user_agent, "timeout": timeout, "adapter_factory": URLLibAdapter}
        if domain:
            options["domain"] = domain
        if scheme:
            options["scheme"] = scheme
        self.name = service
        # Answers are kept per service and server: another server may know otherwise.
        self.identity = f"{service} {scheme or ''}://{domain or ''}"
        self._client = get_geocoder_for_service(service)(**options)
        self._geocode = RateLimiter(self._client.geocode, min_delay_seconds=min_delay,
                                    max_retries=max_retries, error_wait_seconds=min_delay,
                                    swallow_exceptions=False)
        self._warn = warn
        self._cache_path = cache_path  # None: answers are kept for this run only
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._answers: dict[str, Place | None] = {}
        self._failed: set[str] = set()  # names that failed this run: not asked again
        self._failures_in_a_row = 0

    def _cache(self) -> sqlite3.Connection | None:
        if not self._opened and self._cache_path is not None:
            self._opened = True
            self._db = open_cache_db(self._cache_path, ANSWERS,
                                     "service TEXT, query TEXT, sha256 TEXT, place TEXT, "
                                     "PRIMARY KEY (service, query)", self._warn)
        return self._db

    def _cached(self, key: str) -> tuple[bool, Place | None]:
        """(whether the answer is known, the answer) from this run or the cache."""
        if key in self._answers:
            return True, self._answers[key]
        db = self._cache()
        if db is None:
            return False, None
        try:
            row = db.execute(f"SELECT sha256, place FROM {ANSWERS} WHERE service=? AND query=?",
                             (self.identity, key)).fetchone()
            if row is None or hashlib.sha256(row[1].encode()).hexdigest() != row[0]:
                return False, None  # not there, or damaged: asked again, and replaced
            return True, place_from_record(json.loads(row[1])) if row[1] else None
        except (sqlite3.Error, ValueError, TypeError) as exc:
            self._leave_cache(exc)
            return False, None

    def _remember(self, key: str, place: Place | None) -> None:
        self._answers[key] = place
        db = self._cache()
        if db is None:
            return
        stored = json.dumps(place_record(place), sort_keys=True) if place else ""
        try:
            with db:
                db.execute(f"INSERT OR REPLACE INTO {ANSWERS} VALUES (?, ?, ?, ?)",
                           (self.identity, key, hashlib.sha256(stored.encode()).hexdigest(),
                            stored))
        except sqlite3.Error as exc:
            self._leave_cache(exc)

    def _leave_cache(self, exc: Exception) -> None:
        assert self._db is not None
        self._db.close()
        self._db = None
        self._warn(f"geocoder cache {self._cache_path} cannot be used ({exc}); "
                   "going on without it")

    def geocode(self, query: str) -> Place | None:
        key = normalize(query)
        known, answer = self._cached(key)
        if known:
            return answer
        if key in self._failed or self._failures_in_a_row >= GIVE_UP_AFTER:
            raise GeocoderUnanswered(query)
        try:
            location = self._ask(query)
        except Exception as exc:  # noqa: BLE001 - any failure of the service leaves the name unresolved
            self._failed.add(key)
            self._failures_in_a_row += 1
            self._warn(f"geocoder {self.name}: {query!r} not looked up "
                       f"({type(exc).__name__}: {str(exc)[:200]})")
            if self._failures_in_a_row == GIVE_UP_AFTER:
                self._warn(f"geocoder {self.name}: {GIVE_UP_AFTER} failures in a row; "
                           "not asking it again in this run")
            raise GeocoderUnanswered(query) from None
        self._failures_in_a_row = 0
        place = place_from_location(self.name, location) if location else None
        self._remember(key, place)
        return place

    def _ask(self, query: str):
        """One lookup; a 429 is retried after its Retry-After (bounded), once."""
        from geopy.exc import GeocoderRateLimited

        options = {"addressdetails": True} if self.name == DEFAULT_SERVICE else {}
        try:
            return self._geocode(query, **options)
        except GeocoderRateLimited as exc:
            wait = min(float(exc.retry_after or 1.0), MAX_RETRY_AFTER)
            self._warn(f"geocoder {self.name}: rate limited; retrying {query!r} in {wait:.0f} s")
            time.sleep(wait)
            return self._geocode(query, **options)
