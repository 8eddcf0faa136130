"""Build geomap's offline basemap (geomap/data/basemap.json).

Usage:
    python basemap/build.py --adm1 ukraine_adm1.geojson --adm0 ukraine_adm0.geojson \\
        --countries region_countries.geojson [--out geomap/data/basemap.json]

The inputs are the boundary files described in basemap/README.md. Polygons
are simplified (Douglas-Peucker) and rounded so every map carries the
basemap in well under 100 KB; the output is deterministic. The city labels
come from the bundled gazetteer (build it first): the capital, the oblast
centres and the other cities of over CITY_POPULATION people.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from geomap import gazetteer
from geomap.resolve.context import km_between

HERE = Path(__file__).resolve().parent
OBLAST_TOLERANCE = 0.02  # degrees, about 2 km: fine at the scale of an oblast
COUNTRY_TOLERANCE = 0.05
DECIMALS = 3
# geoBoundaries spells these differently from the gazetteer's oblast names.
OBLAST_NAMES = {"Autonomous Republic of Crimea": "Crimea", "Kyiv": "Kyiv City",
                "Odessa Oblast": "Odesa Oblast", "Zaporizhia Oblast": "Zaporizhzhia Oblast"}


CITY_POPULATION = 100_000
# Capital, oblast centres, other cities: the page names them in this order
# of priority, from zooms that suit each.
CITY_RANKS = {"PPLC": 0, "PPLA": 1}
CITY_CODES = {"PPLC", "PPLA", "PPLA2", "PPLA3", "PPL"}  # not city districts or former places
CITY_DISTRICT_KM = 12  # a "city" this close to a larger one is a district of it


def cities(places: gazetteer.Gazetteer) -> list[dict]:
    """Ukraine's labelled cities, in the order the page places their labels."""
    found = sorted((p for p in places.places() if p.country == "UA" and p.feature_class == "P"
                    and p.feature_code in CITY_CODES
                    and (p.feature_code in CITY_RANKS or p.population >= CITY_POPULATION)),
                   key=lambda p: (CITY_RANKS.get(p.feature_code, 2), -p.population, p.name))
    kept: list[gazetteer.Place] = []
    for place in found:
        if place.feature_code in CITY_RANKS or not any(
                km_between(place, other) < CITY_DISTRICT_KM for other in kept):
            kept.append(place)
    return [{"name": p.name, "lat": round(p.lat, DECIMALS), "lon": round(p.lon, DECIMALS),
             "rank": CITY_RANKS.get(p.feature_code, 2)} for p in kept]


def simplify(points: list[list[float]], tolerance: float) -> list[list[float]]:
    """Douglas-Peucker on a ring or line of [lon, lat] points."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        best, index = 0.0, None
        for i in range(first + 1, last):
            x, y = points[i]
            if norm == 0:
                dist = ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
            else:
                dist = abs(dy * x - dx * y + x2 * y1 - y2 * x1) / norm
            if dist > best:
                best, index = dist, i
        if index is not None and best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, kept in zip(points, keep) if kept]


def rounded(ring: list[list[float]]) -> list[list[float]]:
    out = []
    for lon, lat in ring:
        point = [round(lon, DECIMALS), round(lat, DECIMALS)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def simplified_geometry(geometry: dict, tolerance: float) -> dict | None:
    coordinates = geometry["coordinates"]
    polygons = coordinates if geometry["type"] == "MultiPolygon" else [coordinates]
    kept = []
    for polygon in polygons:
        rings = [rounded(simplify(ring, tolerance)) for ring in polygon]
        rings = [ring for ring in rings if len(ring) >= 4]
        if rings:
            kept.append(rings)
    if not kept:
        return None
    return {"type": "MultiPolygon", "coordinates": kept}


def label_point(geometry: dict) -> list[float]:
    """A point for the name: the centre of the largest ring's bounding box."""
    ring = max((polygon[0] for polygon in geometry["coordinates"]), key=len)
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return [round((min(lats) + max(lats)) / 2, DECIMALS),
            round((min(lons) + max(lons)) / 2, DECIMALS)]


def feature(properties: dict, geometry: dict) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--adm1", type=Path, required=True)
    parser.add_argument("--adm0", type=Path, required=True)
    parser.add_argument("--countries", type=Path, required=True)
    parser.add_argument("--out", type=Path,
                        default=HERE.parent / "geomap" / "data" / "basemap.json")
    args = parser.parse_args()
    for path, what in ((args.adm1, "Ukraine's first-level units (geoBoundaries UKR-ADM1)"),
                       (args.adm0, "Ukraine's national border (geoBoundaries UKR-ADM0)"),
                       (args.countries, "the countries around Ukraine (Natural Earth 1:50m)")):
        if not path.is_file():
            sys.exit(f"basemap/build.py: {path} is missing: {what} is expected there "
                     "(see basemap/README.md)")

    oblasts = []
    for source in sorted(json.loads(args.adm1.read_text())["features"],
                         key=lambda f: f["properties"]["shapeName"]):
        geometry = simplified_geometry(source["geometry"], OBLAST_TOLERANCE)
        name = source["properties"]["shapeName"]
        oblasts.append(feature({"name": OBLAST_NAMES.get(name, name),
                                "iso": source["properties"]["shapeISO"],
                                "label": label_point(geometry)}, geometry))
    countries = []
    for source in sorted(json.loads(args.countries.read_text())["features"],
                         key=lambda f: f["properties"]["name"]):
        if source["properties"]["a3"] == "UKR":
            continue  # drawn from the finer national border below
        geometry = simplified_geometry(source["geometry"], COUNTRY_TOLERANCE)
        if geometry:
            countries.append(feature({"name": source["properties"]["name"]}, geometry))
    (border,) = json.loads(args.adm0.read_text())["features"]
    ukraine = feature({"name": "Ukraine"},
                      simplified_geometry(border["geometry"], OBLAST_TOLERANCE))
    basemap = {
        "countries": {"type": "FeatureCollection", "features": countries},
        "ukraine": {"type": "FeatureCollection", "features": [ukraine]},
        "oblasts": {"type": "FeatureCollection", "features": oblasts},
        "cities": cities(gazetteer.load()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(basemap, separators=(",", ":"), sort_keys=True) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
