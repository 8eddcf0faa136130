import contextlib
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from click.testing import CliRunner
from geopy.distance import distance

from geomap.cli import cli
from geomap.gazetteer import KINDS
from geomap.render import read_map_data

from conftest import SEEDS

# GeoNames' coordinates of the places the two sample articles name.
EXPECTED_SETTLEMENTS = {
    "Kyiv": (50.45466, 30.5238), "Lviv": (49.83826, 24.02324), "Yavoriv": (49.93774, 23.38355),
    "Kharkiv": (49.98177, 36.25475), "Mariupol": (47.09514, 37.54131),
    "Zaporizhzhia": (47.85167, 35.11714), "Odesa": (46.48572, 30.74383),
    "Bucha": (50.54741, 30.20879), "Zhytomyr": (50.26235, 28.67913),
    "Ivankiv": (50.93953, 29.90205), "Chernihiv": (51.50541, 31.28656),
    "Brussels": (50.85045, 4.34878),
}
KHERSON = [(46.63695, 32.61458), (46.6758, 32.5064)]  # the city or its airport
REGION_LEVEL = {"Kharkiv Oblast": "oblast", "Sea of Azov": "water", "Black Sea": "water"}
NOT_PLACES = {"Lavrov", "Kuleba", "Vereshchuk", "Podolyak", "Medinsky", "Romanchuk",
              "Venediktova", "Konashenkov", "NATO", "AP", "Reuters", "RBC", "NewsNation",
              "Kyiv Independent", "Azov battalion", "Ukrainian", "Russian"}


@pytest.fixture(scope="module")
def seed_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(cli, ["build", str(SEEDS), "-o", str(out / "map.html")])
    assert result.exit_code == 0, result.output
    html = (out / "map.html").read_text(encoding="utf-8")
    geojson = json.loads((out / "map.geojson").read_text(encoding="utf-8"))
    data = read_map_data(html)
    return result, html, geojson, data


def near(point, places, km=10):
    return [p for p in places if distance(point, (p["lat"], p["lon"])).km <= km]


def test_seed_map_has_exactly_the_expected_places(seed_build):
    _result, _html, geojson, data = seed_build
    from_geojson = [{**f["properties"], "lat": f["geometry"]["coordinates"][1],
                     "lon": f["geometry"]["coordinates"][0]} for f in geojson["features"]]
    for markers in (data["places"], from_geojson):
        approximate = [p["name"] for p in markers if p["located_by"] == "approximate"]
        assert approximate == ["town south of Mariupol"]  # "a town south of Mariupol"
        markers = [p for p in markers if p["located_by"] != "approximate"]
        for name, point in EXPECTED_SETTLEMENTS.items():
            assert [p["name"] for p in near(point, markers)] == [name], name
        assert any(near(point, markers) for point in KHERSON)
        names = {p["name"]: p["kind"] for p in markers}
        for name, kind in REGION_LEVEL.items():
            assert names.get(name) == kind
        assert not set(names) & NOT_PLACES
        assert not {"Ukraine", "Russia", "Poland", "Belarus", "Europe"} & set(names)


def test_popups_carry_the_sentences_with_source_and_date(seed_build):
    _result, _html, geojson, _data = seed_build
    by_name = {f["properties"]["name"]: f["properties"] for f in geojson["features"]}
    (yavoriv,) = by_name["Yavoriv"]["incidents"]
    (report,) = yavoriv["reports"]
    assert "airstrike in a military base in Yavoriv" in report["sentence"]
    assert (report["source"], report["date"]) == ("NewsNation", "2022-03-16")
    assert report["link"].endswith("seeds/000_fc6a60b7b5624fe4.txt")
    # "... killed during an airstrike ... Tuesday, March 15, 2022."
    assert (yavoriv["date"], yavoriv["date_source"]) == ("2022-03-15", "sentence")
    assert {"attack", "casualties"} <= set(yavoriv["types"])
    chernihiv = by_name["Chernihiv"]["incidents"]
    assert chernihiv[0]["reports"][0]["doc"].endswith("003_6d2a1ba5d47be7a6.txt")
    assert chernihiv[0]["date"] is None  # the second seed has no date header
    mariupol_types = {i["type"] for i in by_name["Mariupol"]["incidents"]}
    assert {"attack", "humanitarian"} <= mariupol_types


