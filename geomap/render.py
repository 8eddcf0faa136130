"""The map: one Folium/Leaflet HTML file with a marker per place.

Article text is untrusted. Every string is HTML-escaped, and the characters
that would end or interpolate the JavaScript template literal Folium wraps
popup HTML in (backtick, dollar, backslash) become entities too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import folium
from branca.element import Element
from markupsafe import Markup, escape

from geomap.incidents import PlaceIncidents

UKRAINE_CENTER = (48.6, 31.2)
ATTRIBUTION = ('Places: <a href="https://www.geonames.org/">GeoNames</a> (CC BY 4.0); '
               "tiles: © OpenStreetMap contributors")
# Region-level places cover an area: drawn as a wide translucent circle, not a pin.
AREA_KINDS = {"oblast", "raion", "water", "region"}
KIND_COLOURS = {
    "settlement": "#c0392b", "facility": "#8e44ad", "raion": "#d35400", "oblast": "#e67e22",
    "water": "#2471a3", "region": "#7f8c8d", "other": "#566573",
}
GEOCODED_COLOUR = "#17a589"
POPUP_MAX_HEIGHT = 300


def text(value: object) -> Markup:
    """Escape for HTML inside Folium's JS template literal."""
    return Markup(str(escape(value)).replace("`", "&#96;").replace("$", "&#36;")
                  .replace("\\", "&#92;"))


def highlighted(sentence: str, names: tuple[str, ...]) -> Markup:
    """The sentence, escaped, with each occurrence of the place's names in <mark>."""
    spans = []
    for name in names:
        start = sentence.find(name)
        while start != -1:
            spans.append((start, start + len(name)))
            start = sentence.find(name, start + len(name))
    out, position = [], 0
    for start, end in sorted(spans):
        if start < position:
            continue
        out.append(text(sentence[position:start]))
        out.append(Markup("<mark>") + text(sentence[start:end]) + Markup("</mark>"))
        position = end
    out.append(text(sentence[position:]))
    return Markup("").join(out)


def link(target: str) -> Markup:
    if target.lower().startswith(("http://", "https://")):
        return Markup('<a href="{0}" target="_blank" rel="noopener noreferrer">{1}</a>').format(
            text(target), text(target))
    return text(target)


def popup_html(group: PlaceIncidents) -> Markup:
    place = group.place
    where = ", ".join(part for part in (place.kind, place.admin1, place.country) if part)
    origin = " · located by the fallback geocoder" if group.source == "geocoder" else ""
    items = []
    for incident in group.incidents:
        meta = " · ".join(text(part) for part in (incident.date or "undated",
                                                   incident.source or "unknown source") if part)
        items.append(Markup(
            "<li><p>{sentence}</p><small>{meta}<br><i>{title}</i><br>{link}</small></li>"
        ).format(sentence=highlighted(incident.sentence, incident.names), meta=Markup(meta),
                 title=text(incident.title), link=link(incident.link)))
    return Markup(
        '<div class="geomap-popup"><b>{name}</b><br><small>{where}{origin}</small>'
        '<div style="max-height:{height}px;overflow-y:auto"><ol>{items}</ol></div></div>'
    ).format(name=text(place.name), where=text(where), origin=text(origin),
             height=POPUP_MAX_HEIGHT, items=Markup("").join(items))


@contextmanager
def deterministic_ids() -> Iterator[None]:
    """Number Folium elements in creation order instead of random ids."""
    counter = itertools.count()
    original = Element.__dict__["_generate_id"]
    Element._generate_id = classmethod(lambda cls: f"{next(counter):06d}")
    try:
        yield
    finally:
        Element._generate_id = original


def summary_html(groups: list[PlaceIncidents], documents: int) -> str:
    incidents = sum(len(g.incidents) for g in groups)
    dates = sorted(i.date for g in groups for i in g.incidents if i.date)
    span = f"{dates[0]} – {dates[-1]}" if dates else "undated"
    return str(Markup(
        '<div id="geomap-summary" style="position:fixed;bottom:24px;left:10px;z-index:1000;'
        'background:rgba(255,255,255,.92);padding:6px 10px;border-radius:4px;'
        'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        "<b>geomap</b>: {documents} documents · {places} places · {incidents} incidents · {span}"
        "<br>{attribution}</div>"
    ).format(documents=documents, places=len(groups), incidents=incidents, span=text(span),
             attribution=Markup(ATTRIBUTION)))


def render_map(groups: list[PlaceIncidents], documents: int) -> str:
    """The whole map page as HTML; same input, same bytes."""
    with deterministic_ids():
        fmap = folium.Map(location=UKRAINE_CENTER, zoom_start=6, tiles="OpenStreetMap",
                          control_scale=True)
        for group in groups:
            place = group.place
            count = len(group.incidents)
            area = place.kind in AREA_KINDS
            colour = GEOCODED_COLOUR if group.source == "geocoder" else KIND_COLOURS.get(place.kind, "#566573")
            folium.CircleMarker(
                location=(place.lat, place.lon),
                radius=(18 if area else 5) + min(count, 20),
                color=colour, weight=1 if area else 2, fill=True,
                fill_opacity=0.15 if area else 0.7,
                dash_array="4 4" if area or group.source == "geocoder" else None,
                tooltip=text(f"{place.name} ({count})"),
                popup=folium.Popup(str(popup_html(group)), max_width=420),
            ).add_to(fmap)
        fmap.get_root().html.add_child(Element(summary_html(groups, documents)))
        return fmap.get_root().render()
