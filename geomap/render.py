"""The map: one self-contained Folium/Leaflet HTML file that works offline.

Folium builds the page and the Leaflet map. Leaflet and Leaflet.markercluster
are inlined from the XStatic-Leaflet packages (PyPI) instead of linked from a
CDN (and Leaflet.heat, as Folium ships it, from geomap/static), and the page
draws its own basemap (Ukraine, its oblasts, its neighbours), so the file
opens with no network and makes no request; the OpenStreetMap tiles are a
layer the user may switch on. Places and incidents travel as one gzip'd
JSON blob (base64) that geomap/static/map.js unpacks and turns into markers,
areas and popups with DOM text nodes: no article text is ever parsed as HTML.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib
import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geomap import gazetteer
from geomap.incidents import INCIDENT_TYPES, OTHER, SAFE_URL_SCHEMES, PlaceIncidents, Report
from geomap.input_files import OWN_OUTPUT_MARK
from geomap.records import place_summary

# What the page is called, and its language (for browsers and screen readers).
PAGE_TITLE = "geomap: incidents by place"
PAGE_LANGUAGE = "en"

UKRAINE_CENTER = (48.6, 31.2)
# Very large results: the page carries each place's newest incidents only.
AGGREGATE_ABOVE = 20_000
LATEST_PER_PLACE = 10
# The most of each field a page shows (the exports keep them whole): a
# 1 MB title or byline would otherwise fill the popups and the filter panel,
# and the page, once per report.
SHOWN_CHARS = {"title": 300, "source": 80, "name": 120, "sentence": 3000, "link": 2000}
ATTRIBUTION = ('Places: <a href="https://www.geonames.org/">GeoNames</a> (CC BY 4.0); '
               "boundaries: © OpenStreetMap contributors, geoBoundaries (ODbL), Natural Earth")

# Region-level places cover an area and are drawn as one (oblasts as their
# outline), not as a pin pretending to be precise.
AREA_KINDS = {"oblast", "raion", "water", "region"}
PLACE_STYLES = {"point": "a place", "area": "a region, drawn as its area",
                "geocoded": "found by the fallback geocoder",
                "approximate": "not named; approximate position"}
# Incident types: colour, the ink its symbol and label are drawn in, symbol
# (inline SVG drawn by the page's scripts), legend label. The colours are
# Okabe and Ito's palette for colour-blind readers, with a dark grey for
# "other"; the ink is whichever of black and white reads better on each.
TYPE_STYLES = {
    "attack": {"colour": "#d55e00", "ink": "#000", "symbol": "burst", "label": "attack"},
    "casualties": {"colour": "#cc79a7", "ink": "#000", "symbol": "cross", "label": "casualties"},
    "damage": {"colour": "#e69f00", "ink": "#000", "symbol": "triangle",
               "label": "damage and fire"},
    "humanitarian": {"colour": "#009e73", "ink": "#000", "symbol": "plus",
                     "label": "humanitarian"},
    "infrastructure": {"colour": "#f0e442", "ink": "#000", "symbol": "bolt",
                       "label": "infrastructure"},
    "military": {"colour": "#0072b2", "ink": "#fff", "symbol": "square", "label": "military"},
    "diplomacy": {"colour": "#56b4e9", "ink": "#000", "symbol": "ring", "label": "diplomacy"},
    OTHER: {"colour": "#4d4d4d", "ink": "#fff", "symbol": "dot", "label": "other"},
}
assert list(TYPE_STYLES) == [*INCIDENT_TYPES, OTHER]

# geomap's own scripts, in the order the page runs them (base.js says what each does).
PAGE_SCRIPTS = ("base.js", "filters.js", "popups.js", "basemap.js", "panel.js", "timeline.js",
                "search.js", "viewstate.js", "map.js")

# Leaflet 1.9.3 and Leaflet.markercluster 1.4.1 as released, from the
# XStatic-Leaflet and XStatic-Leaflet-MarkerCluster wheels; checked, so that
# a changed file can never slip into the maps unnoticed.
ASSETS = {
    ("leaflet", "leaflet.js"): "5819285cec137b229c94e1ee5ad73e8b6b84345a4367d60f75fe477fe0fb7b03",
    ("leaflet", "leaflet.css"): "90b693d86392a4779c861b28cf307e7e59c3fb35328c4d8b95f58f814d38c722",
    ("leaflet_markercluster", "leaflet.markercluster.js"):
        "58be871df61f6c512464e15db0941e63b9491bf1396a2ae3bea6f39e0854cd1c",
    ("leaflet_markercluster", "MarkerCluster.css"):
        "614dea0a98ff3f4ead74f04918f6b1d1b9ba435c25b5fc23b21a394d1e3e4d87",
    ("leaflet_markercluster", "MarkerCluster.Default.css"):
        "61258232d98d64dc2a7b1e02130d67421bc5b9bda5994eef70228ff97570c170",
}


def _asset(package: str, name: str) -> str:
    base = Path(importlib.import_module(f"xstatic.pkg.{package}").BASE_DIR)
    data = (base / name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != ASSETS[(package, name)]:
        raise RuntimeError(f"{base / name}: unexpected content (sha256 {digest}); reinstall "
                           "the XStatic packages at the versions pinned in pyproject.toml")
    text = data.decode("utf-8").replace("\r\n", "\n")  # some of Leaflet's files have CRLF
    return _inline_images(text, base) if name.endswith(".css") else text


def _inline_images(css: str, base: Path) -> str:
    """Leaflet's CSS refers to images/*.png; embed them so nothing is fetched."""
    def data_uri(match: re.Match) -> str:
        image = (base / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(image).decode('ascii')})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


