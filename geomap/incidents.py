"""Incidents: sentences that mention a place, with their document's metadata, by place."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from geomap.documents import Document
from geomap.gazetteer import Place
from geomap.resolve import Resolution

SAFE_URL_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class Incident:
    sentence: str
    names: tuple[str, ...]  # the surface forms of the place in the sentence
    doc_id: str
    title: str
    source: str
    date: str
    link: str  # the article's http(s) URL, else the file it came from
    sentence_start: int


@dataclass
class PlaceIncidents:
    place: Place
    source: str  # "gazetteer" or "geocoder"
    incidents: list[Incident] = field(default_factory=list)


def is_pinned(place: Place) -> bool:
    """Countries and continents are recognised but get no marker of their own."""
    return place.kind != "country" and place.feature_code != "CONT"


def link_for(document: Document) -> str:
    if document.url.lower().startswith(SAFE_URL_SCHEMES):
        return document.url
    return document.path or document.id


def collect_incidents(resolved: Iterable[tuple[Document, list[Resolution]]]) -> list[PlaceIncidents]:
    """Group mentioning sentences by place; one incident per place and sentence."""
    by_place: dict[object, PlaceIncidents] = {}
    by_key: dict[tuple, Incident] = {}
    for document, resolutions in resolved:
        for resolution in resolutions:
            place = resolution.place
            if place is None or not is_pinned(place):
                continue
            mention = resolution.mention
            group = by_place.setdefault(place.id, PlaceIncidents(place, resolution.source))
            key = (place.id, document.id, mention.sentence_start)
            existing = by_key.get(key)
            if existing is not None:
                if mention.text not in existing.names:
                    updated = Incident(**{**existing.__dict__, "names": existing.names + (mention.text,)})
                    group.incidents[group.incidents.index(existing)] = updated
                    by_key[key] = updated
                continue
            incident = Incident(
                sentence=mention.sentence, names=(mention.text,), doc_id=document.id,
                title=document.title, source=document.source, date=document.date,
                link=link_for(document), sentence_start=mention.sentence_start,
            )
            group.incidents.append(incident)
            by_key[key] = incident
    groups = sorted(by_place.values(), key=lambda g: (g.place.name, str(g.place.id)))
    for group in groups:
        # Newest first; undated last; then in document and reading order.
        group.incidents.sort(key=lambda i: (i.date == "", _reverse(i.date), i.doc_id, i.sentence_start))
    return groups


def _reverse(date: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in date.split("-")) if date else ()
