"""The bundled offline gazetteer: loading, name normalisation and lookup.

The data file (geomap/data/places.tsv.gz, built by gazetteer/build.py) holds
the place rows, a sorted index of normalised names and one of their
skeletons (spelling-insensitive keys), so loading is a decompress and a few
splits; rows are parsed only when a lookup needs them.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

FORMAT_VERSION = "3"
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


# The skeleton of a name: what stays the same across transliterations of one
# Cyrillic name. Vowels, y and j (i/y/ii/yi, e/ye/ie/o, -oye/-oe/-e,
# -sky/-skiy/-skyi), soft signs and apostrophes, spaces and doubled letters
# carry the differences between Ukrainian and Russian forms and between
# romanisation systems; consonants mostly do not, once g and h (Ukrainian
# г), kh and h, x and ks, f and v (German and Polish "Asowstal") are one.
SKELETON_LETTERS = (("shch", "sch"), ("kh", "h"), ("x", "ks"), ("g", "h"), ("w", "v"),
                    ("q", "k"), ("ck", "k"), ("ph", "v"), ("f", "v"), ("tz", "ts"))
_SKELETON_DROPPED = re.compile(r"[aeiouyj ]")
_DOUBLED = re.compile(r"(.)\1+")
# Shorter skeletons are shared by too many unrelated names to mean anything.
MIN_SKELETON = 4
# A written name reaches the names of its skeleton that are this alike to it,
# and not much less alike than the likest.
VARIANT_MIN_SIMILARITY = 0.6
VARIANT_MARGIN = 0.15
# Case endings machine translation leaves on names, and the shortest name
# they are taken off.
CASE_ENDINGS = ("u", "a", "i", "om", "ovi", "oiu", "oyu")
MIN_STEM = 4


@lru_cache(maxsize=1 << 16)
def skeleton(key: str) -> str:
    """The spelling-insensitive key of a normalised Latin name: "lysychansk",
    "lisichansk" and "lysichansk" are all "lschnsk"; "" for other scripts."""
    if not key.isascii():
        return ""
    for spelling, common in SKELETON_LETTERS:
        key = key.replace(spelling, common)
    return _DOUBLED.sub(r"\1", _SKELETON_DROPPED.sub("", key))


def in_theatre(country: str, admin1: str) -> bool:
    """Whether a place is in the war's theatre: Ukraine, or the regions
    beyond its border that the gazetteer bundles whole (outside Ukraine,
    only their places have an admin1)."""
    return country == "UA" or bool(admin1)


def spelled_variously(country: str, admin1: str) -> bool:
    """Whether news spells a place's name many ways, so that it is found by
    its skeleton: Ukraine's, in Ukrainian- and Russian-based forms. (Places
    beyond the border are written in their Russian, Belarusian or Latin
    forms, which the gazetteer carries; their skeletons would mostly reach
    far-off namesakes of Ukrainian villages.)"""
    return country == "UA"


def name_similarity(key: str, place: Place) -> float:
    """How alike a normalised written name and the place's main name are, 0..1."""
    return _similarity(key, normalize(place.name))


@lru_cache(maxsize=1 << 16)
def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _parse_row(row: str) -> Place:
    cols = row.split("\t")
    return Place(
        id=int(cols[0]), name=cols[1], lat=float(cols[2]), lon=float(cols[3]),
        feature_class=cols[4], feature_code=cols[5], country=cols[6], admin1=cols[7],
        population=int(cols[8]),
    )


