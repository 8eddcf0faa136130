"""Maps in a real headless Chromium with every network request refused
(tests/mapview.py): offline use, hostile text, large results, counts and
accessibility."""

import hashlib
import json
import re

import pytest
from click.testing import CliRunner
from mapview import ARTIFACTS, Page, build, needs_chromium

from geomap.cli import cli

from conftest import SEEDS

pytestmark = needs_chromium
HOSTILE = "</script><script>window.pwned=1</script> \"q\" 'a' `b` ${c} \\d <img src=x onerror=window.pwned=2>"


def test_seed_map_works_offline_with_popups_filters_and_no_requests(browser, tmp_path):
    path, output = build(tmp_path, SEEDS)
    places = int(re.search(r"(\d+) places", output).group(1))
    view = Page(browser, path)
    page = view.page
    assert view.drawn() == places
    assert f"2 documents · {places} places" in view.summary()

    popup = view.open_popup("Yavoriv")
    text = popup.inner_text()
    assert "airstrike in a military base in Yavoriv" in text
    assert "NewsNation" in text and "2022-03-15" in text
    assert popup.locator("mark").first.inner_text() == "Yavoriv"

    page.wait_for_timeout(500)  # the popup fades in
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "seeds-map.png"))

    view.close_popup()
    view.reset_view()
    before = view.drawn()
    page.locator('input[name="type"][value="attack"]').uncheck()
    after = view.drawn()
    assert 0 < after < before
    assert f"{after} places" in view.summary()
    page.locator('input[name="type"][value="attack"]').check()
    assert view.drawn() == before

    page.locator('input[name="source"][value="NewsNation"]').uncheck()
    only_second_seed = view.drawn()
    assert 0 < only_second_seed < before  # the undated seed has no source: "unknown source"

    assert view.errors == []
    assert [url for url in view.requests if not url.startswith(("file:", "data:"))] == []
    view.context.close()


XSS_PAYLOADS = [
    "<script>window.pwned='script'</script>",
    "</script><script>window.pwned='close'</script>",
    "<img src=x onerror=\"window.pwned='img'\">",
    "<svg onload=window.pwned='svg'>",
    "\"><a href=javascript:window.pwned='attr'>click</a>",
    "`${window.pwned='template'}`",
    "\\u003cscript\\u003ewindow.pwned='escaped'\\u003c/script\\u003e",
    "<!--",
    "\u202eevil\u202c \u2028 \u2029 zero\u200bwidth",
]


def test_a_corpus_of_xss_payloads_never_runs_and_stays_visible(browser, tmp_path):
    records = [{"id": f"x{n}", "title": payload, "source": f"src{n} {payload}",
                "date": "2023-01-02", "url": url,
                "text": f"Missiles hit Lviv on Monday. {payload}"}
               for n, (payload, url) in enumerate(zip(
                   XSS_PAYLOADS, ["javascript:window.pwned='url'", "data:text/html,<script>",
                                  "vbscript:x", "JAVASCRIPT:x", "https://example.org/ok?q=<b>",
                                  "", "file:///etc/passwd", "//evil.example", "http://ok"]))]
    source = tmp_path / "payloads.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    hostile_name = tmp_path / "<img src=x onerror=window.pwned=1>.txt"
    hostile_name.write_text("Drones hit Odesa overnight.")
    path, _output = build(tmp_path, source, hostile_name)
    view = Page(browser, path)
    page = view.page
    popup = view.open_popup("Lviv")
    text = popup.inner_text()
    for payload in XSS_PAYLOADS[:7]:
        assert payload in text
    links = popup.locator("a")
    assert sorted(links.evaluate_all("els => els.map(e => e.href)")) == [
        "http://ok/", "https://example.org/ok?q=%3Cb%3E"]
    view.close_popup()
    odesa = view.open_popup("Odesa", has_text="Drones hit Odesa")
    assert "<img src=x onerror=window.pwned=1>.txt" in odesa.inner_text()
    assert page.evaluate("window.pwned") is None
    assert view.errors == []
    view.context.close()


def test_hostile_titles_and_sentences_show_as_text_and_never_run(browser, tmp_path):
    source = tmp_path / "hostile.jsonl"
    source.write_text(json.dumps({
        "id": "x1", "title": HOSTILE, "source": HOSTILE, "date": "2023-01-02",
        "url": "javascript:window.pwned=3",
        "text": f"Missiles hit Lviv on Monday. {HOSTILE}"}) + "\n")
    path, _output = build(tmp_path, source)
    view = Page(browser, path)
    page = view.page
    assert page.evaluate("window.pwned") is None
    text = view.open_popup("Lviv").inner_text()
    assert "window.pwned=1" in text and "`b` ${c} \\d" in text and "<img src=x" in text
    assert page.locator(".leaflet-popup-content a").count() == 0  # javascript: is never a link
    assert page.evaluate("window.pwned") is None
    assert view.errors == []
    view.context.close()


