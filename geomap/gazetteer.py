"""The bundled offline gazetteer: loading, name normalisation and lookup.

The data file (geomap/data/places.tsv.gz, built by gazetteer/build.py) holds
the place rows and a sorted index of normalised names, so loading is a
decompress and two splits; rows are parsed only when a lookup needs them.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

FORMAT_VERSION = "2"
KINDS = ("settlement", "facility", "raion", "oblast", "country", "water", "region", "other")

_APOSTROPHES = re.compile(r"[’'ʼ`´‘ʹ]")
_SEPARATORS = re.compile(r"[\s\-‐‑–—]+")
_DOTS = re.compile(r"\.(?=\S)|\.$")


@lru_cache(maxsize=1 << 16)  # the same words come back all the time
def normalize(name: str) -> str:
    """Lookup key for a name: case-, accent-, apostrophe- and hyphen-insensitive."""
    key = unicodedata.normalize("NFKD", name.casefold())
    if not key.isascii():
        key = "".join(ch for ch in key if not unicodedata.combining(ch))
    key = _APOSTROPHES.sub("", key)
    key = _DOTS.sub("", key)  # U.S. -> us
    return _SEPARATORS.sub(" ", key).strip()


@cache
def kind_of(feature_class: str, feature_code: str) -> str:
    """Map a GeoNames feature class/code to geomap's place kind."""
    if feature_class == "P":
        return "settlement"
    if feature_class == "A":
        if feature_code == "ADM1":
            return "oblast"
        if feature_code in ("ADM2", "ADM2H"):
            return "raion"
        if feature_code.startswith("PCL"):
            return "country"
        return "other"
    if feature_class == "H":
        return "water"
    if feature_class == "S" or feature_code == "PRT":
        return "facility"
    if feature_class == "L":
        return "region"
    return "other"


@dataclass(frozen=True)
class Place:
    id: int | str  # geonameid; negative for hand-added places; "service:id" when geocoded
    name: str
    lat: float
    lon: float
    feature_class: str
    feature_code: str
    country: str
    admin1: str
    population: int

    @property
    def kind(self) -> str:
        return kind_of(self.feature_class, self.feature_code)


# Russian-based and older spellings -> the Ukrainian-based forms GeoNames uses,
# as (pattern, replacement) on normalised names. Each rule is tried on or off,
# so "Georgievka" reaches "Heorhiivka" and "Kurakhovo" "Kurakhove".
SPELLING_RULES = [
    (re.compile(r"g"), "h"),
    (re.compile(r"([oe])vka\b"), "ivka"),
    (re.compile(r"([^aeiouy])([oe])v([oe])\b"), r"\1\2ve"),
    (re.compile(r"(sk|ts)(oye|oe|aya|iy|yy|y)\b"), r"\1e"),
    (re.compile(r"sk(?:iy|yy|ii|y)\b"), "skyi"),  # Khmelnitsky -> Khmelnytskyi
    (re.compile(r"(?<=[^aeiou])i(?=[^aeiouy ])"), "y"),
    (re.compile(r"ye"), "ie"),
    (re.compile(r"yo"), "o"),
    (re.compile(r"ev(?=[^aeiouy])"), "iiv"),
    (re.compile(r"e"), "i"),
    (re.compile(r"e(?=[^e]*$)"), "i"),  # the last syllable only: Kremennaya -> Kreminna
    (re.compile(r"e[yi](?=[^aeiou])"), "ii"),  # Krasnoarmeyskoye -> Krasnoarmiiske
    (re.compile(r"(?<=[aeiou])i"), "y"),  # Pervomaisk -> Pervomaysk (older romanisation)
    (re.compile(r"aya\b"), "a"),
    (re.compile(r"itsa\b"), "ytsia"),  # Stanitsa -> Stanytsia
    (re.compile(r"ech(?:y|)e\b"), "ichchia"),  # Porechye -> Porichchia
    (re.compile(r"iya\b"), "iia"),
]
MAX_VARIANTS = 512
VARIANT_MIN_SIMILARITY = 0.6


def name_similarity(key: str, place: Place) -> float:
    """How alike a normalised written name and the place's main name are, 0..1."""
    return _similarity(key, normalize(place.name))


@lru_cache(maxsize=1 << 16)
def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


@lru_cache(maxsize=1 << 14)
def spelling_variants(key: str) -> tuple[str, ...]:
    """Other transliterations of a normalised name, nearest rules first, bounded."""
    variants = {key}
    for pattern, replacement in SPELLING_RULES:
        variants |= {pattern.sub(replacement, v) for v in variants}
        if len(variants) > MAX_VARIANTS:
            break
    variants.discard(key)
    return tuple(sorted(variants))


