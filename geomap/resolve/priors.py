"""The prior: how likely a bare mention of a name means this place, before
anything else in the document is read (kind of feature, population, major
cities, Ukraine first)."""

from __future__ import annotations

import math
from functools import lru_cache

from geomap.gazetteer import Place

# How likely a bare mention of a name means a feature of this code.
FEATURE_RANK = {
    "PPLC": 1.0, "PCLI": 1.0, "CONT": 0.9, "SEA": 0.9, "PPLA": 0.9, "PPLA2": 0.75,
    "PPLA3": 0.6, "PPL": 0.5, "PPLQ": 0.5, "PPLH": 0.3, "PPLX": 0.25,
    "ADM1": 0.4, "ADM2": 0.3, "ADM2H": 0.2, "RGN": 0.6,
    "AIRP": 0.55, "PS": 0.55, "PSN": 0.55, "PSH": 0.5, "BDG": 0.5, "DAM": 0.5, "MFG": 0.5,
    "STM": 0.45, "RSV": 0.5, "RSTN": 0.1,
}
DEFAULT_RANK = 0.3
FEATURE_DESCRIPTIONS = {
    "PPLC": "capital", "PPLA": "oblast centre", "PPLA2": "raion centre", "PPLA3": "town",
    "PPL": "populated place", "PCLI": "country", "ADM1": "oblast", "ADM2": "raion",
    "SEA": "sea", "CONT": "continent",
}
POPULATION_WEIGHT = 0.6
MAJOR_CITY_POPULATION = 100_000
MAJOR_CITY_BONUS = 0.5
UKRAINE_BONUS = 0.2


@lru_cache(maxsize=1 << 16)  # each candidate's, for each of its mentions and rivals
def prior(place: Place) -> float:
    rank = FEATURE_RANK.get(place.feature_code, DEFAULT_RANK)
    population = min(math.log10(place.population + 1) / 7.0, 1.0) * POPULATION_WEIGHT
    if (place.kind == "settlement" and place.population >= MAJOR_CITY_POPULATION
            and (place.country == "UA" or place.feature_code == "PPLC")):
        population += MAJOR_CITY_BONUS  # only explicit clues should move "Kyiv" off the capital
    return rank + population + (UKRAINE_BONUS if place.country == "UA" else 0.0)


def prior_reason(top: Place, runner: Place) -> str:
    """Why the prior puts `top` ahead of `runner`."""
    if FEATURE_RANK.get(top.feature_code, DEFAULT_RANK) > FEATURE_RANK.get(runner.feature_code,
                                                                           DEFAULT_RANK):
        return f"{FEATURE_DESCRIPTIONS.get(top.feature_code, top.kind)} preferred"
    if top.country == "UA" and runner.country != "UA":
        return "Ukrainian place preferred"
    return "largest population"
