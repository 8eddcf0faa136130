"""Map figures: 10,000 and 50,000 synthetic incidents over 5,000 places, in one run.

    python benchmarks/bench_map.py [--incidents 10000 50000]

For each size, prints the render-stage time and HTML size of geomap's map
next to a plain Folium map with one folium.Marker and popup per incident
(their ratio is the figure to compare between runs: absolute times on a
shared VM are noise), and the time until geomap's page is usable in
headless Chromium with the network refused, median of 3: its places drawn
and a name typed into the search box listed.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PLACES = 5000
INCIDENTS = (10_000, 50_000)
SEED = 20220224

TEMPLATES = [
    "Russian artillery shelled {place} on {day}, damaging several homes, officials said.",
    "At least {n} civilians were killed in a missile strike on {place}, the governor said.",
    "{n} people were evacuated from {place} as fighting intensified nearby.",
    "A drone attack on {place} cut power and water to thousands of residents.",
    "Ukrainian troops advanced near {place} and recaptured positions, the general staff said.",
    "A fire broke out at a warehouse in {place} after the explosion.",
]
SOURCES = ["Reuters", "AP", "Kyiv Independent", "Ukrainska Pravda", "BBC", "NewsNation"]


def synthetic_groups(incidents: int):
    from geomap.gazetteer import Place
    from geomap.incidents import Incident, PlaceIncidents, Report, incident_types

    rng = random.Random(SEED)
    groups = []
    for p in range(PLACES):
        place = Place(10_000_000 + p, f"Village {p}", round(rng.uniform(44.5, 52.0), 5),
                      round(rng.uniform(22.5, 40.0), 5), "P", "PPL", "UA", "Donetsk Oblast", 0)
        groups.append(PlaceIncidents(place, "gazetteer"))
    for i in range(incidents):
        group = groups[i % PLACES]
        template = rng.choice(TEMPLATES)
        sentence = template.format(place=group.place.name, day=rng.choice(["Monday", "Tuesday"]),
                                   n=rng.randint(2, 40))
        words = tuple((w.lower(), w.lower().strip(".,")) for w in sentence.split())
        date = f"2022-{rng.randint(3, 12):02d}-{rng.randint(1, 28):02d}"
        source = rng.choice(SOURCES)
        report = Report(sentence, (group.place.name,), f"doc-{i // 3}", i // 3,
                        f"news/{i // 3}.txt", f"Article {i // 3}", source, date,
                        f"https://example.org/news/{i // 3}", 0)
        group.incidents.append(Incident(incident_types(words), date, "document", {}, [report]))
    return groups


def geomap_build(groups, out: Path) -> float:
    from geomap.output_files import write_set
    from geomap.render import render_map

    incidents = sum(len(group.incidents) for group in groups)
    start = time.perf_counter()
    write_set({out: render_map(groups, incidents // 3)}, lambda _line: None)
    return time.perf_counter() - start


def naive_build(groups, out: Path) -> float:
    import folium
    from markupsafe import escape

    start = time.perf_counter()
    fmap = folium.Map(location=(48.6, 31.2), zoom_start=6)
    for group in groups:
        for incident in group.incidents:
            report = incident.reports[0]
            html = f"<b>{escape(group.place.name)}</b><br>{escape(report.sentence)}<br>" \
                   f"{escape(report.source)} {report.doc_date}"
            folium.Marker((group.place.lat, group.place.lon),
                          popup=folium.Popup(html, max_width=300)).add_to(fmap)
    fmap.save(str(out))
    return time.perf_counter() - start


def time_to_usable(page: Path, runs: int = 3) -> float:
    """Median seconds from opening the page to its places drawn and a typed
    name's matches listed."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.route("http*://**", lambda route: route.abort())
            tab = context.new_page()
            start = time.perf_counter()
            tab.goto(page.as_uri())
            tab.wait_for_selector(".geomap-marker, .marker-cluster", timeout=120_000)
            tab.locator("#geomap-summary").wait_for()
            tab.get_by_role("combobox").press_sequentially("Village 42")
            tab.get_by_role("option").first.wait_for()
            times.append(time.perf_counter() - start)
            context.close()
        browser.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, nargs="+", default=list(INCIDENTS))
    args = parser.parse_args()
    has_chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not has_chromium:
        print("time to a usable page: skipped, no Chromium", file=sys.stderr)
    for incidents in args.incidents:
        groups = synthetic_groups(incidents)
        with tempfile.TemporaryDirectory() as tmp:
            ours, naive = Path(tmp) / "geomap.html", Path(tmp) / "naive.html"
            ours_s = geomap_build(groups, ours)
            naive_s = naive_build(groups, naive)
            ours_mb, naive_mb = ours.stat().st_size / 1e6, naive.stat().st_size / 1e6
            print(f"{incidents:,} incidents over {PLACES:,} places")
            print(f"  geomap render stage: {ours_s:.2f} s, HTML {ours_mb:.2f} MB")
            print(f"  plain folium map:    {naive_s:.2f} s, HTML {naive_mb:.2f} MB")
            print(f"  geomap is {naive_mb / ours_mb:.1f}x smaller and builds in "
                  f"{ours_s / naive_s:.2f}x plain Folium's time")
            if has_chromium:
                print(f"  geomap page usable in headless Chromium (median of 3): "
                      f"{time_to_usable(ours):.2f} s")


if __name__ == "__main__":
    main()
