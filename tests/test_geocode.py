"""The geopy fallback against a Nominatim-like server on 127.0.0.1, started here."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from geomap.cli import cli
from geomap.geocode import GeopyGeocoder
from geomap.render import read_map_data
from geomap.resolve import GeocoderUnanswered

FOUND = [{"place_id": 7, "osm_type": "node", "osm_id": 4242, "lat": "47.5", "lon": "35.25",
          "display_name": "Zorgograd, Zaporizhzhia Oblast, Ukraine", "addresstype": "village",
          "address": {"village": "Zorgograd", "country_code": "ua"}}]


class Nominatim(BaseHTTPRequestHandler):
    """Answers /search like Nominatim, by the query: found, not found, or a fault."""

    requests: list[str] = []
    down = False  # every request fails, as when the service is down for a while

    def do_GET(self):  # noqa: N802 - the http.server API
        query = parse_qs(urlparse(self.path).query).get("q", [""])[0]
        self.requests.append(query)
        if self.down:
            return self.reply(503, b"down for maintenance")
        if query == "Busytown" and self.requests.count(query) == 1:
            return self.reply(429, b"slow down", {"Retry-After": "1"})
        if query == "Brokentown":
            return self.reply(500, b"internal error")
        if query == "Slowtown":
            time.sleep(1.5)
            return self.reply(200, json.dumps(FOUND).encode())
        if query == "Garbletown":
            return self.reply(200, b"{not json", {"Content-Type": "application/json"})
        if query in ("Zorgograd", "Busytown"):
            return self.reply(200, json.dumps(FOUND).encode())
        return self.reply(200, b"[]")

    def reply(self, status, body, headers=None):
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Nominatim.requests = []
    Nominatim.down = False
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Nominatim)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def geocoder(server, tmp_path):
    warnings = []
    coder = GeopyGeocoder(domain=server, scheme="http", timeout=0.5, min_delay=0.0,
                          max_retries=1, cache_path=tmp_path / "cache.sqlite",
                          warn=warnings.append)
    coder.warnings = warnings
    return coder


def test_found_places_come_back_with_kind_and_country_and_are_cached(geocoder):
    place = geocoder.geocode("Zorgograd")
    assert (place.name, place.lat, place.lon, place.kind, place.country) == (
        "Zorgograd", 47.5, 35.25, "settlement", "UA")
    assert place.id == "nominatim:node4242"
    assert geocoder.geocode("zorgograd") == place
    assert Nominatim.requests == ["Zorgograd"]  # the second answer came from the cache


def test_not_found_is_remembered_across_runs(geocoder, server, tmp_path):
    assert geocoder.geocode("Nowhereville") is None
    again = GeopyGeocoder(domain=server, scheme="http", min_delay=0.0,
                          cache_path=tmp_path / "cache.sqlite")
    assert again.geocode("Nowhereville") is None
    assert Nominatim.requests == ["Nowhereville"]


def test_rate_limited_request_waits_for_retry_after_then_succeeds(geocoder):
    place = geocoder.geocode("Busytown")
    assert place is not None and place.lat == 47.5
    assert Nominatim.requests.count("Busytown") >= 2


@pytest.mark.parametrize("name", ["Brokentown", "Slowtown", "Garbletown"])
def test_faults_end_unresolved_with_a_warning_and_are_not_cached(geocoder, name, tmp_path):
    with pytest.raises(GeocoderUnanswered):  # not "found nothing": a later run may succeed
        geocoder.geocode(name)
    assert len(geocoder.warnings) == 1 and name in geocoder.warnings[0]
    asked = Nominatim.requests.count(name)
    assert 1 <= asked <= 2  # bounded retries
    with pytest.raises(GeocoderUnanswered):  # not asked again in this run ...
        geocoder.geocode(name)
    assert Nominatim.requests.count(name) == asked
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        cached = db.execute("SELECT COUNT(*) FROM answer").fetchone()[0]
    assert cached == 0  # ... but not remembered either: a later run may succeed


def test_a_failing_service_is_left_alone_after_three_failures(geocoder):
    for name in ["Brokentown", "Garbletown", "Brokentown", "Slowtown"]:  # 3 distinct failures
        with pytest.raises(GeocoderUnanswered):
            geocoder.geocode(name)
    Nominatim.requests.clear()
    with pytest.raises(GeocoderUnanswered):
        geocoder.geocode("Zorgograd")
    assert Nominatim.requests == []
    assert geocoder.warnings[-1].endswith("not asking it again in this run")


ARTICLE = ("Missiles struck the city of Zorgograd, officials said in Lviv. "
           "Shelling also hit Brokentown, the governor said.")


@pytest.mark.parametrize("jobs", ["1", "2"])  # with 2, this process geocodes for the workers
def test_build_with_geocoder_maps_the_found_place_and_says_so(server, tmp_path, monkeypatch, jobs):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tmp_path / "a.txt"
    source.write_text(ARTICLE)
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(tmp_path / "map.html"),
                                       "--geocode", "--geocoder-domain", server,
                                       "--geocoder-scheme", "http", "--jobs", jobs])
    assert result.exit_code == 0, result.output
    features = {f["properties"]["name"]: f["properties"]
                for f in json.loads((tmp_path / "map.geojson").read_text())["features"]}
    assert features["Zorgograd"]["located_by"] == "geocoder"
    assert features["Lviv"]["located_by"] == "gazetteer"
    on_map = {p["name"]: p for p in read_map_data((tmp_path / "map.html").read_text())["places"]}
    assert (on_map["Zorgograd"]["located_by"], on_map["Zorgograd"]["style"]) == ("geocoder", "geocoded")
    # The server fails on Brokentown: a warning, the name unresolved, the build done.
    assert "Brokentown" in result.output and "not looked up" in result.output
    assert "unresolved place names: Brokentown (1)" in result.output


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_offline_makes_no_network_connection_at_all(tmp_path, monkeypatch, how):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    source = tmp_path / "a.txt"
    source.write_text(ARTICLE)
    args = ["build", str(source), "-o", str(tmp_path / "map.html"), "--geocode"]
    if how == "flag":
        args.append("--offline")
    else:
        monkeypatch.setenv("GEOMAP_OFFLINE", "1")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert attempts == []
    assert "unresolved place names: Brokentown (1), Zorgograd (1)" in result.output


def test_a_corrupt_cache_is_moved_aside_with_a_warning(server, tmp_path):
    cache = tmp_path / "cache.sqlite"
    cache.write_bytes(b"this is not a database" * 100)
    warnings = []
    coder = GeopyGeocoder(domain=server, scheme="http", min_delay=0.0, cache_path=cache,
                          warn=warnings.append)
    assert coder.geocode("Zorgograd").lat == 47.5
    assert len(warnings) == 1 and "moved aside" in warnings[0]
    aside = list(tmp_path.glob("cache.sqlite.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")


def test_connection_refused_leaves_the_name_unresolved(tmp_path):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    warnings = []
    coder = GeopyGeocoder(domain=f"127.0.0.1:{port}", scheme="http", timeout=0.5, min_delay=0.0,
                          max_retries=1, cache_path=tmp_path / "c.sqlite", warn=warnings.append)
    with pytest.raises(GeocoderUnanswered):
        coder.geocode("Zorgograd")
    assert "not looked up" in warnings[0]


def test_no_network_is_one_line_per_failed_name_then_the_summary(tmp_path):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = tmp_path / "a.txt"
    source.write_text("Missiles struck the city of Zorgograd, officials said in Lviv.")
    # The command itself: in-process, pytest's log capture would hide what it prints.
    result = subprocess.run(
        [sys.executable, "-m", "geomap", "build", str(source), "-o", str(tmp_path / "map.html"),
         "--geocode", "--geocoder-domain", f"127.0.0.1:{port}", "--geocoder-scheme", "http",
         "--no-cache", "--jobs", "1"],
        capture_output=True, text=True, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    # geopy's retries used to print their tracebacks here: some 140 lines for one name.
    assert result.stderr.splitlines() == [
        "geomap: warning: geocoder nominatim: 'Zorgograd' not looked up "
        "(GeocoderServiceError: [Errno 111] Connection refused)",
        f"geomap: 1 documents, 1 places, 1 incidents -> {tmp_path / 'map.html'}, "
        f"{tmp_path / 'map.geojson'}, {tmp_path / 'map.csv'}",
        "geomap: unresolved place names: Zorgograd (1)",
        "geomap: inputs: 1 processed, 0 skipped, 0 failed"]


def geocoded_build(tmp_path, domain, *extra):
    source = tmp_path / "a.txt"
    source.write_text("Missiles struck the city of Zorgograd, officials said in Lviv.")
    result = CliRunner().invoke(cli, [
        "build", str(source), "-o", str(tmp_path / "map.html"), "--geocode", "--geocoder-domain",
        domain, "--geocoder-scheme", "http", "-q", *extra])
    assert "Traceback" not in result.output
    places = [f["properties"]["name"] for f in
              json.loads((tmp_path / "map.geojson").read_text())["features"]]
    return places, result.output


def test_a_transient_failure_is_asked_again_by_the_next_run(server, tmp_path):
    Nominatim.down = True
    cache = ("--cache-dir", str(tmp_path / "cache"))
    places, output = geocoded_build(tmp_path, server, *cache)
    assert places == ["Lviv"] and "unresolved place names: Zorgograd (1)" in output
    Nominatim.down = False
    places, _output = geocoded_build(tmp_path, server, *cache)
    assert places == ["Lviv", "Zorgograd"]


def test_answers_from_one_server_are_not_reused_for_another(server, tmp_path):
    cache = ("--cache-dir", str(tmp_path / "cache"))
    places, _output = geocoded_build(tmp_path, server, *cache)
    assert places == ["Lviv", "Zorgograd"]
    with socket.socket() as probe:  # another server, which knows nothing (it is not there)
        probe.bind(("127.0.0.1", 0))
        other = f"127.0.0.1:{probe.getsockname()[1]}"
    places, output = geocoded_build(tmp_path, other, *cache)
    assert places == ["Lviv"] and "not looked up" in output


def test_no_cache_bypasses_the_geocoders_cache_too(server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    for _run in range(2):
        places, _output = geocoded_build(tmp_path, server, "--no-cache")
        assert places == ["Lviv", "Zorgograd"]
    assert Nominatim.requests == ["Zorgograd", "Zorgograd"]
    assert not (tmp_path / "user-cache").exists()