def _package_text(*parts: str) -> str:
    return resources.files("geomap").joinpath(*parts).read_text(encoding="utf-8")


def encode_data(value: object) -> str:
    """The map's data as gzip'd JSON in base64: a fifth of the size, and
    nothing in it can end or confuse the <script> element it sits in."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)).decode()


def read_map_data(html: str) -> dict:
    """The data a map page carries (the inverse of encode_data), for tools and tests."""
    match = re.search(r'<script type="application/octet-stream" id="geomap-data">([^<]*)</script>',
                      html)
    if match is None:
        raise ValueError("not a geomap map: no data block")
    return json.loads(gzip.decompress(base64.b64decode(match.group(1))))


def style_of(group: PlaceIncidents) -> str:
    if group.source == "geocoder":
        return "geocoded"
    if group.source == "approximate":
        return "approximate"
    return "area" if group.place.kind in AREA_KINDS else "point"


def dominant_type(group: PlaceIncidents) -> str:
    counts = Counter(incident.type for incident in group.incidents)
    return min(counts, key=lambda kind: (-counts[kind], list(TYPE_STYLES).index(kind)))


def clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def shown_document(report: Report) -> dict:
    """What a popup shows of a report's article, each field clipped to a
    length a popup and the filter panel can hold; a link too long to be
    real is shown as text."""
    link_is_url = (report.link.lower().startswith(SAFE_URL_SCHEMES)
                   and len(report.link) <= SHOWN_CHARS["link"])
    return {"title": clipped(report.title, SHOWN_CHARS["title"]),
            "source": clipped(report.source, SHOWN_CHARS["source"]),
            "date": report.doc_date, "file": clipped(report.file, SHOWN_CHARS["link"]),
            "link": report.link if link_is_url else clipped(report.link, SHOWN_CHARS["link"]),
            "link_is_url": link_is_url}


def map_data(groups: list[PlaceIncidents], documents: int) -> dict:
    """What map.js draws: places with their incidents, and the documents they cite.

    Above AGGREGATE_ABOVE incidents the page stays light: each place carries
    its LATEST_PER_PLACE newest incidents in full and the count of the rest,
    and a heatmap of all incidents is drawn; the GeoJSON keeps everything.
    """
    total = sum(len(group.incidents) for group in groups)
    aggregated = total > AGGREGATE_ABOVE
    known_names = gazetteer.load().names_of({group.place.id for group in groups})
    doc_index: dict[tuple, int] = {}
    docs: list[dict] = []
    places = []
    for group in groups:
        place, incidents = group.place, []
        shown = group.incidents[:LATEST_PER_PLACE] if aggregated else group.incidents
        for incident in shown:
            reports = []
            for report in incident.reports:
                key = (report.doc_number, report.title, report.source, report.doc_date,
                       report.link)
                if key not in doc_index:
                    doc_index[key] = len(docs)
                    docs.append(shown_document(report))
                reports.append({"doc": doc_index[key],
                                "sentence": clipped(report.sentence, SHOWN_CHARS["sentence"]),
                                "names": [clipped(name, SHOWN_CHARS["name"])
                                          for name in report.names]})
            incidents.append({"types": list(incident.types), "date": incident.date,
                              "date_source": incident.date_source, "counts": incident.counts,
                              "evidence": {what: clipped(words, SHOWN_CHARS["sentence"])
                                           for what, words in incident.evidence.items()},
                              "reports": reports})
        shown_place = {name: clipped(value, SHOWN_CHARS["name"]) if isinstance(value, str)
                       else value for name, value in place_summary(place).items()
                       if name != "feature_code"}  # the popup says the kind instead
        # The names the search box finds the place by: the gazetteer's, and
        # the articles' as written (a geocoded place has only these).
        written = {name for incident in group.incidents for report in incident.reports
                   for name in report.names}
        names = sorted(set(known_names.get(place.id, ())) | {clipped(name, SHOWN_CHARS["name"])
                                                             for name in written})
        places.append({**shown_place, "located_by": group.source, "names": names,
                       "style": style_of(group), "type": dominant_type(group),
                       "incidents": incidents,
                       "more": len(group.incidents) - len(shown)})
    dates = sorted(i.date for g in groups for i in g.incidents if i.date)
    return {
        "places": places, "documents": docs,
        "sources": sorted({d["source"] or "unknown source" for d in docs}),
        "types": TYPE_STYLES, "type_order": list(TYPE_STYLES),
        "place_styles": PLACE_STYLES, "style_order": list(PLACE_STYLES),
        "attribution": ATTRIBUTION,
        "summary": {"documents": documents, "places": len(places), "incidents": total,
                    "first": dates[0] if dates else "", "last": dates[-1] if dates else "",
                    "aggregated": LATEST_PER_PLACE if aggregated else 0},
    }


class OfflineMap(folium.Map):
    """A folium Map whose Leaflet comes inlined instead of from CDNs, with a
    fixed name: Folium names a map's variable and element after a random id,
    which would make every page differ."""

    default_js: list = []
    default_css: list = []

    def get_name(self) -> str:
        return "map_000000"  # the name maps have had since their ids were numbered


class Html(Element):
    """HTML put in the page as it is. branca's Element would compile it as a
    Jinja template: slow over the inlined libraries, and wrong for any "{{"
    in them."""

    def __init__(self, html: str):
        super().__init__()
        self.html = html

    def render(self, **kwargs) -> str:
        return self.html


class IncidentLayer(MacroElement):
    """Inlines the libraries, geomap's script, style and data; draws everything."""

    # Each macro ends at its last tag, so the page keeps the bytes it had when
    # branca compiled these pieces as templates (which drops a final newline).
    _template = Template("""
{% macro header(this, kwargs) %}
<style>{{ this.css }}</style>
<script>{{ this.js }}</script>{% endmacro %}
{% macro html(this, kwargs) %}
<script type="application/octet-stream" id="geomap-data">{{ this.data }}</script>{% endmacro %}
{% macro script(this, kwargs) %}
geomap.render({{ this._parent.get_name() }}, document.getElementById("geomap-data"));{% endmacro %}
""")

    def __init__(self, data: dict):
        super().__init__()
        self._name = "IncidentLayer"
        self.css = "\n".join([_asset("leaflet", "leaflet.css"),
                              _asset("leaflet_markercluster", "MarkerCluster.css"),
                              _asset("leaflet_markercluster", "MarkerCluster.Default.css"),
                              _package_text("static", "map.css")])
        # Leaflet.heat only where the heatmap is drawn: on aggregated maps.
        aggregated = data["summary"]["aggregated"]
        heat = [_package_text("static", "leaflet-heat.min.js")] if aggregated else []
        self.js = "\n".join([_asset("leaflet", "leaflet.js"),
                             _asset("leaflet_markercluster", "leaflet.markercluster.js"),
                             *heat, *(_package_text("static", name) for name in PAGE_SCRIPTS)])
        basemap = json.loads(_package_text("data", "basemap.json"))
        self.data = encode_data({**data, "basemap": basemap})

    def render(self, **kwargs):
        figure = self.get_root()
        assert isinstance(figure, Figure)  # a map's root is its page
        module = self._template.module
        figure.header.add_child(Html(module.header(self, kwargs)), name="geomap_assets")
        figure.html.add_child(Html(module.html(self, kwargs)), name="geomap_data")
        figure.script.add_child(Html(module.script(self, kwargs)), name=self.get_name())


def render_map(groups: list[PlaceIncidents], documents: int) -> str:
    """The whole map page as HTML; the same input gives the same bytes."""
    fmap = OfflineMap(location=UKRAINE_CENTER, zoom_start=6, tiles=None, control_scale=True)
    IncidentLayer(map_data(groups, documents)).add_to(fmap)
    page = fmap.get_root()
    assert isinstance(page, Figure)
    page.title = PAGE_TITLE
    # Early in the head, so that a build reading a folder knows its own maps.
    page.header.add_child(Html(OWN_OUTPUT_MARK.decode()), name="generator", index=0)
    return with_language(page.render())


def with_language(html: str) -> str:
    """The page with its language on <html>, for screen readers: branca's
    page template writes a bare "<html>" line and has no setting for it."""
    if html.count("<html>\n") != 1:
        raise RuntimeError("branca's page template no longer starts with a bare <html> line: "
                           "geomap.render.with_language needs updating")
    return html.replace("<html>\n", f'<html lang="{PAGE_LANGUAGE}">\n', 1)
