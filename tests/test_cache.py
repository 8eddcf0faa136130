"""Incremental runs: only new or changed documents go through the pipeline again."""

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from geomap import cache, gazetteer
from geomap.cli import cli

ARTICLES = ["Missiles hit Kharkiv on Monday, the governor said.",
            "Drones attacked Odesa overnight; two people were injured.",
            "Ukrainian troops advanced near Bakhmut.",
            "Shelling damaged homes in Kherson."]


def extract(tmp_path, folder, *extra):
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["extract", str(folder), "-o", str(out),
                                      "--cache-dir", str(tmp_path / "cache"), *extra])
    assert result.exit_code == 0, result.output
    return out.read_text(), result.output


def corpus(tmp_path, texts):
    folder = tmp_path / "news"
    folder.mkdir(exist_ok=True)
    for n, text in enumerate(texts):
        (folder / f"{n}.txt").write_text(text)
    return folder


def test_a_second_run_takes_unchanged_documents_from_the_cache(tmp_path):
    folder = corpus(tmp_path, ARTICLES[:3])
    first, log = extract(tmp_path, folder)
    assert "from the cache" not in log
    (folder / "3.txt").write_text(ARTICLES[3])
    second, log = extract(tmp_path, folder)
    assert "geomap: 3 of 4 documents from the cache" in log
    uncached, _log = extract(tmp_path, folder, "--no-cache")
    assert second == uncached and second.startswith(first)
    assert [json.loads(line)["text"] for line in second.splitlines()] == [
        "Kharkiv", "Odesa", "Bakhmut", "Kherson"]


def test_cached_documents_come_back_whole(tmp_path):
    # Everything the map is built from: sentences and their words (which type
    # incidents), places found approximately, names left unresolved.
    folder = corpus(tmp_path, [*ARTICLES, "A village 20 km south of Mariupol was shelled on "
                               "Tuesday. Fighting went on near Zzyzxville and in Kharkiv."])
    first, _log = extract(tmp_path, folder, "--format", "documents")
    cached, log = extract(tmp_path, folder, "--format", "documents")
    assert "geomap: 5 of 5 documents from the cache" in log
    assert cached == first
    records = [json.loads(line) for line in cached.splitlines()]
    last = records[-1]["resolutions"]
    assert [(r["mention"]["text"], r["source"]) for r in last] == [
        ("Mariupol", "gazetteer"), ("Zzyzxville", ""), ("Kharkiv", "gazetteer"),
        ("A village 20 km south of Mariupol", "approximate")]
    assert ["shelled", "shell"] in last[-1]["mention"]["sentence_words"]


def test_a_changed_document_is_processed_again(tmp_path):
    folder = corpus(tmp_path, ARTICLES[:2])
    extract(tmp_path, folder)
    (folder / "1.txt").write_text("Drones attacked Lviv overnight.")
    output, log = extract(tmp_path, folder)
    assert "geomap: 1 of 2 documents from the cache" in log
    assert [json.loads(line)["text"] for line in output.splitlines()] == ["Kharkiv", "Lviv"]


def test_a_moved_folder_keeps_its_cache_under_its_new_ids(tmp_path):
    # Ids of text files are their paths: renaming the archive changes them
    # but not what is found in the articles.
    folder = corpus(tmp_path, ARTICLES[:2])
    extract(tmp_path, folder)
    moved = folder.rename(tmp_path / "archive")
    output, log = extract(tmp_path, moved)
    assert "geomap: 2 of 2 documents from the cache" in log
    uncached, _log = extract(tmp_path, moved, "--no-cache")
    assert output == uncached
    assert {json.loads(line)["doc"] for line in output.splitlines()} == {
        "archive/0.txt", "archive/1.txt"}


def test_a_changed_date_is_processed_again(tmp_path):
    # The date decides which places a relative date or a namesake refers to.
    def write(date):
        (tmp_path / "news.jsonl").write_text(json.dumps({"id": "a", "date": date,
                                                         "text": ARTICLES[0]}) + "\n")
        return tmp_path / "news.jsonl"
    extract(tmp_path, write("2022-03-01"))
    _output, log = extract(tmp_path, write("2022-03-02"))
    assert "from the cache" not in log
    _output, log = extract(tmp_path, write("2022-03-02"))
    assert "geomap: 1 of 1 documents from the cache" in log


def test_a_changed_gazetteer_or_model_invalidates_the_cache(tmp_path, monkeypatch):
    folder = corpus(tmp_path, ARTICLES[:2])
    extract(tmp_path, folder)
    places = gazetteer.load()
    monkeypatch.setattr(places, "digest", "another gazetteer")
    _output, log = extract(tmp_path, folder)
    assert "from the cache" not in log
    _output, log = extract(tmp_path, folder, "--model", "none")
    assert "from the cache" not in log


def test_a_corrupt_cache_is_moved_aside(tmp_path):
    folder = corpus(tmp_path, ARTICLES[:1])
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "extractions.sqlite").write_bytes(b"garbage" * 100)
    output, log = extract(tmp_path, folder)
    assert "was damaged" in log and "moved aside" in log
    assert json.loads(output.splitlines()[0])["text"] == "Kharkiv"


def package_copy(tmp_path):
    copy = tmp_path / "geomap"
    shutil.copytree(cache.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def package_files():
    return sorted(path.relative_to(cache.PACKAGE).as_posix() for path in cache.PACKAGE.rglob("*")
                  if path.is_file() and "__pycache__" not in path.parts)


@pytest.mark.parametrize("name", package_files())
def test_a_change_to_any_extraction_file_changes_the_cache_key(tmp_path, name):
    # The key covers every file of the package but the map's, the exports',
    # the evaluation's and the command line's: a module added by a later
    # change is in it without anyone listing it.
    package = package_copy(tmp_path)
    before = cache.extraction_digest(package)
    with (package / name).open("ab") as changed:
        changed.write(b"\n")
    outside = name.startswith(cache.NOT_EXTRACTION)
    assert (cache.extraction_digest(package) == before) == outside
    assert outside == (name.split("/")[0] in ("cli.py", "__main__.py", "evaluate.py", "export.py",
                                               "incidents.py", "render.py", "static")
                       or name in ("data/basemap.json", "data/places.tsv.gz"))


def test_a_new_module_changes_the_cache_key(tmp_path):
    package = package_copy(tmp_path)
    before = cache.extraction_digest(package)
    (package / "resolve_more.py").write_text("BONUS = 1\n")
    assert cache.extraction_digest(package) != before


def test_a_run_with_every_document_cached_never_imports_spacy(tmp_path):
    folder = corpus(tmp_path, ARTICLES[:2])
    extract(tmp_path, folder)
    code = f"""
import sys
from click.testing import CliRunner
from geomap.cli import cli
result = CliRunner().invoke(cli, ["build", {str(folder)!r}, "-o", {str(tmp_path / "map.html")!r},
                                  "--cache-dir", {str(tmp_path / "cache")!r}, "--jobs", "1"])
print(result.exit_code, "spacy" in sys.modules)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["0", "False"]
