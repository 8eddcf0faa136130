"""The adversarial battery: hostile or unlucky inputs, outputs, caches and
signals. Each test is one class of failure that used to crash a run, lose
data or leak; none may end in a traceback."""

import csv
import gc
import io
import json
import os
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from geomap.cli import cli
from geomap.render import read_map_data

KHARKIV = "Missiles hit Kharkiv on Monday, the governor said."
LVIV = "Drones attacked Lviv overnight."


def invoke(*args, **kwargs):
    result = CliRunner().invoke(cli, [*map(str, args)], **kwargs)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def build(tmp_path, *inputs, out="out/map.html", extra=()):
    return invoke("build", *inputs, "-o", tmp_path / out, "--no-cache", "-q", "--model", "none",
                  *extra)


def geojson(tmp_path, out="out/map.geojson"):
    features = json.loads((tmp_path / out).read_text(encoding="utf-8"))["features"]
    return {f["properties"]["name"]: f["properties"] for f in features}


def jsonl(path, *records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path


# 1. Impossible dates are a warning; the document is mapped without the date.
@pytest.mark.parametrize("date", ["2022-02-30", "9999-99-99", "0001-01-01", "9999-12-31"])
def test_an_impossible_date_is_a_warning_and_the_article_is_mapped(tmp_path, date):
    # A weekday ("Monday") and a month-day ("March 3") are read against the date.
    news = jsonl(tmp_path / "news.jsonl",
                 {"id": "a", "date": date, "text": "Missiles hit Kharkiv on Monday and March 3."},
                 {"id": "b", "date": "2022-03-01", "text": LVIV})
    header = tmp_path / "header.txt"
    header.write_text(f"Title: Night\nDate: {date}\n\nShelling hit Odesa on Tuesday.\n")
    result = build(tmp_path, news, header)
    assert result.exit_code == 0, result.output
    assert f"warning: news.jsonl:1: date '{date}' is not a real day" in result.output
    assert f"warning: header.txt: date '{date}' is not a real day" in result.output
    places = geojson(tmp_path)
    assert {"Kharkiv", "Lviv", "Odesa"} <= set(places)
    assert places["Kharkiv"]["incidents"][0]["reports"][0]["date"] is None


def test_an_impossible_date_in_extraction_records_is_a_warning(tmp_path):
    extraction = tmp_path / "x.jsonl"
    invoke("extract", jsonl(tmp_path / "n.jsonl", {"id": "a", "date": "2022-03-01",
                                                   "text": KHARKIV}),
           "--format", "documents", "-o", extraction, "--no-cache", "-q")
    record = json.loads(extraction.read_text())
    record["document"]["date"] = "2022-02-30"
    extraction.write_text(json.dumps(record) + "\n")
    result = invoke("build", "--from-extract", extraction, "-o", tmp_path / "out/map.html")
    assert result.exit_code == 0, result.output
    assert "warning: x.jsonl:1: document 'a': date '2022-02-30' is not a real day" in result.output
    assert "Kharkiv" in geojson(tmp_path)


# 2. Articles sharing an id keep their own reports, and say which file they came from.
def test_articles_sharing_an_id_are_two_reports_from_two_files(tmp_path):
    for folder, source in (("first", "Wire A"), ("second", "Wire B")):
        (tmp_path / folder).mkdir()
        jsonl(tmp_path / folder / "export.jsonl", {"id": "1", "source": source, "text": KHARKIV})
    result = build(tmp_path, tmp_path / "first", tmp_path / "second")
    assert result.exit_code == 0, result.output
    reports = [r for i in geojson(tmp_path)["Kharkiv"]["incidents"] for r in i["reports"]]
    assert [(r["doc"], r["source"], r["file"]) for r in reports] == [
        ("1", "Wire A", "first/export.jsonl"), ("1", "Wire B", "second/export.jsonl")]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out/map.csv").read_text())))
    assert [row["file"] for row in rows] == ["first/export.jsonl", "second/export.jsonl"]
    extracted = invoke("extract", tmp_path / "first", tmp_path / "second", "--no-cache", "-q",
                       "--model", "none")
    assert {json.loads(line)["doc"] for line in extracted.stdout.splitlines()} == {"1"}


# 3. A file that is UTF-8 but for a few bytes is read as UTF-8, naming the lines.
def test_a_stray_byte_costs_one_line_not_the_whole_file(tmp_path):
    lines = [json.dumps({"id": f"n{n}", "text": f"Обстріл Харкова, день {n}."},
                        ensure_ascii=False).encode() for n in range(1000)]
    lines[500] = lines[500].replace("Обстріл".encode(), b"\xff")
    (tmp_path / "news.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    cut = "Обстріл Харкова тривав усю ніч; у Львові було тихо".encode()
    (tmp_path / "cut.txt").write_bytes(cut[:-1])  # ends in the middle of a character
    result = invoke("extract", tmp_path / "news.jsonl", tmp_path / "cut.txt", "--format",
                    "documents", "--no-cache", "-q", "--model", "none")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1001
    assert ("warning: news.jsonl: bytes that are not UTF-8 on line 501, read as "
            "\N{REPLACEMENT CHARACTER}") in result.output
    assert "warning: cut.txt: bytes that are not UTF-8 on line 1" in result.output


def test_legacy_encodings_are_still_detected_not_replaced(tmp_path):
    (tmp_path / "cp1251.txt").write_bytes("Обстріл Харкова тривав усю ніч.".encode("cp1251"))
    result = invoke("extract", tmp_path / "cp1251.txt", "--format", "documents", "--no-cache",
                    "-q", "--model", "none")
    assert "warning" not in result.output
    assert json.loads(result.stdout)["document"]["title"] == "Обстріл Харкова тривав усю ніч."


# 4. A CSV cell may hold a whole article.
def test_a_csv_cell_longer_than_the_csv_modules_limit_is_read(tmp_path):
    text = KHARKIV + " " + "Rescuers worked through the night. " * 5000  # 175,000 characters
    with open(tmp_path / "news.csv", "w", newline="") as f:
        csv.writer(f).writerows([["id", "text"], ["long", text], ["short", LVIV]])
    result = build(tmp_path, tmp_path / "news.csv")
    assert result.exit_code == 0, result.output
    assert {"Kharkiv", "Lviv"} <= set(geojson(tmp_path))


def test_a_csv_quote_never_closed_is_reported_not_merged(tmp_path):
    (tmp_path / "news.csv").write_text(f'id,text\n1,Missiles hit Kharkiv.\n2,"{LVIV}\n'
                                       "3,Odesa was hit.\n")
    result = build(tmp_path, tmp_path / "news.csv")
    assert result.exit_code == 1
    assert ("error: news.csv:line 3: a quote opened on this line is never closed; lines 3-4 "
            "were not read") in result.output
    assert set(geojson(tmp_path)) == {"Kharkiv"}


# 5. No cache problem stops a run; damaged entries are computed again and replaced.
def extract_cached(tmp_path, source, *extra, env=None):
    return invoke("extract", source, "--format", "documents", "--cache-dir", tmp_path / "cache",
                  "-q", "--model", "none", *extra, env=env)


@pytest.mark.parametrize("damage", ["random bytes", "edited digits", "not json"])
def test_a_damaged_cache_entry_is_computed_again_and_replaced(tmp_path, damage):
    source = jsonl(tmp_path / "news.jsonl", {"id": "a", "text": KHARKIV})
    first = extract_cached(tmp_path, source).stdout
    db = sqlite3.connect(tmp_path / "cache" / "extractions.sqlite")
    (value,) = db.execute("SELECT value FROM extraction").fetchone()
    damaged = {"random bytes": os.urandom(len(value)),
               "edited digits": value.replace(b"36.", b"37."),  # Kharkiv's longitude
               "not json": b"{" + value}[damage]
    assert damaged != value
    with db:
        db.execute("UPDATE extraction SET value=?", (damaged,))
    db.close()
    again = extract_cached(tmp_path, source)
    assert again.exit_code == 0 and again.stdout == first
    assert "warning: 1 damaged cache entries were computed again" in again.output
    assert "from the cache" not in again.output
    replaced = extract_cached(tmp_path, source)
    assert replaced.stdout == first and "1 of 1 documents from the cache" in replaced.output


def test_a_cache_file_damaged_on_disk_is_moved_aside_and_the_run_goes_on(tmp_path):
    source = jsonl(tmp_path / "news.jsonl", *({"id": f"n{n}", "text": KHARKIV + f" Day {n}."}
                                              for n in range(300)))
    first = extract_cached(tmp_path, source).stdout
    path = tmp_path / "cache" / "extractions.sqlite"
    gc.collect()  # the in-process run's connection
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    third = len(data) // 3
    data[third:2 * third] = os.urandom(third)  # pages in the middle
    path.write_bytes(bytes(data))
    again = extract_cached(tmp_path, source)
    assert again.exit_code == 0 and again.stdout == first
    assert "moved aside" in again.output or "computed again" in again.output


def test_a_cache_that_cannot_be_made_is_a_warning(tmp_path):
    source = jsonl(tmp_path / "news.jsonl", {"id": "a", "text": KHARKIV})
    (tmp_path / "a-file").write_text("not a folder")
    result = invoke("extract", source, "-q", "--model", "none",
                    env={"XDG_CACHE_HOME": str(tmp_path / "a-file")})
    assert result.exit_code == 0 and "Kharkiv" in result.stdout
    assert "warning: cache" in result.output and "going on without it" in result.output
    blocked = invoke("extract", source, "-q", "--model", "none", "--cache-dir",
                     tmp_path / "a-file" / "cache")
    assert blocked.exit_code == 0 and "Kharkiv" in blocked.stdout


def test_a_cache_held_by_another_process_is_used_without_and_never_moved(tmp_path):
    source = jsonl(tmp_path / "news.jsonl", {"id": "a", "text": KHARKIV})
    extract_cached(tmp_path, source)
    gc.collect()  # the in-process run's connection
    holder = sqlite3.connect(tmp_path / "cache" / "extractions.sqlite")
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = extract_cached(tmp_path, source)
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 0 and "Kharkiv" in result.stdout
    assert "going on without it" in result.output and "moved aside" not in result.output
    assert [p.name for p in (tmp_path / "cache").iterdir()
            if "corrupt" in p.name] == []


# 6. The cache key covers everything the result depends on.
@pytest.mark.parametrize("word_list", ["common_words.txt", "english_words.txt"])
def test_replacing_the_gazetteers_word_lists_changes_its_digest(tmp_path, word_list):
    import shutil

    from geomap import gazetteer

    copy = tmp_path / "data"
    shutil.copytree(gazetteer.data_dir(), copy)
    before = gazetteer.read(copy).digest
    with open(copy / word_list, "a", encoding="utf-8") as f:
        f.write("kharkiv\n")
    assert gazetteer.read(copy).digest != before


def test_a_model_replaced_at_the_same_path_is_noticed(tmp_path):
    from geomap.mentions import nlp

    model = tmp_path / "model"
    (model / "ner").mkdir(parents=True)
    (model / "meta.json").write_text('{"name": "a"}')
    (model / "ner" / "model").write_bytes(b"weights")
    before = nlp.pipeline_digest.__wrapped__(str(model))
    (model / "ner" / "model").write_bytes(b"other weights")
    assert nlp.pipeline_digest.__wrapped__(str(model)) != before


# 7. Inputs that used to take the run down are one line each.
def test_json_nested_too_deep_is_one_line(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep.json").write_text(deep)
    (tmp_path / "deep.jsonl").write_text(deep + "\n" + json.dumps({"text": LVIV}) + "\n")
    result = build(tmp_path, tmp_path / "deep.json", tmp_path / "deep.jsonl")
    assert result.exit_code == 1
    assert "error: deep.json: JSON nested too deeply to be an article record" in result.output
    assert "error: deep.jsonl:1: JSON nested too deeply" in result.output
    assert set(geojson(tmp_path)) == {"Lviv"}


def test_a_folder_reads_regular_files_only(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    (news / "a.txt").write_text(KHARKIV)
    os.symlink("/dev/zero", news / "zero.txt")
    os.mkfifo(news / "pipe.txt")
    # In a child process: a FIFO used to hang the run, /dev/zero to eat the memory.
    result = subprocess.run([sys.executable, "-m", "geomap", "build", str(news), "--follow-links",
                             "-o", str(tmp_path / "out/map.html"), "--no-cache", "-q",
                             "--model", "none"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "skipped: news/pipe.txt: a named pipe, not a file to read" in result.stderr
    assert "skipped: news/zero.txt: a device, not a file to read" in result.stderr
    assert set(geojson(tmp_path)) == {"Kharkiv"}


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    (tmp_path / "big.txt").write_text(KHARKIV + " More." * 1000)
    (tmp_path / "small.txt").write_text(LVIV)
    result = build(tmp_path, tmp_path / "big.txt", tmp_path / "small.txt",
                   extra=("--max-file-bytes", "1000"))
    assert result.exit_code == 1
    assert "error: big.txt: 6,050 bytes, larger than the limit of 1,000 (--max-file-bytes)" \
        in result.output
    assert set(geojson(tmp_path)) == {"Lviv"}


def test_limits_spacy_cannot_take_are_usage_errors(tmp_path):
    source = jsonl(tmp_path / "n.jsonl", {"text": KHARKIV})
    too_long = invoke("build", source, "--max-chars", "2000000", "-o", tmp_path / "m.html")
    assert too_long.exit_code == 2 and "2000000 is not in the range 1000<=x<=1000000" \
        in too_long.output
    explained = invoke("explain", "Kyiv. " * 200_000)
    assert explained.exit_code == 2
    assert "the text is longer than 1,000,000 characters" in explained.output
    bad_date = invoke("explain", "Kyiv.", "--date", "2022-02-30")
    assert bad_date.exit_code == 2 and "'2022-02-30' is not a day" in bad_date.output


def test_eval_on_a_file_that_is_not_gold_is_one_line(tmp_path):
    (tmp_path / "notes.jsonl").write_text("these are notes\n")
    result = invoke("eval", tmp_path / "notes.jsonl", "--model", "none", "--no-cache")
    assert result.exit_code == 2
    assert "notes.jsonl:1: not a line of JSON gold" in result.output


@pytest.mark.parametrize("field, value, said", [
    ("id", ["a", "list"], "document's 'id' is not a string"),
    ("sentence", None, "mention's 'sentence' is not a string"),
    ("sentence_words", [["one"]], "mention's 'sentence_words' is not of the right form"),
    ("lat", float("nan"), "place's 'lat' is not a finite number"),
    ("lon", float("inf"), "place's 'lon' is not a finite number"),
    ("lat", "48.1", "place's 'lat' is not a finite number"),
    ("lat", 500.0, "place 'Kharkiv' is off the globe (500.0, "),
])
def test_malformed_extraction_records_are_one_line_each(tmp_path, field, value, said):
    extraction = tmp_path / "x.jsonl"
    invoke("extract", jsonl(tmp_path / "n.jsonl", {"id": "k", "text": KHARKIV},
                            {"id": "l", "text": LVIV}),
           "--format", "documents", "-o", extraction, "--no-cache", "-q", "--model", "none")
    first, second = map(json.loads, extraction.read_text().splitlines())
    where = {"id": first["document"], "sentence": first["resolutions"][0]["mention"],
             "sentence_words": first["resolutions"][0]["mention"],
             "lat": first["resolutions"][0]["place"], "lon": first["resolutions"][0]["place"]}
    where[field][field] = value
    extraction.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    result = invoke("build", "--from-extract", extraction, "-o", tmp_path / "out/map.html")
    assert result.exit_code == 1
    assert f"error: x.jsonl:1: {said}" in result.output
    assert set(geojson(tmp_path)) == {"Lviv"}


# 14. Links that leave an input folder are not followed unless asked.
def test_links_out_of_an_input_folder_are_not_followed(tmp_path):
    private = tmp_path / "home"
    private.mkdir()
    (private / "notes.md").write_text("Secret meeting in Odesa.")
    (private / "diary").mkdir()
    (private / "diary" / "day.txt").write_text("Secret trip to Lviv.")
    received = tmp_path / "received"
    (received / "inner").mkdir(parents=True)
    (received / "a.txt").write_text(KHARKIV)
    (received / "inner" / "b.txt").write_text("Shelling hit Sumy.")
    os.symlink(private / "notes.md", received / "notes.md")
    os.symlink(private / "diary", received / "diary")
    os.symlink(received / "inner" / "b.txt", received / "b-again.txt")  # inside: followed
    result = build(tmp_path, received)
    assert result.exit_code == 0, result.output
    assert set(geojson(tmp_path)) == {"Kharkiv", "Sumy"}
    assert ("skipped: received/diary: a link to outside the input folder, not followed "
            "(--follow-links reads it)") in result.output
    assert "skipped: received/notes.md: a link to outside the input folder" in result.output
    followed = build(tmp_path, received, extra=("--follow-links",))
    assert followed.exit_code == 0
    assert set(geojson(tmp_path)) == {"Kharkiv", "Sumy", "Odesa", "Lviv"}


# 15. Files are named by their path inside the input, never by an absolute path.
def test_outputs_carry_no_absolute_local_path(tmp_path):
    cases = tmp_path / "home" / "someone" / "cases"
    (cases / "march").mkdir(parents=True)
    (cases / "march" / "a.txt").write_text(KHARKIV)
    (tmp_path / "single.txt").write_text(LVIV)
    result = build(tmp_path, cases, tmp_path / "single.txt")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out/map.html").read_text()
    outputs = [json.dumps(read_map_data(html)), (tmp_path / "out/map.geojson").read_text(),
               (tmp_path / "out/map.csv").read_text()]
    assert not any(str(tmp_path) in output for output in outputs)
    reports = {name: p["incidents"][0]["reports"][0] for name, p in geojson(tmp_path).items()}
    assert (reports["Kharkiv"]["file"], reports["Lviv"]["file"]) == ("cases/march/a.txt",
                                                                     "single.txt")
    assert reports["Kharkiv"]["link"] == "cases/march/a.txt"
    full = build(tmp_path, cases, extra=("--full-paths",))
    assert full.exit_code == 0
    assert geojson(tmp_path)["Kharkiv"]["incidents"][0]["reports"][0]["file"] == str(
        cases / "march" / "a.txt")


# 16. No file name or text can forge a log line or talk to the terminal.
def test_control_characters_in_names_are_escaped_in_messages(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    (news / "a.txt").write_text(KHARKIV)
    (news / "x\ngeomap: inputs: 9 processed, 0 skipped, 0 failed\x1b]0;owned\x07.txt").write_text("")
    result = subprocess.run([sys.executable, "-m", "geomap", "build", str(news), "-o",
                             str(tmp_path / "out/map.html"), "--no-cache", "-q", "--model", "none"],
                            capture_output=True, text=True, timeout=120)
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("geomap: inputs:")] == [
        "geomap: inputs: 1 processed, 0 skipped, 1 failed"]
    assert ("geomap: error: news/x\\ngeomap: inputs: 9 processed, 0 skipped, 0 failed"
            "\\x1b]0;owned\\x07.txt: empty file") in lines
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr


# 8. The three outputs are one set: all old or all new, never mixed.
def old_set(tmp_path):
    build(tmp_path, jsonl(tmp_path / "old.jsonl", {"id": "o", "text": LVIV}))
    return {name: (tmp_path / "out" / name).read_bytes()
            for name in ("map.html", "map.geojson", "map.csv")}


def test_an_interrupt_while_writing_leaves_the_old_set_whole(tmp_path, monkeypatch):
    before = old_set(tmp_path)
    import geomap.pipeline

    def interrupted(_groups):  # Ctrl-C once the map is written, before the CSV is made
        raise KeyboardInterrupt
    monkeypatch.setattr(geomap.pipeline, "csv_text", interrupted)
    source = jsonl(tmp_path / "new.jsonl", {"id": "n", "text": KHARKIV})
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(tmp_path / "out/map.html"),
                                      "--no-cache", "-q", "--model", "none"])
    assert result.exit_code != 0 and "documents," not in result.output
    after = {name: (tmp_path / "out" / name).read_bytes() for name in before}
    assert after == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(before)


def test_a_signal_while_the_set_is_renamed_waits_and_says_so(tmp_path, monkeypatch):
    import signal

    before = old_set(tmp_path)
    rename = os.replace

    def signalled_rename(source, target):
        os.kill(os.getpid(), signal.SIGTERM)  # SIGTERM, as between two of the renames
        rename(source, target)
    monkeypatch.setattr(os, "replace", signalled_rename)
    result = build(tmp_path, jsonl(tmp_path / "new.jsonl", {"id": "n", "text": KHARKIV}))
    monkeypatch.undo()
    assert result.exit_code == 130
    assert result.output.splitlines()[-1] == "geomap: interrupted; the outputs had been written"
    after = {name: (tmp_path / "out" / name).read_bytes() for name in before}
    assert all(after[name] != before[name] for name in before)  # the whole new set
    assert "Kharkiv" in geojson(tmp_path)


def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    import signal
    import time

    before = old_set(tmp_path)
    big = jsonl(tmp_path / "big.jsonl", *({"id": f"n{n}", "text": KHARKIV} for n in range(20000)))
    process = subprocess.Popen([sys.executable, "-m", "geomap", "build", str(big), "-o",
                                str(tmp_path / "out/map.html"), "--no-cache", "-q", "--jobs", "1"],
                               stderr=subprocess.PIPE, text=True)
    time.sleep(8)  # loading the model, then reading
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "geomap: interrupted; no output file was changed"
    assert {name: (tmp_path / "out" / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(before)  # no .tmp


def test_a_build_waits_for_another_writing_the_same_folder(tmp_path):
    import fcntl
    import time

    (tmp_path / "out").mkdir()
    source = jsonl(tmp_path / "n.jsonl", {"id": "n", "text": KHARKIV})
    folder = os.open(tmp_path / "out", os.O_RDONLY)
    fcntl.flock(folder, fcntl.LOCK_EX)  # as a build busy writing its set there
    try:
        process = subprocess.Popen([sys.executable, "-m", "geomap", "build", str(source), "-o",
                                    str(tmp_path / "out/map.html"), "--no-cache", "-q",
                                    "--model", "none"], stderr=subprocess.PIPE, text=True)
        assert process.stderr is not None
        # Its first line says it waits (read here, so the test waits no longer than it).
        said = process.stderr.readline()
        assert said.strip() == f"geomap: waiting for another geomap run writing to " \
                               f"{tmp_path / 'out'}", said
        time.sleep(0.5)
        assert process.poll() is None and not (tmp_path / "out/map.html").exists()
    finally:
        fcntl.flock(folder, fcntl.LOCK_UN)
        os.close(folder)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, said + err
    assert "Kharkiv" in geojson(tmp_path)


# 9. Output paths that would destroy files are refused before any work.
@pytest.mark.parametrize("options, said", [
    (("-o", "{tmp}/x.geojson"), "--geojson {tmp}/x.geojson is the same file as -o"),
    (("-o", "{tmp}/x.csv"), "--csv {tmp}/x.csv is the same file as -o"),
    (("-o", "{tmp}/m.html", "--geojson", "{tmp}/m.html"), "--geojson {tmp}/m.html is the same"),
    (("-o", "{tmp}/news/a.txt"), "{tmp}/news/a.txt is an input; writing it would destroy it"),
    (("-o", "{tmp}/single.txt"), "{tmp}/single.txt is an input"),
    # A named pipe stands for a device: a regression must not replace a real /dev node.
    (("-o", "{tmp}/pipe.html"), "{tmp}/pipe.html exists and is not a regular file; name a file"),
])
def test_clashing_or_device_outputs_are_usage_errors(tmp_path, options, said):
    os.mkfifo(tmp_path / "pipe.html")
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.txt").write_text(KHARKIV)
    (tmp_path / "single.txt").write_text(LVIV)
    result = invoke("build", tmp_path / "news", tmp_path / "single.txt", "--model", "none",
                    *(o.format(tmp=tmp_path) for o in options))
    assert result.exit_code == 2
    assert said.format(tmp=tmp_path) in result.output
    assert (tmp_path / "news" / "a.txt").read_text() == KHARKIV
    assert (tmp_path / "single.txt").read_text() == LVIV
    assert "documents," not in result.output  # refused before any work
    assert not (tmp_path / "pipe.html").is_file()


def test_a_linked_output_updates_its_target(tmp_path):
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "real.html").write_text("old")
    os.symlink(tmp_path / "maps" / "real.html", tmp_path / "latest.html")
    result = build(tmp_path, jsonl(tmp_path / "n.jsonl", {"text": KHARKIV}), out="latest.html")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "latest.html").is_symlink()
    assert "geomap-data" in (tmp_path / "maps" / "real.html").read_text()


def test_outputs_inside_the_input_folder_are_never_read_back(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    (news / "a.txt").write_text(KHARKIV)
    first = build(tmp_path, news, out="news/map.html")
    again = build(tmp_path, news, out="news/map.html")
    other = build(tmp_path, news, out="elsewhere/map.html")
    for result in (first, again, other):
        assert result.exit_code == 0, result.output
        assert "1 documents, 1 places, 1 incidents" in result.output
    assert "skipped: news/map.html: written by geomap, not an article" in other.output
    assert "skipped: news/map.csv: written by geomap, not an article" in other.output


# 10. A failed write is one line, exit 2, and leaves the previous outputs.
def test_an_unwritable_output_folder_is_found_before_any_work(tmp_path):
    (tmp_path / "a-file").write_text("")
    source = jsonl(tmp_path / "n.jsonl", {"text": KHARKIV})
    result = invoke("build", source, "-o", tmp_path / "a-file" / "map.html", "--model", "none")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"geomap: error: {tmp_path / 'a-file'}: cannot write there: file exists; nothing was "
        "written"] or "not a directory" in result.output
    assert "documents," not in result.output


def test_a_full_disk_leaves_the_previous_outputs(tmp_path, monkeypatch):
    import geomap.output_files

    before = old_set(tmp_path)

    def on_a_full_disk(target):  # every write fails as on a full disk
        return os.open("/dev/full", os.O_WRONLY), str(target.parent / ".full.tmp")
    monkeypatch.setattr(geomap.output_files, "_temporary_beside", on_a_full_disk)
    result = build(tmp_path, jsonl(tmp_path / "n.jsonl", {"text": KHARKIV}))
    assert result.exit_code == 2
    assert (f"geomap: error: {tmp_path / 'out/map.html'}: no space left on device; no output "
            "file was changed") in result.output
    assert {name: (tmp_path / "out" / name).read_bytes() for name in before} == before


# 11. Every cell of the CSV is safe to open in a spreadsheet.
def test_no_csv_cell_can_start_a_formula_or_a_row(tmp_path):
    from geomap.export import CSV_COLUMNS, csv_text
    from geomap.gazetteer import Place
    from geomap.incidents import Incident, PlaceIncidents, Report

    hostile = ["\r=2+2", "\t=1+1", "=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)",
               "a\r\n=3+3"]
    place = Place("nominatim:node1", "=cmd|' /C calc'!A0", 48.0, 35.0, "P", "PPL", "UA", "", 0)
    reports = [Report(f"Sentence {n}.", ("x",), str(n), n, f"f{n}.txt", text, text, "2022-03-01",
                      text, 0) for n, text in enumerate(hostile)]
    groups = [PlaceIncidents(place, "geocoder",
                             [Incident(("attack",), "2022-03-01", "document", {"killed": 2},
                                       reports, {"killed": "=2+2 killed"})])]
    rows = list(csv.reader(io.StringIO(csv_text(groups))))
    assert rows[0] == CSV_COLUMNS and len(rows) == 1 + len(hostile)
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert rows[1][CSV_COLUMNS.index("place")] == "'=cmd|' /C calc'!A0"
    assert rows[1][CSV_COLUMNS.index("source")] == "'\n=2+2"