def test_geojson_is_an_rfc7946_feature_collection(seed_build):
    _result, _html, geojson, _data = seed_build
    assert geojson["type"] == "FeatureCollection"
    for feature in geojson["features"]:
        assert feature["type"] == "Feature"
        lon, lat = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "Point" and -180 <= lon <= 180 and -90 <= lat <= 90
        props = feature["properties"]
        assert props["incident_count"] == len(props["incidents"]) > 0
        assert props["kind"] in set(KINDS) - {"country"}


def test_geojson_has_one_feature_per_line_to_diff_and_grep(tmp_path):
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"id": "a", "text": "Missiles hit Kharkiv and Lviv."}) + "\n")
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(tmp_path / "map.html")])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "map.geojson").read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"type": "FeatureCollection", "features": [' and lines[-1] == "]}"
    features = [json.loads(line.rstrip(",")) for line in lines[1:-1]]
    assert [f["properties"]["name"] for f in features] == ["Kharkiv", "Lviv"]


def test_build_reports_what_it_did(seed_build):
    result, html, _geojson, data = seed_build
    assert re.search(r"2 documents, \d+ places, \d+ incidents", result.output)
    assert data["summary"]["documents"] == 2
    assert "GeoNames" in data["attribution"] and "CC BY 4.0" in data["attribution"]
    assert "geoBoundaries" in data["attribution"]


def test_extract_writes_one_record_per_mention_in_the_documented_schema(tmp_path):
    source = tmp_path / "news.jsonl"
    source.write_text(json.dumps({"id": "art-1", "text": "Shelling hit Kharkiv. Missiles struck the city of Zorgograd.",
                                  "gold": []}) + "\n")
    out = tmp_path / "mentions.jsonl"
    result = CliRunner().invoke(cli, ["extract", str(source), "--format", "mentions", "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    kharkiv = next(r for r in records if r["text"] == "Kharkiv")
    assert set(kharkiv) == {"doc", "text", "start", "end", "sentence", "place", "score", "reason"}
    assert (kharkiv["doc"], kharkiv["start"], kharkiv["end"]) == ("art-1", 13, 20)
    assert set(kharkiv["place"]) == {"id", "name", "lat", "lon", "kind", "feature_code",
                                     "admin1", "country"}
    assert (kharkiv["place"]["id"], kharkiv["place"]["kind"], kharkiv["place"]["country"]) == (
        706483, "settlement", "UA")
    assert kharkiv["reason"] and 0 < kharkiv["score"] <= 1
    zorgograd = next(r for r in records if r["text"] == "Zorgograd")
    assert zorgograd["place"] is None and zorgograd["reason"] == "not in the gazetteer"
    assert "unresolved place names: Zorgograd (1)" in result.output


def test_extract_to_stdout_names_documents_by_path_and_line(tmp_path):
    source = tmp_path / "news.jsonl"
    source.write_text(json.dumps({"text": "Sirens sounded in Lviv."}) + "\n")
    result = CliRunner().invoke(cli, ["extract", str(source)])
    record = json.loads(result.stdout.splitlines()[0])
    assert record["doc"] == "news.jsonl:1" and record["place"]["name"] == "Lviv"


def test_a_bad_input_is_reported_and_the_rest_still_mapped(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Missiles hit Odesa on Monday.")
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "nope.txt"), str(good),
                                       "-o", str(tmp_path / "map.html")])
    assert result.exit_code == 1
    assert f"geomap: error: {tmp_path / 'nope.txt'}: no such file or directory" in result.output
    assert (tmp_path / "map.html").exists()
    geojson = json.loads((tmp_path / "map.geojson").read_text())
    assert [f["properties"]["name"] for f in geojson["features"]] == ["Odesa"]


def test_nothing_readable_is_a_usage_error_and_writes_nothing(tmp_path):
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "nope.txt"),
                                       "-o", str(tmp_path / "map.html")])
    assert result.exit_code == 2
    assert "no document could be read" in result.output
    assert not (tmp_path / "map.html").exists()


