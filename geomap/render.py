"""The map: one self-contained Folium/Leaflet HTML file that works offline.

Folium builds the page and the Leaflet map; Leaflet itself is inlined from the
XStatic-Leaflet package (PyPI) instead of linked from a CDN, so the file opens
with no network. Places and incidents travel as one JSON blob that
geomap/static/map.js turns into markers and popups with DOM text nodes: no
article text is ever parsed as HTML.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from geomap.incidents import SAFE_URL_SCHEMES, PlaceIncidents

UKRAINE_CENTER = (48.6, 31.2)
ATTRIBUTION = ('Places: <a href="https://www.geonames.org/">GeoNames</a> (CC BY 4.0)')

# Region-level places cover an area: drawn as a wide translucent circle, not a pin.
AREA_KINDS = {"oblast", "raion", "water", "region"}
STYLES = {
    "settlement": {"colour": "#c0392b", "radius": 5, "weight": 2, "fill_opacity": 0.75},
    "facility": {"colour": "#8e44ad", "radius": 5, "weight": 2, "fill_opacity": 0.75},
    "other": {"colour": "#566573", "radius": 5, "weight": 2, "fill_opacity": 0.75},
    "area": {"colour": "#e67e22", "radius": 18, "weight": 1, "fill_opacity": 0.15, "dash": "4 4"},
    "water": {"colour": "#2471a3", "radius": 18, "weight": 1, "fill_opacity": 0.15, "dash": "4 4"},
    "geocoded": {"colour": "#17a589", "radius": 5, "weight": 2, "fill_opacity": 0.4, "dash": "3 3"},
    "approximate": {"colour": "#b7950b", "radius": 9, "weight": 2, "fill_opacity": 0.25,
                    "dash": "2 4"},
}

# Leaflet 1.9.3 as released, from the XStatic-Leaflet wheel; checked so that a
# changed file can never slip into the maps unnoticed.
LEAFLET_ASSETS = {
    "leaflet.js": "5819285cec137b229c94e1ee5ad73e8b6b84345a4367d60f75fe477fe0fb7b03",
    "leaflet.css": "90b693d86392a4779c861b28cf307e7e59c3fb35328c4d8b95f58f814d38c722",
}


def _leaflet_dir() -> Path:
    import xstatic.pkg.leaflet

    return Path(xstatic.pkg.leaflet.BASE_DIR)


def _verified(path: Path) -> str:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    expected = LEAFLET_ASSETS[path.name]
    if digest != expected:
        raise RuntimeError(f"{path}: unexpected content (sha256 {digest}); reinstall "
                           "XStatic-Leaflet at the version pinned in pyproject.toml")
    return data.decode("utf-8")


def _inline_images(css: str, base: Path) -> str:
    """Leaflet's CSS refers to images/*.png; embed them so nothing is fetched."""
    def data_uri(match: re.Match) -> str:
        image = (base / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(image).decode('ascii')})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


def _static(name: str) -> str:
    return (resources.files("geomap") / "static" / name).read_text(encoding="utf-8")


def script_safe_json(value: object) -> str:
    """JSON that cannot end or confuse the <script> element it sits in."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def style_of(group: PlaceIncidents) -> str:
    if group.source in ("geocoder", "approximate"):
        return "geocoded" if group.source == "geocoder" else "approximate"
    kind = group.place.kind
    if kind == "water":
        return "water"
    if kind in AREA_KINDS:
        return "area"
    return kind if kind in STYLES else "other"


def map_data(groups: list[PlaceIncidents], documents: int) -> dict:
    """What map.js draws: places with incidents, and the documents they cite."""
    doc_index: dict[tuple, int] = {}
    docs, places = [], []
    for group in groups:
        place, incidents = group.place, []
        for incident in group.incidents:
            key = (incident.doc_id, incident.title, incident.source, incident.date, incident.link)
            if key not in doc_index:
                doc_index[key] = len(docs)
                docs.append({"title": incident.title, "source": incident.source,
                             "date": incident.date, "link": incident.link,
                             "link_is_url": incident.link.lower().startswith(SAFE_URL_SCHEMES)})
            incidents.append({"doc": doc_index[key], "sentence": incident.sentence,
                              "names": list(incident.names)})
        places.append({"id": place.id, "name": place.name, "kind": place.kind,
                       "admin1": place.admin1, "country": place.country,
                       "lat": place.lat, "lon": place.lon, "located_by": group.source,
                       "style": style_of(group), "incidents": incidents})
    dates = sorted(d["date"] for d in docs if d["date"])
    return {
        "places": places, "documents": docs, "styles": STYLES, "attribution": ATTRIBUTION,
        "summary": {"documents": documents, "places": len(places),
                    "incidents": sum(len(p["incidents"]) for p in places),
                    "dates": f"{dates[0]} – {dates[-1]}" if dates else "undated"},
    }


class OfflineMap(folium.Map):
    """A folium Map whose Leaflet comes inlined instead of from CDNs."""

    default_js: list = []
    default_css: list = []


class IncidentLayer(MacroElement):
    """Inlines Leaflet, geomap's script and style, and the data; draws the places."""

    _template = Template("""
{% macro header(this, kwargs) %}
<style>{{ this.css }}</style>
<script>{{ this.js }}</script>
{% endmacro %}
{% macro html(this, kwargs) %}
<script type="application/json" id="geomap-data">{{ this.data }}</script>
{% endmacro %}
{% macro script(this, kwargs) %}
geomap.render({{ this._parent.get_name() }},
              JSON.parse(document.getElementById("geomap-data").textContent));
{% endmacro %}
""")

    def __init__(self, data: dict):
        super().__init__()
        self._name = "IncidentLayer"
        leaflet = _leaflet_dir()
        self.css = _inline_images(_verified(leaflet / "leaflet.css"), leaflet) + _static("map.css")
        self.js = _verified(leaflet / "leaflet.js") + "\n" + _static("map.js")
        self.data = script_safe_json(data)

    def render(self, **kwargs):
        figure = self.get_root()
        module = self._template.module
        figure.header.add_child(Element(module.header(self, kwargs)), name="geomap_assets")
        figure.html.add_child(Element(module.html(self, kwargs)), name="geomap_data")
        figure.script.add_child(Element(module.script(self, kwargs)), name=self.get_name())


@contextmanager
def deterministic_ids() -> Iterator[None]:
    """Number Folium elements in creation order instead of giving them random ids."""
    counter = itertools.count()
    original = Element.__dict__["_generate_id"]
    Element._generate_id = classmethod(lambda cls: f"{next(counter):06d}")
    try:
        yield
    finally:
        Element._generate_id = original


def render_map(groups: list[PlaceIncidents], documents: int) -> str:
    """The whole map page as HTML; the same input gives the same bytes."""
    with deterministic_ids():
        fmap = OfflineMap(location=UKRAINE_CENTER, zoom_start=6, tiles="OpenStreetMap",
                          control_scale=True)
        IncidentLayer(map_data(groups, documents)).add_to(fmap)
        return fmap.get_root().render()
