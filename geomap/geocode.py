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

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geomap.errors import UsageError
from geomap.gazetteer import Place, normalize
from geomap.records import place_from_record, place_record
from geomap.resolve import GeocoderUnanswered
from geomap.storage import ChecksummedStore

DEFAULT_SERVICE = "nominatim"
DEFAULT_USER_AGENT = "geomap/0.1 (offline-first news geoparser)"
# Nominatim's usage policy: at most one request per second.
DEFAULT_MIN_DELAY = 1.0
MAX_RETRY_AFTER = 10.0  # seconds; a longer Retry-After is not worth holding a build for
GIVE_UP_AFTER = 3  # consecutive failed names before the run stops asking the service
OFFLINE_ENV = "GEOMAP_OFFLINE"
ANSWERS = "answer"  # "service and server\nquery" -> a place record, or "" for not found
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
        # Answers are kept on disk unless the run keeps no cache (cache_path None).
        self._store = ChecksummedStore(cache_path, ANSWERS, warn) if cache_path else None
        self._answers: dict[str, Place | None] = {}
        self._failed: set[str] = set()  # names that failed this run: not asked again
        self._failures_in_a_row = 0

    def _cached(self, key: str) -> tuple[Place | None] | None:
        """(the answer,) from this run or the cache, "not found" included;
        None when it is not known."""
        if key in self._answers:
            return (self._answers[key],)
        if self._store is None:
            return None
        return self._store.get(f"{self.identity}\n{key}", lambda value: (
            place_from_record(json.loads(value)) if value else None,))

    def _remember(self, key: str, place: Place | None) -> None:
        self._answers[key] = place
        if self._store is not None:
            stored = json.dumps(place_record(place), sort_keys=True) if place else ""
            self._store.put(f"{self.identity}\n{key}", stored.encode("utf-8"))

    def geocode(self, query: str) -> Place | None:
        key = normalize(query)
        known = self._cached(key)
        if known is not None:
            return known[0]
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
