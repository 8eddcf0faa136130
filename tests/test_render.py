import itertools
import re

import pytest

from geomap.documents import Document
from geomap.gazetteer import Place
from geomap.incidents import collect_incidents
from geomap.mentions import Mention
from geomap.render import TYPE_STYLES, encode_data, map_data, read_map_data, render_map
from geomap.resolve import Resolution, ResolvedDocument

LVIV = Place(702550, "Lviv", 49.83826, 24.02324, "P", "PPLA", "UA", "Lviv Oblast", 717273)
BLACK_SEA = Place(630673, "Black Sea", 43.4131, 34.29708, "H", "SEA", "", "", 0)

HOSTILE = ("</script><script>window.pwned=1</script> \"quoted\" 'single' `tick` ${x} \\back "
           "<img src=x onerror=alert(1)>")


def groups_for(title, sentence, url="", place=LVIV, source="gazetteer"):
    doc = Document("d1", sentence, title=title, source="Wire <b>", date="2022-03-15", url=url,
                   path="articles/d1.txt")
    start = sentence.index(place.name) if place.name in sentence else 0
    words = tuple((w.lower(), w.lower().strip(".")) for w in sentence.split())
    mention = Mention("d1", place.name, start, start + len(place.name), sentence, 0, "GPE",
                      sentence_words=words)
    return collect_incidents([ResolvedDocument(doc, [Resolution(mention, place, 1.0,
                                                                "only candidate", source)])])


def embedded_data(html):
    return read_map_data(html)


def test_hostile_text_stays_data_inside_the_page():
    html = render_map(groups_for(HOSTILE, f"Lviv was hit. {HOSTILE}", url="javascript:alert(1)"), 1)
    assert "window.pwned" not in html and "<img src=x" not in html  # never as markup ...
    data = embedded_data(html)
    (doc,) = data["documents"]
    assert doc["title"] == HOSTILE and doc["source"] == "Wire <b>"
    assert data["places"][0]["incidents"][0]["reports"][0]["sentence"] == f"Lviv was hit. {HOSTILE}"
    assert (doc["link"], doc["link_is_url"]) == ("articles/d1.txt", False)


def test_encoded_data_cannot_close_its_script_element():
    text = encode_data({"a": "</script><!-- & \u2028"})
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", text)
    page = f'<script type="application/octet-stream" id="geomap-data">{text}</script>'
    assert read_map_data(page) == {"a": "</script><!-- & \u2028"}


def test_page_needs_no_network():
    html = render_map(groups_for("Title", "Lviv was hit."), 1)
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+stylesheet", html)
    assert "cdn." not in html and "unpkg" not in html and "code.jquery" not in html
    assert "L.map(" in html and "geomap.render(" in html
    # Leaflet's control images are embedded rather than fetched.
    assert "url(images/" not in html and "data:image/png;base64," in html


def test_same_input_same_bytes():
    first = render_map(groups_for("Title", "Lviv was hit."), 1)
    second = render_map(groups_for("Title", "Lviv was hit."), 1)
    assert first == second


def test_map_data_lists_places_styles_and_shared_documents():
    data = map_data(groups_for("Title", "Lviv was hit.", url="https://example.org/a"), 1)
    (place,) = data["places"]
    assert (place["name"], place["admin1"], place["style"], place["lat"], place["lon"]) == (
        "Lviv", "Lviv Oblast", "point", 49.83826, 24.02324)
    assert place["type"] == "attack"
    assert place["incidents"] == [{
        "types": ["attack"], "date": "2022-03-15", "date_source": "document", "counts": {},
        "evidence": {},
        "reports": [{"doc": 0, "sentence": "Lviv was hit.", "names": ["Lviv"]}]}]
    assert data["type_order"][0] == "attack" and data["types"]["attack"]["symbol"] == "burst"
    assert data["documents"][0]["link_is_url"] is True
    assert data["summary"] == {"documents": 1, "places": 1, "incidents": 1,
                               "first": "2022-03-15", "last": "2022-03-15", "aggregated": 0}
    assert data["sources"] == ["Wire <b>"]
    assert "GeoNames" in data["attribution"] and "CC BY 4.0" in data["attribution"]