class Gazetteer:
    """Name -> candidate places. Get the bundled one with `load()`."""

    def __init__(self, rows: str, index_lines: list[str], skeleton_lines: list[str],
                 common_words: frozenset[str] = frozenset(),
                 english_words: frozenset[str] = frozenset(), digest: str = ""):
        self._rows = rows  # one block of text; the index points at row offsets
        self.digest = digest  # of its data files: a changed gazetteer invalidates caches
        # Names that are also very common English words ("Progress", "Central").
        self.common_words = common_words
        # English words never taken for another spelling of a place's name
        # ("ministry", "march", "poroshenko").
        self.english_words = english_words
        self._index = index_lines  # sorted "key\toffset,offset,..." lines
        self._skeletons = skeleton_lines  # sorted "skeleton\tkey,key,..." lines
        self._places: dict[int, Place] = {}

    def _place_at(self, offset: int) -> Place:
        place = self._places.get(offset)
        if place is None:
            row = self._rows[offset:self._rows.index("\n", offset)]
            place = self._places[offset] = _parse_row(row)
        return place

    def _index_line(self, key: str) -> str | None:
        """The index line "key\toffsets" for a normalised key."""
        return _line_of(self._index, key)

    def _offsets(self, key: str) -> list[int]:
        line = self._index_line(key)
        return _offsets_on(line) if line else []

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
            offsets.update(_offsets_on(self._index[pos]))
            pos += 1
        return [self._place_at(offset) for offset in sorted(offsets)]

    def lookup_variants(self, name: str) -> list[Place]:
        """Places a name reaches under another spelling of the same Cyrillic
        name ("Lysichansk" -> Lysychansk, "Elenovka" -> Olenivka): those with
        a name of the same skeleton that is alike enough to the written one,
        and towns whose name it is with a case ending ("Iziumu")."""
        key = normalize(name)
        mark = skeleton(key)
        if key in self.english_words:
            return []
        found: dict[object, Place] = {}
        # A case ending on a name ("Iziumu", "Kharkova"): machine-translated
        # text leaves Ukrainian and Russian inflections in.
        for ending in CASE_ENDINGS:
            stem = key[:-len(ending)]
            if key.endswith(ending) and len(stem) >= MIN_STEM:
                for place in self.lookup_key(stem):
                    if place.kind == "settlement" and spelled_variously(place.country,
                                                                        place.admin1):
                        found.setdefault(place.id, place)
        line = _line_of(self._skeletons, mark) if len(mark) >= MIN_SKELETON else None
        others = line[len(mark) + 1:].split(",") if line else []
        alike = {other: _similarity(key, other) for other in others if other != key}
        best = max(alike.values(), default=0.0)
        for other, similarity in alike.items():
            if similarity >= max(VARIANT_MIN_SIMILARITY, best - VARIANT_MARGIN):
                for place in self.lookup_key(other):
                    if spelled_variously(place.country, place.admin1):
                        found.setdefault(place.id, place)
        return sorted(found.values(), key=lambda p: str(p.id))

    def lookup_key(self, key: str) -> list[Place]:
        return [self._place_at(offset) for offset in self._offsets(key)]

    def _row_ids(self) -> Iterator[tuple[int, int]]:
        """(offset, id) of every row, in the order of the data file."""
        for match in _ROW_START.finditer(self._rows):
            yield match.start(), int(match.group(1))

    def places(self) -> Iterator[Place]:
        """Every place, in the order of the data file."""
        for offset, _place_id in self._row_ids():
            yield self._place_at(offset)

    def names_of(self, ids: set[int | str]) -> dict[int | str, list[str]]:
        """The normalised names the gazetteer knows for each of these places,
        sorted: a map's search box finds a place under any of them."""
        wanted = {offset: place_id for offset, place_id in self._row_ids() if place_id in ids}
        names: dict[int | str, list[str]] = {}
        if not wanted:  # only places the gazetteer lacks: no index to read
            return names
        for line in self._index:  # sorted by key, so each place's names come sorted
            for offset in _offsets_on(line):
                place_id = wanted.get(offset)
                if place_id is not None:
                    names.setdefault(place_id, []).append(line.partition("\t")[0])
        return names


_ROW_START = re.compile(r"^(-?\d+)\t", re.MULTILINE)


def _offsets_on(index_line: str) -> list[int]:
    """The row offsets of an index line "key\toffset,offset,..."."""
    return [int(n) for n in index_line.partition("\t")[2].split(",")]


def _line_of(lines: list[str], key: str) -> str | None:
    """The line "key\t..." of sorted lines, found by bisection."""
    probe = key + "\t"
    pos = bisect.bisect_left(lines, probe)
    if pos < len(lines) and lines[pos].startswith(probe):
        return lines[pos]
    return None


def data_dir() -> Path:
    """Where the built gazetteer files are: geomap/data in the package."""
    return Path(str(resources.files("geomap"))) / "data"


def read(directory: Path) -> Gazetteer:
    """Load the gazetteer files gazetteer/build.py wrote into `directory`."""
    path = directory / "places.tsv.gz"
    data = path.read_bytes()
    text = gzip.decompress(data).decode("utf-8")
    header_end = text.index("\n")
    header = text[:header_end].split("\t")
    if header[:2] != ["geomap-gazetteer", FORMAT_VERSION] or len(header) != 4:
        raise ValueError(f"{path}: not a geomap gazetteer file of format {FORMAT_VERSION} "
                         f"(header {' '.join(header[:2])!r})")
    rows_length, index_length = header[2:]
    rows_end = header_end + 1 + int(rows_length)
    index_end = rows_end + int(index_length)
    # Only "\n" ends a line: a name may hold other Unicode line breaks.
    index = text[rows_end:index_end].split("\n")[:-1]
    skeletons = text[index_end:].split("\n")[:-1]
    common_data = (directory / "common_words.txt").read_bytes()
    english_data = (directory / "english_words.txt").read_bytes()
    # The digest covers every file the gazetteer is read from, so a cache
    # keyed on it notices a change to any of them.
    digest = hashlib.sha256(data)
    for extra in (common_data, english_data):
        digest.update(hashlib.sha256(extra).digest())
    return Gazetteer(text[header_end + 1:rows_end], index, skeletons, _word_list(common_data),
                     _word_list(english_data), digest.hexdigest())


def _word_list(data: bytes) -> frozenset[str]:
    """The words of a word list file: one a line, "#" lines are comments."""
    return frozenset(line for line in data.decode("utf-8").split("\n")
                     if line and not line.startswith("#"))


@cache
def load() -> Gazetteer:
    """The bundled gazetteer, loaded once per process."""
    return read(data_dir())
