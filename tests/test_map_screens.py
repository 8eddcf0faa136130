"""The map on every screen, in headless Chromium (tests/mapview.py): a phone
and a desktop, places a few km apart, the search box, the date window and
its URL, keyboard use, city labels, and the colours."""

import itertools
import json
import re

import pytest
from mapview import ARTIFACTS, MARKER_UNCOVERED, Page, build, needs_chromium

from conftest import SEEDS

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# A popup's corners and middle, and its marker's centre, must each be the
# topmost thing at their point: nothing covers them.
UNCOVERED = """popup => {
  const box = popup.querySelector(".leaflet-popup-content-wrapper").getBoundingClientRect();
  const inset = 6;
  const points = [[box.left + inset, box.top + inset], [box.right - inset, box.top + inset],
                  [box.left + inset, box.bottom - inset], [box.right - inset, box.bottom - inset],
                  [(box.left + box.right) / 2, (box.top + box.bottom) / 2]];
  return {inside: box.left >= 0 && box.top >= 0 && box.right <= innerWidth &&
                  box.bottom <= innerHeight,
          covered: points.filter(([x, y]) => !popup.contains(document.elementFromPoint(x, y)))};
}"""
# Resolves once an element has stopped moving (the map's flight and pan are over).
STILL = """element => new Promise(done => {
  let last = "";
  const check = () => {
    const now = JSON.stringify(element.getBoundingClientRect());
    if (now === last) done(); else { last = now; setTimeout(check, 150); }
  };
  check();
})"""

pytestmark = needs_chromium


def assert_popup_in_full_view(view, name):
    """The open popup of `name` lies in the window, nothing covers it or its
    marker, and its close button takes a real click."""
    page = view.page
    popup = page.locator(".leaflet-popup")
    assert name in popup.locator(".geomap-place").inner_text()
    popup.evaluate(STILL)
    seen = popup.evaluate(UNCOVERED)
    assert seen == {"inside": True, "covered": []}, name
    assert page.locator(f'.geomap-marker[title="{name}"]').evaluate(MARKER_UNCOVERED), name
    view.close_popup()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_markers_popup_opens_in_full_view(browser, tmp_path, size):
    path, _output = build(tmp_path, SEEDS)
    view = Page(browser, path, reduced_motion="reduce", **size)
    page = view.page
    panel = page.locator("#geomap-filters")
    toggle = page.get_by_role("button", name="Filters and legend")
    if size is PHONE:
        # The panel starts folded behind one button, the whole country in view.
        assert panel.is_hidden() and toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        assert panel.is_visible()
        page.get_by_role("button", name="Hide filters").click()
        assert panel.is_hidden()
    else:
        assert panel.is_visible()
    assert len(view.places) >= 10
    for name in sorted(view.places):
        view.reset_view(zoom=5 if size is PHONE else 6)
        view.open_popup(name)
        if size is PHONE:
            assert panel.is_hidden()  # a popup folds the panel away
        assert_popup_in_full_view(view, name)
    ARTIFACTS.mkdir(exist_ok=True)
    view.reset_view(zoom=5 if size is PHONE else 6)
    view.open_popup("Kharkiv")
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / f"map-{'phone' if size is PHONE else 'desktop'}.png"))
    assert view.errors == []
    view.context.close()


SUBURBS = ("Shelling hit Kyiv on Monday. Russian troops shelled Bucha, Irpin and Hostomel. "
           "A missile struck Vyshhorod, and drones hit Brovary.\n\n"
           "Artillery hit Kupiansk overnight. Shelling also damaged homes in Kivsharivka.\n")


def suburbs_map(tmp_path):
    article = tmp_path / "suburbs.txt"
    article.write_text(SUBURBS, encoding="utf-8")
    return build(tmp_path, article)[0]


def test_places_a_few_km_apart_are_each_reachable_at_every_zoom(browser, tmp_path):
    path = suburbs_map(tmp_path)
    view = Page(browser, path, reduced_motion="reduce", **DESKTOP)
    names = {"Kyiv", "Bucha", "Irpin", "Hostomel", "Vyshhorod", "Brovary", "Kupiansk",
             "Kivsharivka"}
    assert names <= set(view.places)
    for zoom, name in itertools.product([5, 7, 9, 11], sorted(names)):
        view.set_view(view.places[name]["lat"], view.places[name]["lon"], zoom)
        popup = view.open_popup(name)
        assert popup.locator(".geomap-place").inner_text() == name, (zoom, name)
        view.close_popup()
    assert view.errors == []
    view.context.close()


