"""Stated context: what the words between two names say about the first
one's place. "Katerynivka, Donetsk" (a bare oblast centre after a comma
names its oblast, as ACLED writes), "Vysokopolye, Kherson region",
"Stepnoy in the Volnovakhsky district of the DPR", "Illinka of the Mariinka
community" put it inside a region, raion or community, "the port of
Pivdennyi near Odesa" near a town; "Vodiane and Vugledar" list it with a
place it lies near."""

from __future__ import annotations

import re
from dataclasses import dataclass

from geopy.distance import great_circle

from geomap.gazetteer import Place
from geomap.mentions import Mention
from geomap.resolve.priors import prior

# The words between a name and the one that contains it.
_INSIDE = re.compile(r"\s*(?:,|\(|\s(?:in|of)(?:\s+the)?)\s*", re.IGNORECASE)
_COMMA = re.compile(r"\s*,\s*")
# What may follow an oblast centre that names its oblast: the end of the
# phrase, not the next item of a list ("Lviv, Kharkiv and Odesa").
_PHRASE_END = re.compile(r"\s*(?:$|[.;:)!?]|,\s+[^A-Z\s]|\s+[a-z](?!nd\b|r\b))")
# The words between a place and a town it is said to lie near ("the port of
# Pivdennyi near Odesa").
_NEAR = re.compile(r"\s+(?:near|outside|close\s+to|not\s+far\s+from)\s+(?:the\s+)?"
                   r"(?:(?:city|town)\s+of\s+)?", re.IGNORECASE)
NEAR_KM = 50.0
# The words between names listed together.
_LISTED = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+|&\s*)", re.IGNORECASE)
# How far a place may lie from the point of the raion or community that contains it.
RAION_KM = 50.0
COMMUNITY_KM = 20.0
OBLAST_CENTRE_CODES = ("PPLA", "PPLC")


@dataclass(frozen=True)
class Container:
    """The region, raion or community the text puts a mention's place in."""

    text: str  # "in Kherson region", "near Odesa"
    oblasts: frozenset[str]  # the oblasts (or regions beyond the border) it may be
    points: tuple[tuple[float, float], ...]  # or the raions' or communities' points
    km: float  # how near those points a place must lie

    def holds(self, place: Place) -> bool:
        if self.oblasts:
            return place.admin1 in self.oblasts
        return any(great_circle(point, (place.lat, place.lon)).km <= self.km
                   for point in self.points)


@dataclass(frozen=True)
class StatedContext:
    containers: dict[int, Container]  # a mention's index -> what the text puts it in
    # Oblast centres standing for their oblast ("Katerynivka, Donetsk"): their
    # indices, with the oblast each names.
    oblasts_named: dict[int, str]
    listed: dict[int, tuple[int, ...]]  # a mention's index -> those listed with it


def stated_context(mentions: list[Mention], options: list[list[Place]]) -> StatedContext:
    """What the phrases between neighbouring names say, given each mention's
    candidates."""
    containers: dict[int, Container] = {}
    oblasts_named: dict[int, str] = {}
    listed: dict[int, list[int]] = {}
    for i in range(len(mentions) - 1):
        first, second = mentions[i], mentions[i + 1]
        if first.sentence_start != second.sentence_start or second.start < first.end:
            continue
        offset = first.sentence_start
        between = first.sentence[first.end - offset:second.start - offset]
        after = first.sentence[second.end - offset:]
        if _INSIDE.fullmatch(between):
            container = _container(second, options[i + 1], between, after, options[i])
            if container is not None:
                containers[i] = container
                if not second.designator and container.oblasts:
                    (oblasts_named[i + 1],) = container.oblasts
                continue
        if _NEAR.fullmatch(between) and options[i + 1]:
            town = max(options[i + 1], key=prior)
            containers[i] = Container(f"near {second.text}", frozenset(),
                                      ((town.lat, town.lon),), NEAR_KM)
            continue
        if _LISTED.fullmatch(between):
            listed.setdefault(i, []).append(i + 1)
            listed.setdefault(i + 1, []).append(i)
    return StatedContext(containers, oblasts_named,
                         {i: tuple(others) for i, others in listed.items()})


def _container(mention: Mention, places: list[Place], between: str, after: str,
               inner: list[Place]) -> Container | None:
    """The container `mention` names for the name before it (whose
    candidates are `inner`), if it names one."""
    text = f"in {mention.text}"
    if mention.designator == "region":
        oblasts = frozenset(p.admin1 for p in places if p.kind == "oblast" and p.admin1)
        return Container(text, oblasts, (), 0.0) if oblasts else None
    if mention.designator == "district":
        points = tuple((p.lat, p.lon) for p in places if p.kind == "raion")
        return Container(text, frozenset(), points, RAION_KM) if points else None
    if mention.designator == "community":
        points = tuple((p.lat, p.lon) for p in places if p.kind == "settlement")
        return Container(text, frozenset(), points, COMMUNITY_KM) if points else None
    if mention.designator or not _COMMA.fullmatch(between) or not _PHRASE_END.match(after):
        return None
    # "Katerynivka, Donetsk": an oblast centre, or an oblast, after a comma
    # and ending the phrase names the oblast of the place before it, if
    # that place can be there.
    centre_oblasts = {p.admin1 for p in places
                      if p.admin1 and (p.kind == "oblast" or p.feature_code in OBLAST_CENTRE_CODES)}
    if len(centre_oblasts) != 1 or not any(p.admin1 in centre_oblasts
                                           and p.kind == "settlement" for p in inner):
        return None
    return Container(text, frozenset(centre_oblasts), (), 0.0)
