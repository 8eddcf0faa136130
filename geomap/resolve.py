"""Resolution: pick a gazetteer place for each mention, with a score and a reason.

Candidates are ranked by what a careful analyst weighs: the kind of feature
(capital > oblast centre > town > village), population, Ukraine first for an
ambiguous name, and the document's context, i.e. the oblasts it names or
clearly implies. Names the gazetteer lacks go to an optional geocoder.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from geomap.gazetteer import Gazetteer, Place
from geomap.geocode import Geocoder
from geomap.mentions import Mention

REGION_WORDS = {"region", "oblast", "province"}
DISTRICT_WORDS = {"district", "raion", "rayon", "county"}

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
UKRAINE_BONUS = 0.2
CONTEXT_BONUS = 0.6
POPULATION_WEIGHT = 0.3


@dataclass(frozen=True)
class Candidate:
    place: Place
    score: float
    in_context: bool


@dataclass(frozen=True)
class Resolution:
    mention: Mention
    place: Place | None
    score: float  # confidence in the pick, 0..1
    reason: str
    source: str  # "gazetteer", "geocoder", or "" when unresolved
    candidates: tuple[Candidate, ...] = ()


def split_unit(surface: str) -> tuple[str, str]:
    """'Kharkiv region' -> ('Kharkiv', 'region'); 'Bucha' -> ('Bucha', '')."""
    stem, _, last = surface.rpartition(" ")
    word = last.lower()
    if stem and word in REGION_WORDS | DISTRICT_WORDS:
        return stem, word
    return surface, ""


def _oblasts_of(gazetteer: Gazetteer, places: Iterable[Place]) -> list[Place]:
    """The oblast entries that contain the given places."""
    oblasts = {}
    for place in places:
        if place.country == "UA" and place.admin1:
            for oblast in gazetteer.lookup(place.admin1):
                if oblast.kind == "oblast":
                    oblasts[oblast.id] = oblast
    return sorted(oblasts.values(), key=lambda p: p.id)


def candidates_for(surface: str, gazetteer: Gazetteer) -> list[Place]:
    """Gazetteer places a surface form can mean, honouring 'region'/'district' words."""
    stem, unit = split_unit(surface)
    if unit in REGION_WORDS:
        direct = [p for p in gazetteer.lookup(surface) if p.kind == "oblast"]
        if direct:
            return direct
        stem_places = gazetteer.lookup(stem)
        named = [p for p in stem_places if p.kind == "oblast"]
        centres = [p for p in stem_places if p.feature_code in ("PPLA", "PPLC")]
        return named or _oblasts_of(gazetteer, centres or stem_places)
    if unit in DISTRICT_WORDS:
        for key in (surface, f"{stem} raion", f"{stem} rayon", f"{stem} district"):
            raions = [p for p in gazetteer.lookup(key) if p.kind == "raion"]
            if raions:
                return raions
        return gazetteer.lookup(stem)
    return gazetteer.lookup(surface)


def prior(place: Place) -> float:
    rank = FEATURE_RANK.get(place.feature_code, DEFAULT_RANK)
    population = min(math.log10(place.population + 1) / 7.0, 1.0) * POPULATION_WEIGHT
    return rank + population + (UKRAINE_BONUS if place.country == "UA" else 0.0)


def _confident_oblasts(gazetteer: Gazetteer, options: list[list[Place]]) -> Counter:
    """Oblasts the document names or unmistakably implies, with how often."""
    context: Counter = Counter()
    for places in options:
        if not places:
            continue
        best = max(places, key=prior)
        unambiguous = len({(p.admin1, p.kind) for p in places if p.kind != "facility"}) <= 1
        if best.country == "UA" and best.admin1 and (
                unambiguous or best.kind == "oblast" or best.feature_code in ("PPLA", "PPLC")):
            context[best.admin1] += 1
    return context


def _reason(ranked: list[Candidate]) -> str:
    top = ranked[0]
    if len(ranked) == 1:
        return "only candidate"
    runner = ranked[1]
    if top.in_context and not runner.in_context and prior(top.place) <= prior(runner.place):
        return f"oblast context: {top.place.admin1}"
    top_rank = FEATURE_RANK.get(top.place.feature_code, DEFAULT_RANK)
    runner_rank = FEATURE_RANK.get(runner.place.feature_code, DEFAULT_RANK)
    if top_rank > runner_rank:
        kind = FEATURE_DESCRIPTIONS.get(top.place.feature_code, top.place.kind)
        return f"{kind} preferred among {len(ranked)}"
    if top.place.country == "UA" and runner.place.country != "UA":
        return f"Ukrainian place preferred among {len(ranked)}"
    return f"largest population of {len(ranked)}"


def rank(places: list[Place], context: Counter) -> list[Candidate]:
    ambiguous = len(places) > 1
    ranked = []
    for place in places:
        in_context = ambiguous and place.country == "UA" and context[place.admin1] > 0
        score = prior(place) + (CONTEXT_BONUS if in_context else 0.0)
        ranked.append(Candidate(place, round(score, 4), in_context))
    ranked.sort(key=lambda c: (-c.score, c.place.id))
    return ranked


def resolve_document(mentions: list[Mention], gazetteer: Gazetteer,
                     geocoder: Geocoder | None = None) -> list[Resolution]:
    """Resolve every mention of one document; unresolved ones keep place=None."""
    options = [candidates_for(m.text, gazetteer) for m in mentions]
    context = _confident_oblasts(gazetteer, options)
    resolutions = []
    for mention, places in zip(mentions, options):
        if not places:
            resolutions.append(_fallback(mention, geocoder))
            continue
        ranked = rank(places, context)
        top = ranked[0]
        confidence = 1.0 if len(ranked) == 1 else top.score / (top.score + ranked[1].score)
        resolutions.append(Resolution(
            mention=mention, place=top.place, score=round(confidence, 3),
            reason=_reason(ranked), source="gazetteer", candidates=tuple(ranked),
        ))
    return resolutions


def _fallback(mention: Mention, geocoder: Geocoder | None) -> Resolution:
    if geocoder is None:
        return Resolution(mention, None, 0.0, "not in the gazetteer", "")
    place = geocoder.geocode(mention.text)
    if place is None:
        return Resolution(mention, None, 0.0, f"not in the gazetteer; {geocoder.name} found nothing", "")
    return Resolution(mention, place, 0.5, f"geocoder: {geocoder.name}", "geocoder")