def test_the_search_box_finds_a_place_under_any_spelling_and_opens_it(browser, tmp_path):
    path = suburbs_map(tmp_path)
    view = Page(browser, path, **PHONE)
    page = view.page
    search = page.get_by_role("combobox", name="Find a place on the map")
    options = page.get_by_role("option")
    # A spelling the gazetteer knows, not the map's: listed as you type, with it.
    search.press_sequentially("Kupyan")
    assert options.all_inner_texts() == ["Kupiansk (kupyansk) · settlement, Kharkiv Oblast"]
    search.press("Enter")
    popup = page.locator(".leaflet-popup-content", has_text="Kharkiv Oblast")
    popup.wait_for()
    assert popup.locator(".geomap-place").inner_text() == "Kupiansk"
    assert page.evaluate("map_000000.getZoom()") >= 10
    assert_popup_in_full_view(view, "Kupiansk")
    # Cyrillic, and a choice among several matches by arrow keys.
    search.fill("")
    search.press_sequentially("Київ")
    assert options.first.inner_text().startswith("Kyiv")
    search.fill("")
    search.press_sequentially("r")
    # Each match says which other spelling matched, unless its own name did;
    # the list lies over the controls below the box.
    listed = options.all_inner_texts()
    assert "Brovary · settlement, Kyiv Oblast" in listed and len(listed) >= 4
    for option in options.all():
        assert option.evaluate("""o => { const r = o.getBoundingClientRect();
            return o.contains(document.elementFromPoint(r.left + 4, r.top + r.height / 2)); }""")
    search.fill("")
    search.press_sequentially("bro")
    assert options.first.inner_text().startswith("Brovary")
    options.first.click()
    page.locator(".leaflet-popup .geomap-place", has_text="Brovary").wait_for()
    view.close_popup()
    search.fill("Przemysl")
    assert page.locator(".geomap-no-match").inner_text() == "No place on the map by that name"
    search.press("Escape")
    assert options.count() == 0
    assert view.errors == []
    view.context.close()


def dated_reports(tmp_path, days):
    """One report a day, each from its own town: {date: town}."""
    source = tmp_path / "days.jsonl"
    source.write_text("".join(json.dumps({
        "id": f"d{n}", "date": day, "source": "Wire" if n % 2 else "Agency",
        "text": f"Missiles hit {town} on {day}."}) + "\n" for n, (day, town) in enumerate(days.items())))
    return build(tmp_path, source)[0]


def test_play_steps_the_date_window_and_the_url_keeps_the_view(browser, tmp_path):
    days = {"2023-03-01": "Kharkiv", "2023-03-02": "Odesa", "2023-03-03": "Lviv",
            "2023-03-04": "Dnipro", "2023-03-05": "Sumy"}
    path = dated_reports(tmp_path, days)
    view = Page(browser, path, fake_clock=True, **DESKTOP)
    page = view.page
    play = page.locator(".geomap-play")
    assert page.locator(".geomap-step").inner_text() == "day by day"

    def shown():
        return sorted(page.locator(".geomap-marker").evaluate_all("els => els.map(e => e.title)"))

    play.click()
    assert play.get_attribute("aria-pressed") == "true"
    assert "2023-03-01 – 2023-03-01 (of 2023-03-01 – 2023-03-05)" in view.summary()
    assert "1 places" in view.summary() and shown() == ["Kharkiv"]
    for day, town in list(days.items())[1:]:
        page.clock.run_for(1000)
        assert f"{day} – {day}" in view.summary() and shown() == [town]
    page.clock.run_for(1000)
    assert play.get_attribute("aria-pressed") == "false"  # stopped at the last day
    assert page.evaluate("location.hash").endswith("&from=2023-03-05")

    # The sliders, by keyboard: the first day back to the start shows all five.
    page.locator('input[name="from"]').focus()
    page.keyboard.press("Home")
    assert shown() == sorted(days.values())
    page.locator('input[name="type"][value="attack"]').uncheck()
    page.locator('input[name="source"][value="Wire"]').uncheck()
    view.set_view(49.5, 35.0, 8)
    link = page.evaluate("location.hash")
    assert link.startswith("#map=8/49.500/35.000")
    assert "types=" in link and "attack" not in link and "hide=Wire" in link
    view.context.close()

    # The link opens the same view: the place, the window, the filters.
    shared = Page(browser, path, hash="#map=8/49.500/35.000&from=2023-03-02&to=2023-03-04"
                                      "&hide=Wire", **DESKTOP)
    page = shared.page
    assert page.evaluate("[map_000000.getZoom(), map_000000.getCenter().lat]") == [8, 49.5]
    assert page.locator('input[name="from"]').get_attribute("aria-valuetext") == "2023-03-02"
    assert page.locator('input[name="to"]').get_attribute("aria-valuetext") == "2023-03-04"
    assert not page.locator('input[name="source"][value="Wire"]').is_checked()
    assert "1 places" in shared.summary()  # Lviv: Odesa and Dnipro are the Wire's
    shared.reset_view(zoom=5)
    assert shared.drawn() == 1
    assert shared.errors == []
    shared.context.close()


def test_a_long_date_range_plays_week_by_week(browser, tmp_path):
    path = dated_reports(tmp_path, {"2023-01-01": "Kharkiv", "2023-01-05": "Odesa",
                                    "2023-06-30": "Lviv"})
    view = Page(browser, path, fake_clock=True, **DESKTOP)
    page = view.page
    assert page.locator(".geomap-step").inner_text() == "week by week"
    page.locator(".geomap-play").click()
    assert "2023-01-01 – 2023-01-07" in view.summary() and "2 places" in view.summary()
    page.clock.run_for(1000)
    assert "2023-01-08 – 2023-01-14" in view.summary() and "0 places" in view.summary()
    view.context.close()


