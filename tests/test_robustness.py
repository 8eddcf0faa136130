"""Exit codes, --strict, interruptions and kills: nothing already written is lost."""

import json
import os
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from geomap.cli import cli
from geomap.render import read_map_data

from conftest import SEEDS


def build(*args):
    return CliRunner().invoke(cli, ["build", *map(str, args)])


def test_exit_codes_and_the_summary_of_inputs(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Missiles hit Odesa on Monday.")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    out = tmp_path / "map.html"
    everything = build(good, "-o", out)
    assert everything.exit_code == 0
    assert "inputs: 1 processed, 0 skipped, 0 failed" in everything.output
    some = build(good, empty, "-o", out)
    assert some.exit_code == 1
    assert "geomap: error: empty.txt: empty file" in some.output
    assert "inputs: 1 processed, 0 skipped, 1 failed" in some.output
    nothing = build(empty, "-o", tmp_path / "none.html")
    assert nothing.exit_code == 2 and not (tmp_path / "none.html").exists()
    usage = CliRunner().invoke(cli, ["build"])
    assert usage.exit_code == 2 and "Missing argument" in usage.output


def test_the_command_exits_with_the_same_codes_and_whole_output(tmp_path):
    # The `geomap` command leaves without the interpreter's teardown: its
    # output must still be flushed and its exit code kept.
    good = tmp_path / "good.jsonl"  # many small records: the last is left in stdout's buffer
    good.write_text("".join(json.dumps({"id": n, "text": "Missiles hit Odesa on Monday."}) + "\n"
                            for n in range(500)))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}

    def command(*args):
        return subprocess.run([sys.executable, "-m", "geomap", *map(str, args), "--model", "none",
                               "--jobs", "1", "--no-cache"], capture_output=True, text=True,
                              env=buffered)
    some = command("extract", good, empty)
    in_process = CliRunner().invoke(cli, ["extract", str(good), str(empty), "--model", "none",
                                          "--no-cache"])
    assert some.returncode == in_process.exit_code == 1
    assert some.stdout == in_process.stdout and len(some.stdout.splitlines()) == 500
    assert "geomap: error: empty.txt: empty file" in some.stderr
    nothing = command("build", empty, "-o", tmp_path / "none.html")
    assert nothing.returncode == 2 and "no document could be read" in nothing.stderr
    assert command("build", good, "-o", tmp_path / "map.html").returncode == 0
    assert valid_outputs(tmp_path / "map.html")[1]["features"]


def test_strict_makes_a_failed_input_fatal_before_anything_is_written(tmp_path):
    good = tmp_path / "a.txt"
    good.write_text("Missiles hit Odesa on Monday.")
    bad = tmp_path / "b.jsonl"
    bad.write_text("{broken\n")
    result = build(good, bad, "--strict", "-o", tmp_path / "map.html")
    assert result.exit_code == 2
    assert "--strict: stopping at the first failed input" in result.output
    assert not (tmp_path / "map.html").exists() and not (tmp_path / "map.geojson").exists()


def valid_outputs(html_path):
    """The map parses as HTML and carries its data; the GeoJSON parses."""
    html = html_path.read_text(encoding="utf-8")
    HTMLParser().feed(html)
    assert html.rstrip().endswith("</html>")
    data = read_map_data(html)
    geojson = json.loads(html_path.with_suffix(".geojson").read_text(encoding="utf-8"))
    return data, geojson


def slow_corpus(tmp_path, articles=400):
    folder = tmp_path / "corpus"
    folder.mkdir()
    text = (SEEDS / "000_fc6a60b7b5624fe4.txt").read_text(encoding="utf-8")
    for n in range(articles):  # each its own, so none comes from the cache
        (folder / f"{n:04d}.txt").write_text(f"Report {n}.\n{text}", encoding="utf-8")
    return folder


def start_build(inputs, out):
    # A session of its own, like a command in a terminal, with its workers.
    return subprocess.Popen([sys.executable, "-m", "geomap", "build", str(inputs), "-o", str(out),
                             "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def wait_for_work(process, seconds=4.0):
    time.sleep(seconds)  # long enough to be deep in the NLP stage
    assert process.poll() is None, process.communicate()


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGKILL"])
def test_an_interrupted_build_leaves_the_previous_map_whole(tmp_path, signal_name):
    out = tmp_path / "out" / "map.html"
    assert build(SEEDS, "-o", out).exit_code == 0
    before_html, before_geojson = out.read_bytes(), out.with_suffix(".geojson").read_bytes()
    process = start_build(slow_corpus(tmp_path), out)
    wait_for_work(process)
    if signal_name == "SIGINT":
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the workers too
    else:
        process.kill()  # the workers must not live on: they hold stderr open
    _stdout, stderr = process.communicate(timeout=20)
    assert out.read_bytes() == before_html
    assert out.with_suffix(".geojson").read_bytes() == before_geojson
    valid_outputs(out)
    if signal_name == "SIGINT":
        assert process.returncode == 130
        assert "geomap: interrupted; no output file was changed" in stderr
        assert "Traceback" not in stderr
        assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_outputs_are_replaced_whole_or_not_at_all(tmp_path):
    """A kill at any moment of the write leaves the old or the new file, never a part."""
    out = tmp_path / "map.html"
    assert build(SEEDS, "-o", out).exit_code == 0
    for delay in (0.5, 1.0, 1.5, 2.0, 2.5):
        process = start_build(SEEDS, out)
        time.sleep(delay)
        process.kill()
        process.communicate()
        data, geojson = valid_outputs(out)
        assert data["summary"]["documents"] == 2 and geojson["type"] == "FeatureCollection"


def test_build_output_is_byte_identical_for_identical_input(tmp_path):
    first, second = tmp_path / "1" / "map.html", tmp_path / "2" / "map.html"
    assert build(SEEDS, "-o", first).exit_code == 0
    assert build(SEEDS, "-o", second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".geojson").read_bytes() == second.with_suffix(".geojson").read_bytes()
    assert os.path.getsize(first) > 100_000


def test_extract_streams_to_its_file_and_keeps_the_old_one_when_nothing_is_read(tmp_path):
    out = tmp_path / "mentions.jsonl"
    good = tmp_path / "a.txt"
    good.write_text("Missiles hit Odesa and Lviv on Monday.")
    assert CliRunner().invoke(cli, ["extract", str(good), "-o", str(out)]).exit_code == 0
    before = out.read_text()
    assert [json.loads(line)["text"] for line in before.splitlines()] == ["Odesa", "Lviv"]
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = CliRunner().invoke(cli, ["extract", str(empty), "-o", str(out)])
    assert result.exit_code == 2 and out.read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