def test_gazetteer_lookup_lists_candidates_best_first():
    result = CliRunner().invoke(cli, ["gazetteer", "lookup", "Kharkov"])
    assert result.exit_code == 0
    first = result.output.splitlines()[0].split("\t")
    assert first[:4] == ["706483", "Kharkiv", "settlement (PPLA)", "Kharkiv Oblast"]
    assert first[4] == "49.98177,36.25475" and first[5].startswith("pop ")
    missing = CliRunner().invoke(cli, ["gazetteer", "lookup", "Zorgograd"])
    assert missing.exit_code == 1 and "no place called 'Zorgograd'" in missing.output


def test_python_dash_m_and_console_script_work_from_any_directory(tmp_path):
    module = subprocess.run([sys.executable, "-m", "geomap", "gazetteer", "lookup", "Odessa"],
                            cwd=tmp_path, capture_output=True, text=True, check=True)
    assert module.stdout.startswith("698740\tOdesa\t")
    script = Path(sys.executable).parent / "geomap"  # installed beside the interpreter
    run = subprocess.run([str(script), "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0 and "build" in run.stdout and "extract" in run.stdout


def test_explain_shows_candidates_scores_and_the_reason():
    result = CliRunner().invoke(cli, ["explain", "Shelling hit Ivanivka in the Kherson region.",
                                       "--candidates", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Ivanivka  (chars 13-21")
    assert lines[1].startswith("  -> Ivanivka (settlement; Kherson Oblast)")
    assert "oblast context: Kherson Oblast" in lines[1]
    assert lines[2].strip().startswith("1.") and "prior" in lines[2]
    # Each factor by the name of the function in geomap/resolve/factors.py that gave it.
    assert "oblast_context: oblast context: Kherson Oblast +0.55" in lines[2]
    assert "written_name: main name as written +0.30" in lines[2]
    assert lines[4].strip().startswith("... ") and "more candidates" in lines[4]
    assert any(line.startswith("Kherson region [region]") for line in lines)


def test_explain_lists_the_candidates_it_held_back():
    # Kamenets (Belarus) bears the name; the text is about the Kharkiv region.
    result = CliRunner().invoke(cli, ["explain", "Kharkiv region: not a single house survived "
                                       "in Kamyanets.", "--candidates", "5"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("Kamyanets")))
    assert lines[at + 1] == "  -> unresolved: no candidate fits what the text says"
    held_back = "\n".join(lines[at + 2:])
    assert "Kamenets (settlement, PPL; Brest Region)" in held_back
    assert "across_the_border: beyond the border, which the text does not name -1.50" in held_back
    assert "written_name: another spelling of the name -0.80" in held_back


def test_extract_explain_adds_candidates_to_each_record(tmp_path):
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"id": "a", "text": "Sirens sounded in Kyiv."}) + "\n")
    result = CliRunner().invoke(cli, ["extract", str(source), "--explain"])
    record = json.loads(result.stdout.splitlines()[0])
    assert record["candidates"][0]["id"] == 703448
    assert record["candidates"][0]["factors"] == {"main name as written": 0.3}


@pytest.mark.parametrize("options", [[], ["--explain"], ["--model", "none"]])
def test_jobs_give_the_same_output_as_one_process(tmp_path, options):
    corpus = tmp_path / "corpus.jsonl"
    texts = [(SEEDS / name).read_text() for name in sorted(p.name for p in SEEDS.iterdir())]
    # Several batches per worker, with short articles between the seeds.
    corpus.write_text("".join(json.dumps({"id": f"d{n}", "text": texts[n % 2] if n % 10 == 0 else
                                          f"Drones hit Odesa on day {n}; shelling damaged Izium."}) + "\n"
                              for n in range(70)))
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    args = ["extract", str(corpus), "--no-cache", *options]
    assert CliRunner().invoke(cli, [*args, "-o", str(one)]).exit_code == 0
    result = CliRunner().invoke(cli, [*args, "-o", str(two), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    lines = one.read_text().splitlines()
    assert one.read_text() == two.read_text() and len(lines) > 200
    assert json.loads(lines[-1])["doc"] == "d69"


def test_model_none_is_the_gazetteer_only_fast_path(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("Russian missiles hit Kharkiv and the Odesa region on Monday.")
    result = CliRunner().invoke(cli, ["extract", str(source), "--model", "none"])
    assert result.exit_code == 0, result.output
    found = [(r["text"], r["place"]["name"]) for r in map(json.loads, result.stdout.splitlines())]
    assert found == [("Kharkiv", "Kharkiv"), ("Odesa region", "Odesa Oblast")]
    missing = CliRunner().invoke(cli, ["extract", str(source), "--model", "en_core_web_xx"])
    assert missing.exit_code == 2 and "spaCy pipeline 'en_core_web_xx' is not installed" in missing.output


def test_build_writes_a_csv_of_incidents_for_spreadsheets(tmp_path):
    import csv

    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"id": "a", "source": "AP", "date": "2022-03-16",
                                  "title": "=HYPERLINK(\"http://x\")",
                                  "text": "At least 5 people were killed in Lviv."}) + "\n")
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(tmp_path / "map.html")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "map.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    (row,) = rows
    assert (row["place"], row["oblast"], row["type"], row["killed"], row["source"]) == (
        "Lviv", "Lviv Oblast", "casualties", "5", "AP")
    assert row["sentence"] == "At least 5 people were killed in Lviv."
    assert row["title"].startswith("'=HYPERLINK(")  # never a live formula


def stderr_on_a_terminal(*args):
    """What geomap writes to stderr when it is a terminal."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # rows, columns
    process = subprocess.Popen([sys.executable, "-m", "geomap", *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    output = b""
    with contextlib.suppress(OSError):  # EIO once geomap has ended
        while chunk := os.read(controller, 65536):
            output += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0, output
    return output.decode("utf-8", errors="replace")


def test_a_progress_bar_with_rate_and_eta_shows_on_a_terminal_only(tmp_path):
    corpus = tmp_path / "news.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{n}", "text": f"Shelling hit Kharkiv on day {n}."})
                              + "\n" for n in range(30)))
    args = ["extract", str(corpus), "-o", str(tmp_path / "out.jsonl"), "--model", "none",
            "--jobs", "1", "--no-cache"]
    shown = stderr_on_a_terminal(*args)
    assert "/30 [" in shown and "docs/s]" in shown  # done/total [elapsed<ETA, rate]
    assert re.search(r"\d+/30 \[\d\d:\d\d<(\?|\d\d:\d\d)", shown)
    quiet = stderr_on_a_terminal(*args, "--quiet")
    assert "docs/s" not in quiet and "geomap: inputs: 1 processed" in quiet
    piped = CliRunner().invoke(cli, args)
    assert "docs/s" not in piped.output



def test_every_error_a_command_can_end_with_has_its_exit_code():
    import inspect

    from geomap import errors
    from geomap.cli import EXIT_CODES

    named = {cls for _name, cls in inspect.getmembers(errors, inspect.isclass)
             if issubclass(cls, errors.GeomapError) and cls is not errors.GeomapError}
    assert named == set(EXIT_CODES)
    assert EXIT_CODES[errors.InputsFailed] == 1 and EXIT_CODES[errors.NothingRead] == 2


@pytest.mark.parametrize("command", ["build", "extract", "eval"])
def test_each_option_reaches_a_command_as_part_of_one_settings_object(command):
    # The option groups are built by functions whose parameters are their
    # options: an option no function takes would reach the command as an
    # argument it does not take.
    import inspect

    from geomap import cli as cli_module

    command_object = cli_module.cli.commands[command]
    builders = [cli_module.reading, cli_module.processing, cli_module.geocoding]
    grouped = {name for build in builders for name in inspect.signature(build).parameters}
    taken = set(inspect.signature(command_object.callback).parameters)  # the command itself
    for param in command_object.params:
        assert (param.name in grouped) != (param.name in taken), param.name