def test_the_map_is_usable_with_the_keyboard_alone(browser, tmp_path):
    path = suburbs_map(tmp_path)
    view = Page(browser, path, reduced_motion="reduce", **PHONE)
    page = view.page
    focused = ("() => { const e = document.activeElement; return [e.className,"
               " e.getAttribute('aria-label') || e.placeholder || e.textContent.trim()]; }")

    passed = []

    def tab_to(test, limit=40):
        for _ in range(limit):
            page.keyboard.press("Tab")
            now = page.evaluate(focused)
            passed.append(now[0])
            if test(now):
                return now
        raise AssertionError(f"not reached by Tab: {passed}")

    # The controls come first: the search box, then the panel's button.
    tab_to(lambda f: f[1] == "Find a place")
    assert len(passed) <= 2  # the map itself (arrows pan it), then the search box
    tab_to(lambda f: "geomap-panel-toggle" in f[0])
    page.keyboard.press("Space")
    assert page.locator("#geomap-filters").is_visible()
    page.keyboard.press("Enter")
    assert page.locator("#geomap-filters").is_hidden()
    # A cluster of places (the phone shows the whole country): Enter spreads
    # it, the map zooming in on them.
    cluster = tab_to(lambda f: "marker-cluster" in f[0])
    assert "places here: press to show them" in cluster[1]
    zoom = page.evaluate("map_000000.getZoom()")
    view.settled_after(lambda: page.keyboard.press("Enter"))
    assert page.evaluate("map_000000.getZoom()") > zoom
    # A marker, named for screen readers; Enter opens its popup, which takes
    # the focus; Escape closes it and gives the focus back.
    marker = tab_to(lambda f: "geomap-marker" in f[0])
    assert re.fullmatch(r"[\w ]+: \d+ incidents?, [\w ]+", marker[1]), marker
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    assert page.evaluate("document.activeElement.className") == "geomap-popup"
    page.keyboard.press("Escape")
    popup.wait_for(state="detached")
    assert page.evaluate(focused) == marker
    page.keyboard.press("Space")
    popup.wait_for()
    page.keyboard.press("Escape")
    popup.wait_for(state="detached")
    assert view.errors == []
    view.context.close()


OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll(".geomap-city, .geomap-label")]
    .map(e => [e.textContent, e.getBoundingClientRect()]);
  const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const pairs = [];
  boxes.forEach(([n, a], i) => boxes.slice(i + 1).forEach(([m, b]) => {
    if (meet(a, b)) pairs.push([n, m]);
  }));
  return pairs;
}"""


def test_cities_are_named_on_the_offline_basemap_where_they_do_not_crowd(browser, tmp_path):
    path, _output = build(tmp_path, SEEDS)
    view = Page(browser, path, reduced_motion="reduce", **DESKTOP)
    page = view.page

    def cities():
        return set(page.locator(".geomap-city").all_inner_texts())

    named = {}
    for zoom in range(4, 10):
        view.set_view(48.3, 37.5, zoom)
        assert page.evaluate(OVERLAPS) == [], zoom
        named[zoom] = cities()
    # The capital and the big cities first; towns of over 100,000 as one zooms in.
    assert {"Kyiv", "Kharkiv", "Dnipro", "Donetsk"} <= named[5]
    assert "Kramatorsk" not in named[5] and {"Kramatorsk", "Sloviansk", "Horlivka"} <= named[8]
    assert len(named[4]) < len(named[6]) < len(named[8])
    assert view.errors == []
    view.context.close()


def test_a_malformed_or_hostile_link_opens_the_whole_map(browser, tmp_path):
    path = dated_reports(tmp_path, {"2023-03-01": "Kharkiv", "2023-03-02": "Odesa"})
    hostile = ("#map=9/NaN/1e999&from=2023-02-30x&to=<img src=x onerror=window.pwned=1>"
               "&types=__proto__,constructor&hide=%3Cscript%3E&hide=__proto__")
    view = Page(browser, path, hash=hostile, **DESKTOP)
    page = view.page
    assert page.evaluate("map_000000.getZoom()") == 6  # the page's own view
    assert "2 places" in view.summary() and "2023-03-01 – 2023-03-02" in view.summary()
    # Types and sources unknown to the map are ignored.
    assert page.locator('input[name="type"]:not(:checked)').count() == 0
    assert page.locator('input[name="source"]:checked').count() == 2
    assert page.evaluate("window.pwned") is None and view.errors == []
    view.context.close()


def test_the_map_works_where_the_page_may_not_change_its_url(browser, tmp_path):
    path = dated_reports(tmp_path, {"2023-03-01": "Kharkiv", "2023-03-02": "Odesa"})
    view = Page(browser, path, before_load="history.replaceState = () => {"
                " throw new DOMException('not here', 'SecurityError'); };", **DESKTOP)
    assert "2 places" in view.summary()
    view.page.locator('input[name="source"][value="Wire"]').uncheck()
    assert "1 places" in view.summary()
    assert view.errors == []
    view.context.close()