def _parse_row(row: str) -> Place:
    cols = row.split("\t")
    return Place(
        id=int(cols[0]), name=cols[1], lat=float(cols[2]), lon=float(cols[3]),
        feature_class=cols[4], feature_code=cols[5], country=cols[6], admin1=cols[7],
        population=int(cols[8]),
    )


class Gazetteer:
    """Name -> candidate places. Get the bundled one with `load()`."""

    def __init__(self, rows: str, index_lines: list[str],
                 common_words: frozenset[str] = frozenset(), digest: str = ""):
        self._rows = rows  # one block of text; the index points at row offsets
        self.digest = digest  # of its data files: a changed gazetteer invalidates caches
        # Names that are also very common English words ("Progress", "Central").
        self.common_words = common_words
        self._index = index_lines  # sorted "key\toffset,offset,..." lines
        self._places: dict[int, Place] = {}

    def _place_at(self, offset: int) -> Place:
        place = self._places.get(offset)
        if place is None:
            row = self._rows[offset:self._rows.index("\n", offset)]
            place = self._places[offset] = _parse_row(row)
        return place

    def _index_line(self, key: str) -> str | None:
        """The index line "key\toffsets" for a normalised key, found by bisection."""
        probe = key + "\t"
        pos = bisect.bisect_left(self._index, probe)
        if pos < len(self._index) and self._index[pos].startswith(probe):
            return self._index[pos]
        return None

    def _offsets(self, key: str) -> list[int]:
        line = self._index_line(key)
        return [int(n) for n in line[len(key) + 1:].split(",")] if line else []

    def has_key(self, key: str) -> bool:
        """Whether some place has a name with this normalised key."""
        return self._index_line(key) is not None

    def has_key_prefix(self, prefix: str) -> bool:
        """Whether some normalised name starts with `prefix`."""
        pos = bisect.bisect_left(self._index, prefix)
        return pos < len(self._index) and self._index[pos].startswith(prefix)

    def lookup(self, name: str) -> list[Place]:
        """All places one of whose names normalises like `name`, in id order."""
        return self.lookup_key(normalize(name))

    def lookup_prefix(self, name: str) -> list[Place]:
        """Places with a name that starts with `name` as a whole word
        ("Zaporizhzhia" -> Zaporizhzhia Nuclear Power Plant)."""
        probe = normalize(name) + " "
        pos = bisect.bisect_left(self._index, probe)
        offsets: set[int] = set()
        while pos < len(self._index) and self._index[pos].startswith(probe):
            offsets.update(int(n) for n in self._index[pos].split("\t", 1)[1].split(","))
            pos += 1
        return [self._place_at(offset) for offset in sorted(offsets)]

    def lookup_variants(self, name: str) -> list[Place]:
        """Ukrainian places a name reaches under another transliteration
        ("Marganets" -> Marhanets), when that is the place's own name, not a
        far-off alias ("Skhid" must not reach Skhidni Kvartaly)."""
        found: dict[object, Place] = {}
        for variant in spelling_variants(normalize(name)):
            for place in self.lookup_key(variant):
                if (place.country == "UA"
                        and name_similarity(variant, place) >= VARIANT_MIN_SIMILARITY):
                    found.setdefault(place.id, place)
        return sorted(found.values(), key=lambda p: str(p.id))

    def lookup_key(self, key: str) -> list[Place]:
        return [self._place_at(offset) for offset in self._offsets(key)]


def data_dir() -> Path:
    """Where the built gazetteer files are: geomap/data in the package."""
    return Path(str(resources.files("geomap"))) / "data"


def read(directory: Path) -> Gazetteer:
    """Load the gazetteer files gazetteer/build.py wrote into `directory`."""
    path = directory / "places.tsv.gz"
    data = path.read_bytes()
    text = gzip.decompress(data).decode("utf-8")
    header_end = text.index("\n")
    magic, version, rows_length = text[:header_end].split("\t")
    if magic != "geomap-gazetteer" or version != FORMAT_VERSION:
        raise ValueError(f"{path}: not a geomap gazetteer file (format {magic} {version})")
    rows_end = header_end + 1 + int(rows_length)
    index = text[rows_end:].split("\n")
    if index and not index[-1]:
        index.pop()
    common_data = (directory / "common_words.txt").read_bytes()
    common = common_data.decode("utf-8").split("\n")
    common_words = frozenset(line for line in common if line and not line.startswith("#"))
    # The digest covers every file the gazetteer is read from, so a cache
    # keyed on it notices a change to any of them.
    digest = hashlib.sha256(data)
    digest.update(hashlib.sha256(common_data).digest())
    return Gazetteer(text[header_end + 1:rows_end], index, common_words, digest.hexdigest())


@cache
def load() -> Gazetteer:
    """The bundled gazetteer, loaded once per process."""
    return read(data_dir())