def test_places_carry_every_name_the_gazetteer_knows_for_the_search_box():
    (place,) = map_data(groups_for("Title", "Lviv was hit."), 1)["places"]
    # Other spellings, other scripts, and the name as the article wrote it.
    assert {"lviv", "lvov", "lwow", "lemberg", "львов", "львів", "Lviv"} <= set(place["names"])
    assert place["names"] == sorted(place["names"])
    geocoded = map_data(groups_for("T", "Lviv was hit.", place=Place(
        "nominatim:1", "Lviv", 49.8, 24.0, "P", "PPL", "UA", "", 0), source="geocoder"), 1)
    assert geocoded["places"][0]["names"] == ["Lviv"]  # a place the gazetteer lacks


def test_areas_and_geocoded_places_look_different():
    sea = map_data(groups_for("T", "Black Sea storms.", place=BLACK_SEA), 1)["places"][0]
    geocoded = map_data(groups_for("T", "Lviv was hit.", source="geocoder"), 1)["places"][0]
    assert sea["style"] == "area" and geocoded["style"] == "geocoded"
    assert geocoded["located_by"] == "geocoder"


def test_very_large_results_carry_each_places_newest_incidents_only(monkeypatch):
    import geomap.render as render

    groups = groups_for("Title", "Lviv was hit.")
    (group,) = groups
    group.incidents = group.incidents * 15
    monkeypatch.setattr(render, "AGGREGATE_ABOVE", 10)
    data = map_data(groups, 1)
    (place,) = data["places"]
    assert len(place["incidents"]) == render.LATEST_PER_PLACE and place["more"] == 5
    assert data["summary"]["incidents"] == 15 and data["summary"]["aggregated"] == 10
    # Only such maps carry the heatmap's script; small ones stay as they were.
    assert "Leaflet.heat" in render_map(groups, 1)
    monkeypatch.setattr(render, "AGGREGATE_ABOVE", 20)
    assert "Leaflet.heat" not in render_map(groups, 1)


def test_the_page_has_a_title_and_a_language():
    html = render_map(groups_for("Title", "Lviv was hit."), 1)
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n'
                           "<title>geomap: incidents by place</title>")
    # The map still says it is geomap's own, early in the head.
    assert '<meta name="generator" content="geomap">' in html[:300]


def test_a_changed_page_template_is_noticed():
    # with_language edits branca's page template's bare <html> line: if branca
    # changes it, the build says so rather than writing a page without a language.
    from geomap.render import with_language

    with pytest.raises(RuntimeError, match="with_language needs updating"):
        with_language('<!DOCTYPE html>\n<html class="x">\n<head></head></html>')


# Readers with deuteranopia or protanopia (full severity, Machado et al.'s
# simulation) must still tell every two incident types apart: a colour
# difference of at least this much in CAM02-UCS, where 1 is about the least
# one can see side by side. The palette before this change had pairs at 2.4.
MIN_TYPE_DIFFERENCE = 12


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:  # "#fff"
        digits = "".join(digit * 2 for digit in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("deficiency", ["deuteranomaly", "protanomaly"])
def test_incident_types_stay_apart_for_colour_blind_readers(deficiency):
    import numpy as np
    from colorspacious import cspace_convert, deltaE

    def seen(hex_colour):
        rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
        space = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
        return np.clip(cspace_convert(rgb, space, "sRGB1"), 0, 1)

    closest = min((deltaE(seen(TYPE_STYLES[a]["colour"]), seen(TYPE_STYLES[b]["colour"]),
                          input_space="sRGB1"), a, b)
                  for a, b in itertools.combinations(TYPE_STYLES, 2))
    assert closest[0] >= MIN_TYPE_DIFFERENCE, closest
    symbols = [style["symbol"] for style in TYPE_STYLES.values()]
    assert len(set(symbols)) == len(symbols)  # shapes tell them apart too


def test_type_labels_and_symbols_are_legible_on_their_colour():
    for kind, style in TYPE_STYLES.items():
        # Badge text (WCAG AA for small text) and the symbols drawn in the same ink.
        assert contrast(style["ink"], style["colour"]) >= 4.5, kind
