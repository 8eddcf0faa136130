"""Resolution: pick a gazetteer place for each mention, with a score and a reason.

Candidates are ranked by what a careful analyst weighs: the kind of feature
(capital > oblast centre > town > village), population, Ukraine first, the
name as written, the words around it ("region", "river", "the"), the oblasts
the document names or clearly implies, nearness to the places it is surely
about, distance phrases ("50 miles north of Kyiv"), and where the war was at
the document's date. `geomap explain` shows every factor. Names the gazetteer
lacks go to an optional geocoder.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from geopy.distance import great_circle

from geomap.gazetteer import Gazetteer, Place, name_similarity, normalize
from geomap.geocode import Geocoder
from geomap.mentions import Mention
from geomap.phrases import RelativePosition, relative_positions, unnamed_places

# Facility designators -> the GeoNames feature codes they can mean.
FACILITY_CODES = {
    "plant": {"PS", "PSN", "PSH", "MFG", "MLSW"}, "station": {"RSTN", "RSTP"},
    "airport": {"AIRP", "AIRB", "AIRF", "AIRH"}, "dam": {"DAM", "DAMQ"}, "bridge": {"BDG"},
    "port": {"PRT"},
}
WATER_DESIGNATORS = {"river", "reservoir"}

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
# The prior: kind of feature, population, major cities, Ukraine first.
POPULATION_WEIGHT = 0.6
MAJOR_CITY_POPULATION = 100_000
MAJOR_CITY_BONUS = 0.5
UKRAINE_BONUS = 0.2
# A place whose main name is the one written beats one that merely lists it
# among historical or foreign alternates (Bilozerka was once "Ivanivka").
MAIN_NAME_BONUS = 0.3
OTHER_NAME_PENALTY = -1.2
FEW_NAMESAKES = 3
# "the Dnipro": a bare name after the article is a river or a region.
ARTICLE_BONUS = 2.0
# Oblast context: oblasts the document names or clearly implies.
CONTEXT_BONUS = 0.5
CONTEXT_BONUS_PER_NAME = 0.05  # more names from one oblast, more weight (up to 4)
# Cities with oblast status sit inside another oblast: Kyiv implies Kyiv Oblast too.
CITY_OBLASTS = {"Kyiv City": "Kyiv Oblast", "Sevastopol": "Crimea"}
# Spatial coherence: the candidate nearest a place the document is surely about.
SPATIAL_BONUS = 0.4
NEAR_KM = 150.0
# Where the war was fought, by period. With no better clue, a village whose
# name exists all over Ukraine is likelier one near the fighting of the day.
DONBAS = frozenset({"Donetsk Oblast", "Luhansk Oblast"})
THEATRES = [
    ("2014-04-06", "2022-02-23", DONBAS),
    ("2022-02-24", "9999-12-31", DONBAS | {
        "Kharkiv Oblast", "Zaporizhzhia Oblast", "Kherson Oblast", "Mykolaiv Oblast",
        "Sumy Oblast", "Chernihiv Oblast", "Kyiv Oblast", "Dnipropetrovsk Oblast"}),
]
THEATRE_BONUS = 0.7
FRONT_BONUS = 0.5  # for a village on the front line of the day, falling to 0 at FRONT_KM
FRONT_KM = 40.0
KM_PER_DEGREE = 111.2
# How sure a position placed by a distance phrase alone is.
APPROXIMATE_SCORE = 0.3


@dataclass(frozen=True)
class Candidate:
    place: Place
    score: float
    factors: tuple[tuple[str, float], ...]  # what made up the score beyond the prior


@dataclass(frozen=True)
class Resolution:
    mention: Mention
    place: Place | None
    score: float  # confidence in the pick, 0..1
    reason: str
    source: str  # "gazetteer", "geocoder", "approximate", or "" when unresolved
    candidates: tuple[Candidate, ...] = ()


def _oblasts_of(gazetteer: Gazetteer, places: Iterable[Place]) -> list[Place]:
    """The oblast entries that contain the given places."""
    oblasts = {}
    for place in places:
        if place.country == "UA" and place.admin1:
            for oblast in gazetteer.lookup(place.admin1):
                if oblast.kind == "oblast":
                    oblasts[oblast.id] = oblast
    return sorted(oblasts.values(), key=lambda p: p.id)


def _region_candidates(surface: str, name: str, gazetteer: Gazetteer) -> list[Place]:
    direct = [p for p in gazetteer.lookup(surface) if p.kind == "oblast"]
    if direct:
        return direct
    name_places = gazetteer.lookup(name)
    named = [p for p in name_places if p.kind == "oblast"]
    centres = [p for p in name_places if p.feature_code in ("PPLA", "PPLC")]
    return named or _oblasts_of(gazetteer, centres or name_places)


def _district_candidates(surface: str, name: str, gazetteer: Gazetteer) -> list[Place]:
    for key in (surface, f"{name} raion", f"{name} district", name):
        raions = [p for p in gazetteer.lookup(key) if p.kind == "raion"]
        if raions:
            return raions
    return []


def _facility_candidates(surface: str, name: str, designator: str,
                         gazetteer: Gazetteer) -> list[Place]:
    """'Kherson International Airport', 'the Zaporizhzhia plant': facilities named
    after the place, of the kind the designator says."""
    codes = FACILITY_CODES[designator]
    exact = [p for p in gazetteer.lookup(surface) if p.kind == "facility"]
    if exact:
        return exact
    return [p for p in gazetteer.lookup_prefix(name)
            if p.kind == "facility" and p.feature_code in codes]


def candidates_for(mention: Mention, gazetteer: Gazetteer) -> tuple[list[Place], str]:
    """Gazetteer places a mention can mean, and a note when they stand in for
    something the gazetteer lacks ("city of the facility")."""
    surface, name, designator = mention.text, mention.name or mention.text, mention.designator
    if designator == "region":
        return _region_candidates(surface, name, gazetteer), ""
    if designator == "district":
        # "Kirovsky district of Donetsk": a city district the gazetteer lacks is
        # left unresolved rather than matched to a namesake village.
        return _district_candidates(surface, name, gazetteer), ""
    elif designator in WATER_DESIGNATORS:
        water = [p for p in gazetteer.lookup(surface) + gazetteer.lookup(name) if p.kind == "water"]
        if water:
            return sorted({p.id: p for p in water}.values(), key=lambda p: p.id), ""
    elif designator in FACILITY_CODES:
        facilities = _facility_candidates(surface, name, designator, gazetteer)
        if facilities:
            return facilities, ""
        places = gazetteer.lookup(name)
        towns = [p for p in places if p.kind == "settlement"]
        if towns:
            return towns, f"{designator} not in the gazetteer: its town"
        return places, ""  # "Black Sea port": the sea
    elif designator == "city":
        towns = [p for p in gazetteer.lookup(name) if p.kind == "settlement"]
        if towns:
            return towns, ""
    places = gazetteer.lookup(surface)
    if not places and name != surface:
        places = gazetteer.lookup(name)
    # Russian-based spellings ("Stepanovka", "Seversk") also mean the Ukrainian
    # places GeoNames spells the Ukrainian way; let ranking weigh them together.
    variants = gazetteer.lookup_variants(name)
    note = f"spelling variant of {variants[0].name}" if variants else ""
    if not places:
        return variants, note
    known = {p.id for p in places}
    return places + [p for p in variants if p.id not in known], ""


@lru_cache(maxsize=1 << 16)  # each candidate's, for each of its mentions and rivals
def prior(place: Place) -> float:
    rank = FEATURE_RANK.get(place.feature_code, DEFAULT_RANK)
    population = min(math.log10(place.population + 1) / 7.0, 1.0) * POPULATION_WEIGHT
    if (place.kind == "settlement" and place.population >= MAJOR_CITY_POPULATION
            and (place.country == "UA" or place.feature_code == "PPLC")):
        population += MAJOR_CITY_BONUS  # only explicit clues should move "Kyiv" off the capital
    return rank + population + (UKRAINE_BONUS if place.country == "UA" else 0.0)


def _implied_oblast(places: list[Place]) -> str | None:
    """The oblast a mention names or unmistakably implies, if any."""
    if not places:
        return None
    best = max(places, key=prior)
    unambiguous = len({p.admin1 for p in places if p.kind != "facility"}) <= 1
    if best.country == "UA" and best.admin1 and (
            unambiguous or best.kind == "oblast" or best.feature_code in ("PPLA", "PPLC")):
        return best.admin1
    return None


def _prior_reason(top: Place, runner: Place) -> str:
    if FEATURE_RANK.get(top.feature_code, DEFAULT_RANK) > FEATURE_RANK.get(runner.feature_code,
                                                                           DEFAULT_RANK):
        return f"{FEATURE_DESCRIPTIONS.get(top.feature_code, top.kind)} preferred"
    if top.country == "UA" and runner.country != "UA":
        return "Ukrainian place preferred"
    return "largest population"


def _reason(ranked: list[Candidate]) -> str:
    """The factors that put the pick ahead of the runner-up."""
    top = ranked[0]
    if len(ranked) == 1:
        return "only candidate"
    # Every factor of the pick that some candidate lacks helped it win.
    deciding = [name for name, value in top.factors
                if any(dict(other.factors).get(name, 0.0) < value for other in ranked[1:])]
    runner = ranked[1]
    if prior(top.place) > prior(runner.place) or not deciding:
        deciding.append(_prior_reason(top.place, runner.place))
    return f"{'; '.join(deciding)} (among {len(ranked)})"


@dataclass(frozen=True)
class Anchor:
    """A place the document names unmistakably, for spatial coherence."""

    key: str
    name: str
    point: tuple[float, float]


def _anchors(keys: list[str], options: list[list[Place]]) -> list[Anchor]:
    anchors = {}
    for key, places in zip(keys, options):
        points = [p for p in places if p.kind in ("settlement", "facility")]
        if not points or key in anchors:
            continue
        best = max(points, key=prior)
        spread = max(km_between(best, p) for p in points)
        if spread <= 10 or best.feature_code in ("PPLA", "PPLC"):
            anchors[key] = Anchor(key, best.name, (best.lat, best.lon))
    return list(anchors.values())


def km_between(a: Place, b: Place) -> float:
    return km_apart((a.lat, a.lon), (b.lat, b.lon))


@lru_cache(maxsize=1 << 16)  # documents name the same places again and again
def km_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    return great_circle(a, b).km


def _near_anchor(place: Place, anchors: list[Anchor], own_key: str) -> tuple[str, float] | None:
    """A bonus for being close to the places the document is surely about."""
    best = None
    for anchor in anchors:
        if anchor.key == own_key:
            continue
        km = km_apart((place.lat, place.lon), anchor.point)
        if km < NEAR_KM and (best is None or km < best[1]):
            best = (anchor.name, km)
    if best is None:
        return None
    return f"near {best[0]} ({best[1]:.0f} km)", round(SPATIAL_BONUS * (1 - best[1] / NEAR_KM), 4)


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
                tuple(float(v) for v in point.split()) for point in points.split(";"))))
    return tuple(lines)


def fronts_at(date: str) -> list[FrontLine]:
    return [line for line in front_lines() if date and line.start <= date <= line.end]


def _near_front(place: Place, fronts: list[FrontLine]) -> tuple[str, float] | None:
    for front in fronts:
        km = front.km_to(place.lat, place.lon)
        if km < FRONT_KM:
            return f"near the front ({front.name}, {km:.0f} km)", round(
                FRONT_BONUS * (1 - km / FRONT_KM), 4)
    return None


def theatre_for(date: str) -> frozenset[str]:
    """The oblasts where the war was fought at `date` (all fronts when undated)."""
    for start, end, oblasts in THEATRES:
        if date and start <= date <= end:
            return oblasts
    return THEATRES[-1][2] if not date or date > THEATRES[-1][0] else frozenset()


def rank(mention: Mention, places: list[Place], context: Counter, anchors: list[Anchor],
         key: str, offsets: list[RelativePosition], theatre: frozenset[str],
         fronts: list[FrontLine]) -> list[Candidate]:
    written = {normalize(mention.text), normalize(mention.name or mention.text)}
    # "the Dnipro", "the Donbas": a bare name after the article is a river or region.
    area_hint = mention.after_article and not mention.designator
    similarities = {place.id: max(name_similarity(key, place) for key in written)
                    for place in places}
    # Only a Ukrainian place that carries the written name as its own may push
    # back places known by another one; a Russian town does not outrank the
    # alias table's "Artemovsk" for Bakhmut.
    best_similarity = max((similarities[p.id] for p in places
                           if p.country == "UA" and p.kind == "settlement"), default=0.0)
    namesakes = sum(1 for p in places if p.kind == "settlement" and similarities[p.id] == 1.0)
    # The context priors choose among namesakes of one kind: a city's being in
    # the war zone says nothing about whether "the Dnipro" is the river.
    kinds = Counter(place.kind for place in places)
    ranked = []
    for place in places:
        factors = []
        ambiguous = kinds[place.kind] > 1
        # Context places things inside an oblast; an oblast is no likelier for it.
        if ambiguous and place.country == "UA" and place.kind != "oblast":
            votes = context[place.admin1]
            if votes:
                factors.append((f"oblast context: {place.admin1}",
                                CONTEXT_BONUS + CONTEXT_BONUS_PER_NAME * min(votes, 4)))
            if place.kind != "raion":
                near = _near_anchor(place, anchors, key)
                if near:
                    factors.append(near)
        if ambiguous:
            for offset in offsets:
                fit = offset.fit(place)
                if fit is not None:
                    factors.append(fit)
        if area_hint and place.kind in ("water", "region"):
            factors.append(("river or region after 'the'", ARTICLE_BONUS))
        if ambiguous and theatre and place.admin1 in theatre and place.kind != "oblast":
            factors.append((f"in the war zone ({place.admin1})", THEATRE_BONUS))
        if ambiguous and place.kind == "settlement":
            front = _near_front(place, fronts)
            if front:
                factors.append(front)
        similarity = similarities[place.id]
        if similarity == 1.0:
            factors.append(("main name as written", MAIN_NAME_BONUS))
        elif similarity >= 0.6:
            factors.append((f"main name close to the text ({place.name})",
                            round(MAIN_NAME_BONUS * similarity ** 2, 4)))
        elif best_similarity >= 0.8 and place.kind == "settlement" and (
                place.country != "UA" or place.population >= MAJOR_CITY_POPULATION
                or namesakes > FEW_NAMESAKES):
            # Found only by a foreign or old name (Frunze -> Bishkek, Aleksandrovka
            # -> Donetsk) while villages carry the written name as their own. Towns
            # renamed in 2016 keep their old names in news, so they are spared,
            # unless the name is borne by many villages (Ivanivka).
            factors.append(("known by another name", OTHER_NAME_PENALTY))
        score = prior(place) + sum(value for _name, value in factors)
        ranked.append(Candidate(place, round(score, 4), tuple(factors)))
    ranked.sort(key=lambda c: (-c.score, str(c.place.id)))
    return ranked


def resolve_document(mentions: list[Mention], gazetteer: Gazetteer,
                     geocoder: Geocoder | None = None, date: str = "") -> list[Resolution]:
    """Resolve every mention of one document; unresolved ones keep place=None.

    `date` (YYYY-MM-DD) is the document's; it says where the war was then.
    """
    theatre = theatre_for(date)
    fronts = fronts_at(date)
    # Articles name the same places again and again: look each name up once.
    candidates: dict[tuple[str, str, str], tuple[list[Place], str]] = {}
    for m in mentions:
        written = (m.text, m.name, m.designator)
        if written not in candidates:
            candidates[written] = candidates_for(m, gazetteer)
    looked_up = [candidates[(m.text, m.name, m.designator)] for m in mentions]
    options = [places for places, _note in looked_up]
    keys = [normalize(m.text) for m in mentions]
    # A name's last mention's candidates speak for it, once.
    options_of = dict(zip(keys, options))
    implied = {key: _implied_oblast(places) for key, places in options_of.items()}
    context = Counter(oblast for oblast in implied.values() if oblast)
    for city, surrounding in CITY_OBLASTS.items():
        context[surrounding] += context[city]
    anchors = _anchors(keys, options)
    offsets = relative_positions(mentions, options, best=lambda places: max(places, key=prior))
    resolutions = []
    # A mention's pick depends on what it says and where it stands, not on
    # which of a name's mentions it is: rank each such case once.
    picks: dict[tuple, tuple[Place, float, str, tuple[Candidate, ...]]] = {}
    for index, (mention, key, (places, note)) in enumerate(zip(mentions, keys, looked_up)):
        if not places:
            resolutions.append(_fallback(mention, geocoder))
            continue
        case = (mention.text, mention.name, mention.designator, mention.after_article,
                tuple(offsets.get(index, ())))
        if case not in picks:
            # A name is no context for itself: "Kyiv" must not vote for Kyiv City.
            own = Counter([implied[key]] if implied[key] else [])
            for city, surrounding in CITY_OBLASTS.items():
                own[surrounding] += own[city]
            ranked = rank(mention, places, context - own, anchors, key,
                          offsets.get(index, []), theatre, fronts)
            top = ranked[0]
            confidence = 1.0 if len(ranked) == 1 else top.score / (top.score + ranked[1].score)
            reason = _reason(ranked) + (f"; {note}" if note else "")
            picks[case] = (top.place, round(confidence, 3), reason, tuple(ranked))
        place, score, reason, ranked = picks[case]
        resolutions.append(Resolution(mention=mention, place=place, score=score, reason=reason,
                                      source="gazetteer", candidates=ranked))
    for mention, place in unnamed_places(mentions, [r.place for r in resolutions]):
        resolutions.append(Resolution(mention, place, APPROXIMATE_SCORE,
                                      f"unnamed; placed by '{mention.text}' (approximate)",
                                      "approximate"))
    return resolutions


def toponyms(resolutions: list[Resolution]) -> list[Resolution]:
    """The resolutions of place names proper, without approximate unnamed places."""
    return [r for r in resolutions if r.source != "approximate"]


def _fallback(mention: Mention, geocoder: Geocoder | None) -> Resolution:
    if geocoder is None:
        return Resolution(mention, None, 0.0, "not in the gazetteer", "")
    place = geocoder.geocode(mention.text)
    if place is None:
        return Resolution(mention, None, 0.0, f"not in the gazetteer; {geocoder.name} found nothing", "")
    return Resolution(mention, place, 0.5, f"geocoder: {geocoder.name}", "geocoder")
