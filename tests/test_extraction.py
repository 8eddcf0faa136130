"""Extraction output read back: `build --from-extract` maps documents lines, from files or a pipe."""

import json

from click.testing import CliRunner

from geomap.cli import cli

from conftest import SEEDS


def run(*args):
    return CliRunner().invoke(cli, [*args, "--no-cache", "-q"])


def test_build_from_mention_records_says_which_format_it_needs(tmp_path):
    mentions_file = tmp_path / "mentions.jsonl"
    result = run("extract", str(SEEDS), "-o", str(mentions_file))
    assert result.exit_code == 0
    result = run("build", "--from-extract", str(mentions_file), "-o", str(tmp_path / "map.html"))
    assert result.exit_code == 2
    # Said once for the file, not once per line.
    said = ("geomap: error: mentions.jsonl:1: mention lines, not document lines; write "
            "extraction output for build with `geomap extract --format documents`")
    assert said in result.output and result.output.count("mention lines") == 1
    assert len(mentions_file.read_text().splitlines()) > 30
    assert not (tmp_path / "map.html").exists()


def test_build_from_extract_reads_a_pipe(tmp_path):
    documents = run("extract", str(SEEDS), "--format", "documents")
    assert documents.exit_code == 0
    result = CliRunner().invoke(cli, ["build", "--from-extract", "-", "-o", str(tmp_path / "map.html"),
                                      "-q"], input=documents.stdout + "{broken\n")
    assert result.exit_code == 1
    assert "geomap: error: <stdin>:3: invalid JSON" in result.output
    assert "geomap: 2 documents, " in result.output
    places = {p["properties"]["name"] for p in json.loads((tmp_path / "map.geojson").read_text())["features"]}
    assert {"Yavoriv", "Kharkiv", "Mariupol"} <= places
