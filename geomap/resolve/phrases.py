"""Distance and direction phrases: "Ivankiv, 50 miles north of Kyiv".

A phrase right after a mention says where that place lies relative to
another one; resolution uses it to check same-name candidates. A phrase
before a name can also describe a place the text does not name ("a village
20 km north of Kherson"), which is placed by it, approximately.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from geopy.distance import distance, great_circle

from geomap.gazetteer import Place
from geomap.mentions import Mention

KM_PER_UNIT = {"km": 1.0, "kilometers": 1.0, "kilometres": 1.0, "kilometer": 1.0,
               "kilometre": 1.0, "miles": 1.609344, "mile": 1.609344, "mi": 1.609344}
BEARINGS = {"north": 0, "northeast": 45, "east": 90, "southeast": 135, "south": 180,
            "southwest": 225, "west": 270, "northwest": 315}
DISTANCE_BONUS = 0.8
MAX_BEARING_ERROR = 60.0  # degrees: "north" in news often means north-west or north-east

_PHRASE = re.compile(
    r"""\A[\s,(—–-]{0,4}
    (?:(?:a|an|the)\s+(?:\w+\s+){0,2}?)?
    (?:(?:about|some|around|roughly|approximately|nearly|almost|just|over|under|only)\s+)?
    (?P<number>\d+(?:[.,]\d+)?)\s*-?\s*(?P<unit>kilomet(?:er|re)s?|km|miles?|mi)\b
    (?:\s*\([^)]{1,20}\))?\s*
    (?P<direction>(?:north|south)?-?\s?(?:east|west)?|north|south)?
    (?:ward)?\s*(?:of|from)\s+(?:the\s+)?(?:(?:city|town|centre|center)\s+(?:of\s+)?(?:the\s+)?)*
    """, re.IGNORECASE | re.VERBOSE)


@dataclass(frozen=True)
class RelativePosition:
    """The text says the target mention lies `km` from a reference point."""

    text: str
    km: float
    bearing: float | None
    reference_name: str
    reference: tuple[float, float]

    def fit(self, place: Place) -> tuple[str, float] | None:
        """A bonus when the candidate sits where the phrase says; None when not."""
        actual = great_circle(self.reference, (place.lat, place.lon)).km
        tolerance = max(10.0, 0.25 * self.km)
        error = abs(actual - self.km)
        if error > tolerance:
            return None
        if self.bearing is not None and actual > 2:
            bearing = _bearing(self.reference, (place.lat, place.lon))
            if _angle(bearing, self.bearing) > MAX_BEARING_ERROR:
                return None
        return (f"{self.text} (candidate is {actual:.0f} km away)",
                round(DISTANCE_BONUS * (1 - error / tolerance / 2), 4))


def _bearing(origin: tuple[float, float], target: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*origin, *target))
    x = math.sin(lon2 - lon1) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return math.degrees(math.atan2(x, y)) % 360


def _angle(a: float, b: float) -> float:
    diff = abs(a - b) % 360
    return min(diff, 360 - diff)


def _direction(text: str | None) -> float | None:
    if not text:
        return None
    word = re.sub(r"[\s-]", "", text.lower())
    return BEARINGS.get(word)


def relative_positions(mentions: list[Mention], options: list[list[Place]],
                       best: Callable[[list[Place]], Place]) -> dict[int, RelativePosition]:
    """For each mention index, the distance phrase that places it.

    `best` picks the reference's most likely place from its candidates.
    """
    found: dict[int, RelativePosition] = {}
    for i, mention in enumerate(mentions):
        sentence_end = mention.sentence_start + len(mention.sentence)
        offset = mention.end - mention.sentence_start
        match = _PHRASE.match(mention.sentence[offset:])
        if not match:
            continue
        phrase_end = mention.end + match.end()
        for j in range(i + 1, len(mentions)):
            reference = mentions[j]
            if reference.start >= sentence_end or reference.start > phrase_end + 2:
                break
            if reference.start >= phrase_end and options[j]:
                place = best(options[j])
                km = float(match["number"].replace(",", ".")) * KM_PER_UNIT[match["unit"].lower()]
                text = mention.sentence[offset + match.start("number"):
                                        reference.end - mention.sentence_start]
                found[i] = RelativePosition(
                    text=" ".join(text.split()), km=km, bearing=_direction(match["direction"]),
                    reference_name=place.name, reference=(place.lat, place.lon))
                break
    return found


_UNNAMED = re.compile(
    r"""\b(?:a|an|one)\s+(?P<head>village|town|settlement|city|hamlet)\s+
    (?:(?:about|some|around|roughly|approximately|nearly|just|only)\s+)?
    (?:(?P<number>\d+(?:[.,]\d+)?)\s*-?\s*(?P<unit>kilomet(?:er|re)s?|km|miles?|mi)\s+)?
    (?P<direction>(?:north|south)?-?(?:east|west)?|north|south)\s+(?:of|from)\s+(?:the\s+)?""",
    re.IGNORECASE | re.VERBOSE)
ASSUMED_KM = 10.0  # "a town south of Mariupol": how far is not said


def unnamed_places(mentions: list[Mention],
                   places: list[Place | None]) -> list[tuple[Mention, Place]]:
    """Places the text describes but does not name ("a town 20 km south of
    Mariupol"), put where the phrase says relative to the named place and
    marked approximate. `places` are the mentions' resolved places."""
    found = []
    for reference, place in zip(mentions, places):
        if place is None:
            continue
        before = reference.sentence[:reference.start - reference.sentence_start]
        # The phrase ends in "of", "from" or "the" right before the name: a
        # look at the last word spares most names the search.
        if not (before[-1:].isspace()
                and before.rstrip()[-4:].lower().endswith(("of", "from", "the"))):
            continue
        matches = list(_UNNAMED.finditer(before))
        match = matches[-1] if matches else None  # the phrase right before the name
        if match is None or match.end() != len(before) or _direction(match["direction"]) is None:
            continue
        bearing = _direction(match["direction"])
        km = (float(match["number"].replace(",", ".")) * KM_PER_UNIT[match["unit"].lower()]
              if match["number"] else ASSUMED_KM)
        point = distance(kilometers=km).destination((place.lat, place.lon), bearing)
        start = reference.sentence_start + match.start()
        text = reference.sentence[match.start():reference.end - reference.sentence_start]
        head = match["head"].lower()
        mention = Mention(doc_id=reference.doc_id, text=text, start=start, end=reference.end,
                          sentence=reference.sentence, sentence_start=reference.sentence_start,
                          label="DISTANCE", name=text, designator="approximate",
                          sentence_words=reference.sentence_words)
        found.append((mention, Place(
            id=f"approx:{place.id}:{match['direction'].lower()}:{km:g}",
            name=f"{head} {' '.join(text.split()[2:])}".strip(),
            lat=round(point.latitude, 5), lon=round(point.longitude, 5),
            feature_class="P", feature_code="APPROX", country=place.country,
            admin1=place.admin1, population=0)))
    return found
