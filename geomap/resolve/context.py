"""Document context: what a whole document tells about where its places are,
read once before any mention is ranked: the oblasts it names or clearly
implies, the places it is surely about, the war at its date, and the
distance phrases that place one mention from another."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from geopy.distance import great_circle

from geomap.gazetteer import Place
from geomap.mentions import Mention
from geomap.resolve.containers import Container, stated_context
from geomap.resolve.phrases import RelativePosition, relative_positions
from geomap.resolve.priors import prior
from geomap.resolve.war import FrontLine, fronts_at, theatre_for

# Cities with oblast status sit inside another oblast: Kyiv implies Kyiv Oblast too.
CITY_OBLASTS = {"Kyiv City": "Kyiv Oblast", "Sevastopol": "Crimea"}
ANCHOR_SPREAD_KM = 10  # a name whose candidates all lie this close is unmistakable


@dataclass(frozen=True)
class Anchor:
    """A place the document names unmistakably, for spatial coherence."""

    key: str
    name: str
    point: tuple[float, float]


@dataclass(frozen=True)
class DocumentContext:
    """What one document tells about where its places are."""

    implied: dict[str, str | None]  # each name's key -> the oblast it names or implies
    oblasts: Counter[str]  # oblasts named or implied, with the number of names doing so
    anchors: tuple[Anchor, ...]
    positions: dict[int, RelativePosition]  # a mention's index -> the phrase that places it
    theatre: frozenset[str]  # the oblasts at war at the document's date
    fronts: tuple[FrontLine, ...]  # the front lines of that date
    containers: dict[int, Container]  # a mention's index -> the region the text puts it in
    oblasts_named: dict[int, str]  # a mention's index -> the oblast its centre's name stands for
    listed: dict[int, frozenset[str]]  # a mention's index -> the keys of names listed with it
    countries: frozenset[str]  # the countries the document names

    def oblasts_but(self, key: str) -> Counter[str]:
        """The oblast votes without those of the name `key` itself: a name is
        no context for itself ("Kyiv" must not vote for Kyiv City)."""
        own = with_city_oblasts(Counter([oblast] if (oblast := self.implied[key]) else []))
        return self.oblasts - own


def document_context(mentions: list[Mention], keys: list[str], options: list[list[Place]],
                     date: str) -> DocumentContext:
    """The context of a document's mentions, given each one's key (normalised
    text) and candidates, and the document's date (YYYY-MM-DD or "")."""
    # A name's last mention's candidates speak for it, once.
    options_of = dict(zip(keys, options))
    implied = {key: implied_oblast(places) for key, places in options_of.items()}
    oblasts = with_city_oblasts(Counter(oblast for oblast in implied.values() if oblast))
    positions = relative_positions(mentions, options, best=lambda places: max(places, key=prior))
    stated = stated_context(mentions, options)
    # "Katerynivka, Donetsk": that Donetsk is the oblast, no city to be near.
    standing_for_oblasts = {keys[i] for i in stated.oblasts_named}
    anchors = tuple(a for a in anchors_of(keys, options) if a.key not in standing_for_oblasts)
    return DocumentContext(implied, oblasts, anchors, positions, theatre_for(date),
                           fronts_at(date), stated.containers, stated.oblasts_named,
                           {i: frozenset(keys[n] for n in others)
                            for i, others in stated.listed.items()},
                           frozenset(best.country for places in options if places
                                     and (best := max(places, key=prior)).kind == "country"))


def with_city_oblasts(votes: Counter[str]) -> Counter[str]:
    for city, surrounding in CITY_OBLASTS.items():
        votes[surrounding] += votes[city]
    return votes


def implied_oblast(places: list[Place]) -> str | None:
    """The oblast (or theatre region) a mention names or unmistakably implies, if any."""
    if not places:
        return None
    best = max(places, key=prior)
    unambiguous = len({p.admin1 for p in places if p.kind != "facility"}) <= 1
    if best.admin1 and (
            unambiguous or best.kind == "oblast" or best.feature_code in ("PPLA", "PPLC")):
        return best.admin1
    return None


def anchors_of(keys: list[str], options: list[list[Place]]) -> tuple[Anchor, ...]:
    """The places a document names unmistakably: a name whose candidates lie
    close together, or whose likeliest one is an oblast centre or capital."""
    anchors = {}
    for key, places in zip(keys, options):
        points = [p for p in places if p.kind in ("settlement", "facility")]
        if not points or key in anchors:
            continue
        best = max(points, key=prior)
        spread = max(km_between(best, p) for p in points)
        if spread <= ANCHOR_SPREAD_KM or best.feature_code in ("PPLA", "PPLC"):
            anchors[key] = Anchor(key, best.name, (best.lat, best.lon))
    return tuple(anchors.values())


def km_between(a: Place, b: Place) -> float:
    return km_apart((a.lat, a.lon), (b.lat, b.lon))


@lru_cache(maxsize=1 << 16)  # documents name the same places again and again
def km_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    return great_circle(a, b).km
