"""Where the war was at a date: the oblasts it was fought in, and the front
lines of the day (geomap/data/front_lines.tsv)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Where the war was fought, by period. With no better clue, a village whose
# name exists all over Ukraine is likelier one near the fighting of the day.
# Since the full invasion, Russia's border regions are shelled and raided too
# (and Kursk Oblast was fought over in 2024-2025).
DONBAS = frozenset({"Donetsk Oblast", "Luhansk Oblast"})
THEATRES = [
    ("2014-04-06", "2022-02-23", DONBAS),
    ("2022-02-24", "9999-12-31", DONBAS | {
        "Kharkiv Oblast", "Zaporizhzhia Oblast", "Kherson Oblast", "Mykolaiv Oblast",
        "Sumy Oblast", "Chernihiv Oblast", "Kyiv Oblast", "Dnipropetrovsk Oblast",
        "Kursk Oblast", "Belgorod Oblast", "Bryansk Oblast"}),
]
KM_PER_DEGREE = 111.2


@dataclass(frozen=True)
class FrontLine:
    start: str
    end: str
    name: str
    points: tuple[tuple[float, float], ...]

    def km_to(self, lat: float, lon: float) -> float:
        """Distance from a point to the line (equirectangular; fine at this scale)."""
        scale = math.cos(math.radians(lat))

        def xy(point: tuple[float, float]) -> tuple[float, float]:
            return (point[1] * scale * KM_PER_DEGREE, point[0] * KM_PER_DEGREE)

        px, py = xy((lat, lon))
        best = math.inf
        for a, b in zip(self.points, self.points[1:]):
            (ax, ay), (bx, by) = xy(a), xy(b)
            dx, dy = bx - ax, by - ay
            t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
            best = min(best, math.hypot(px - ax - t * dx, py - ay - t * dy))
        return best


@cache
def front_lines() -> tuple[FrontLine, ...]:
    text = (resources.files("geomap") / "data" / "front_lines.tsv").read_text(encoding="utf-8")
    lines = []
    for row in text.splitlines():
        if row.strip() and not row.startswith("#"):
            start, end, name, points = row.split("\t")
            lines.append(FrontLine(start, end, name, tuple(
                _point(point) for point in points.split(";"))))
    return tuple(lines)


def _point(text: str) -> tuple[float, float]:
    lat, lon = text.split()
    return float(lat), float(lon)


def fronts_at(date: str) -> tuple[FrontLine, ...]:
    return tuple(line for line in front_lines() if date and line.start <= date <= line.end)


def theatre_for(date: str) -> frozenset[str]:
    """The oblasts where the war was fought at `date` (all fronts when undated)."""
    for start, end, oblasts in THEATRES:
        if date and start <= date <= end:
            return oblasts
    return THEATRES[-1][2] if not date or date > THEATRES[-1][0] else frozenset()
