"""The seeds' map in a real headless Chromium, with the network shut off."""

import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from geomap.cli import main

from conftest import SEEDS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI must run the browser tests: install Debian's chromium (.ci/run does)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")

OFFLINE_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # No name resolves and no proxy answers: any request off the page fails.
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
]


def rendered_dom(page, profile):
    run = subprocess.run(
        [CHROMIUM, *OFFLINE_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def test_seed_map_draws_every_place_offline(tmp_path):
    page = tmp_path / "map.html"
    result = CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(page)])
    assert result.exit_code == 0, result.output
    places = int(re.search(r"(\d+) places", result.output).group(1))
    dom = rendered_dom(page, tmp_path / "profile")
    markers = re.findall(r'<path[^>]*class="[^"]*geomap-marker', dom)
    assert len(markers) == places
    summary = re.search(r'id="geomap-summary"[^>]*>(.*?)</div>', dom, re.S).group(1)
    assert f"2 documents · {places} places" in re.sub(r"<[^>]+>", "", summary)
