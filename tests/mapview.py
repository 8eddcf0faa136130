"""A map page in a real headless Chromium with every network request refused,
for the browser tests (tests/test_browser.py, tests/test_map_screens.py).

Playwright's Python package drives Debian's /usr/bin/chromium (no browser
download). Without Chromium these tests skip with the reason; CI installs it
and must run them.
"""

import os
import re
import shutil

import pytest
from click.testing import CliRunner

from geomap.cli import cli
from geomap.render import read_map_data

from conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI must run the browser tests: install Debian's chromium (.ci/run does)")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
ARTIFACTS = REPO / "test-artifacts"


# Whether a marker's centre is the topmost thing at its point: nothing covers it.
MARKER_UNCOVERED = """marker => {
  const box = marker.getBoundingClientRect();
  const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return marker.contains(top);
}"""


class Page:
    """A map opened with the network cut off, recording requests and errors."""

    def __init__(self, browser, path, width=1300, height=900, hash="", fake_clock=False,
                 before_load="", **options):
        self.requests, self.errors = [], []
        self.places = {place["name"]: place for place in read_map_data(path.read_text())["places"]
                       if place["style"] != "area"}
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           **options)
        self.context.route(re.compile(r"^(?!file:|data:).*"), self._refuse)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        if fake_clock:  # the test moves time on with page.clock
            self.page.clock.install()
        if before_load:
            self.page.add_init_script(before_load)
        self.page.goto(path.as_uri() + hash)
        self.page.wait_for_selector("#geomap-summary")

    def _refuse(self, route):
        route.abort()

    def drawn(self):
        """How many places are drawn: markers, areas, and the places clusters hold."""
        clustered = self.page.locator(".marker-cluster span:first-child").all_inner_texts()
        return (self.page.locator(".geomap-marker, path.geomap-area").count()
                + sum(map(int, clustered)))

    def summary(self):
        return self.page.locator("#geomap-summary").inner_text()

    def at(self, name):
        """Where a place lies on the screen now."""
        place = self.places[name]
        return self.page.evaluate(
            "([lat, lon]) => { const p = map_000000.latLngToContainerPoint([lat, lon]);"
            " return [p.x, p.y]; }", [place["lat"], place["lon"]])

    def reveal(self, name):
        """A place's marker, as a reader reaches it: pressing the cluster that
        holds it (which zooms in, or spreads its markers) until it shows."""
        marker = self.page.locator(f'.geomap-marker[title="{name}"]')
        size = self.page.viewport_size
        for _attempt in range(12):
            x, y = self.at(name)
            if not (0 < x < size["width"] and 0 < y < size["height"]):
                self.centre_on(name)
                continue
            if marker.count():
                if marker.evaluate(MARKER_UNCOVERED):
                    return marker
                # Under a control: a reader drags the map to bring it out.
                self.centre_on(name)
                if marker.evaluate(MARKER_UNCOVERED):
                    return marker
            centres = self.page.locator(".marker-cluster").evaluate_all(
                "els => els.map(e => { const r = e.getBoundingClientRect();"
                " return [r.x + r.width / 2, r.y + r.height / 2]; })")
            nearest = min(range(len(centres)), key=lambda i: (centres[i][0] - x) ** 2
                          + (centres[i][1] - y) ** 2)
            self.settled_after(self.page.locator(".marker-cluster").nth(nearest).click)
        raise AssertionError(f"no marker for {name} after pressing its clusters")

    def settled_after(self, action):
        """Does `action`, then waits for the map to stop moving (at most 400 ms:
        spreading a cluster's markers moves nothing)."""
        self.page.evaluate("() => { window.geomapMoved = new Promise("
                           "done => map_000000.once('moveend', done)); }")
        action()
        self.page.evaluate("Promise.race([window.geomapMoved, "
                           "new Promise(done => setTimeout(done, 400))]).then(() => null)")

    def open_popup(self, title, has_text=None):
        """Click a place's marker; its popup, once shown and panned into view."""
        self.settled_after(self.reveal(title).click)
        popup = self.page.locator(".leaflet-popup-content", has_text=has_text)
        popup.wait_for()
        return popup

    def close_popup(self):
        self.page.locator(".leaflet-popup-close-button").click()
        self.page.locator(".leaflet-popup").wait_for(state="detached")

    # The scripts below are in braces: the map, returned, would be copied out of the page.
    def set_view(self, lat, lon, zoom):
        self.page.evaluate("([lat, lon, zoom]) => {"
                           " map_000000.setView([lat, lon], zoom, {animate: false}); }",
                           [lat, lon, zoom])
        self.page.wait_for_timeout(350)  # clusters split and merge over 0.3 s

    def reset_view(self, zoom=6):
        self.set_view(48.6, 31.2, zoom)

    def centre_on(self, name):
        place = self.places[name]
        self.page.evaluate("([lat, lon]) => { map_000000.panTo([lat, lon], {animate: false}); }",
                           [place["lat"], place["lon"]])


def build(tmp_path, *inputs):
    result = CliRunner().invoke(cli, ["build", *map(str, inputs), "-o", str(tmp_path / "map.html")])
    assert result.exit_code == 0, result.output
    return tmp_path / "map.html", result.output