def test_a_large_result_draws_a_heatmap_of_all_incidents_offline(browser, tmp_path, monkeypatch):
    import geomap.render as render

    monkeypatch.setattr(render, "AGGREGATE_ABOVE", 5)
    monkeypatch.setattr(render, "LATEST_PER_PLACE", 2)
    days = range(1, 8)
    source = tmp_path / "wire.jsonl"
    source.write_text("".join(json.dumps({
        "id": f"w{day}", "date": f"2023-03-0{day}", "source": "Wire",
        "text": "Missiles hit Kharkiv on Monday. Drones hit Kharkiv overnight. "
                "Shelling damaged homes in Odesa."}) + "\n" for day in days))
    path, output = build(tmp_path, source)
    assert "2 places" in output
    view = Page(browser, path)
    page = view.page
    assert "the heatmap counts them all" in view.summary()
    heat = page.locator("canvas.leaflet-heatmap-layer")
    assert heat.count() == 1
    painted = heat.evaluate("""c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                                      let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""")
    assert painted > 500
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("Heatmap of incidents").uncheck()
    assert heat.count() == 0
    assert view.errors == []
    assert [url for url in view.requests if not url.startswith(("file:", "data:"))] == []
    view.context.close()


def test_hostile_extraction_records_and_huge_fields_keep_the_map_usable(browser, tmp_path):
    source = tmp_path / "news.jsonl"
    byline = "By " + ", ".join(f"Reporter Number {n}" for n in range(25))  # about 400 characters
    title = "".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(32_000))  # 2 MB
    source.write_text("".join(json.dumps(record) + "\n" for record in [
        {"id": "a", "source": "__proto__", "text": "Missiles hit Kharkiv on Monday."},
        {"id": "b", "source": byline, "title": title,
         "text": "Drones hit Lviv. Shelling hit Sumy. Sirens in Odesa. Strikes on Dnipro."}]))
    extraction = tmp_path / "x.jsonl"
    result = CliRunner().invoke(cli, ["extract", str(source), "--format", "documents", "-o",
                                      str(extraction), "--no-cache", "-q", "--model", "none"])
    assert result.exit_code == 0, result.output
    first, second = map(json.loads, extraction.read_text().splitlines())
    # An oblast called "__proto__", as a crafted record may say.
    first["resolutions"][0]["place"].update(name="__proto__", feature_class="A",
                                            feature_code="ADM1")
    extraction.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    path = tmp_path / "map.html"
    result = CliRunner().invoke(cli, ["build", "--from-extract", str(extraction), "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size < 1_500_000  # the 2 MB title is carried clipped
    view = Page(browser, path)
    page = view.page
    assert view.errors == []
    assert "5 places" in view.summary()
    panel = page.locator(".geomap-panel").bounding_box()
    assert panel["width"] <= 300  # the byline is clipped, not stretched over the map
    zoom = page.locator(".leaflet-control-zoom-in")
    assert zoom.is_visible()
    zoom.click()  # not covered by the panel
    popup = view.open_popup("Lviv")
    assert title[:299] in popup.inner_text() and title[:301] not in popup.inner_text()
    assert view.errors == []
    view.context.close()


def test_counts_show_their_words_totals_and_any_type_filter(browser, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text(
        "Russian missiles struck Odesa on Monday, killing two people and injuring 14.\n\n"
        "Shelling hit Kherson, and 3 people were killed.\n\n"
        "Shelling hit Kherson, and 3 people were killed.\n\n"  # a repeated lede
        "Ukrainian troops repelled an assault near Bakhmut.\n", encoding="utf-8")
    path, _output = build(tmp_path, article)
    view = Page(browser, path)
    page = view.page
    # Totals, said to be as reported.
    assert "5 killed, 14 injured (as reported, not verified)" in view.summary()
    # Only "casualties" switched on: the incidents typed attack first, casualties
    # second, are still shown.
    for t in page.locator('input[name="type"]').all():
        if t.get_attribute("value") != "casualties":
            t.uncheck()
    assert "2 places" in view.summary() and "0 incidents" not in view.summary()
    popup = view.open_popup("Odesa")
    text = popup.inner_text()
    assert "Reported here: 2 killed, 14 injured" in text
    assert "2 killed" in text and "14 injured" in text
    evidence = popup.locator(".geomap-evidence").all_inner_texts()
    assert "killing two people" in evidence and "injuring 14" in evidence
    view.close_popup()
    kherson = view.open_popup("Kherson", has_text="Kherson Oblast")
    # The repeated sentence is one report.
    assert kherson.locator(".geomap-report").count() == 1
    assert "Reported here: 3 killed" in kherson.inner_text()
    assert view.errors == []
    view.context.close()


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_the_map_has_no_accessibility_findings(browser, tmp_path, width, height):
    from axe_playwright_python.sync_playwright import Axe

    path, _output = build(tmp_path, SEEDS)
    view = Page(browser, path, width=width, height=height, reduced_motion="reduce")
    page = view.page

    def axe_findings():
        """Every finding, serious or not, but Folium's viewport setting (which
        keeps pinching on a phone for the map's own zoom)."""
        findings = Axe().run(page).response["violations"]
        return [(f["id"], f["impact"], [n["target"] for n in f["nodes"]][:3]) for f in findings
                if f["id"] != "meta-viewport"]

    # As it opens; with the panel unfolded; with a popup open (its type
    # badges' colours); with the search box listing matches.
    assert axe_findings() == []
    if page.locator("#geomap-filters").is_hidden():
        page.get_by_role("button", name="Filters and legend").click()
        assert axe_findings() == []
        page.get_by_role("button", name="Hide filters").click()
    popup = view.open_popup("Kharkiv")
    assert popup.locator(".geomap-type").count() >= 2
    assert axe_findings() == []
    view.close_popup()
    page.get_by_role("combobox").press_sequentially("Kh")
    assert page.get_by_role("option").count() >= 2
    assert axe_findings() == []
    assert page.title() == "geomap: incidents by place"
    assert page.locator("html").get_attribute("lang") == "en"
    view.context.close()
