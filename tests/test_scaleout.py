"""Scale-out: extract on a Dask cluster equals a local run; build maps extraction output."""

import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
from click.testing import CliRunner

from geomap.mentions.nlp import load_pipeline
from geomap.cli import cli
from geomap.documents import Document, InputLog, ReadOptions, read_documents, read_file
from geomap.scaleout import (AHEAD_DOCUMENTS, MIN_PARTITION_BYTES, PARTITION_BYTES,
                              partition_size, plan_partitions, resolve_with)

from conftest import SEEDS

NEWS = [
    "Missiles hit Kharkiv on Monday, the governor said. Two people were killed.",
    "Drones attacked Odesa overnight; three people were injured in the port.",
    "Ukrainian troops advanced near Bakhmut, the General Staff said.",
    "Shelling damaged homes in Kherson and Nikopol on Tuesday.",
    "A strike on a substation left Zaporizhzhia without power.",
    "Evacuation buses left Pokrovsk for Dnipro as fighting drew closer.",
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Seeds, single articles, one bad file and a JSONL file large enough to be cut in parts."""
    folder = tmp_path_factory.mktemp("archive")
    for seed in SEEDS.glob("*.txt"):
        shutil.copy(seed, folder / seed.name)
    for n, text in enumerate(NEWS[:3]):
        (folder / f"b{n}.txt").write_text(f"date 2024-05-0{n + 1} (Wire) — {text}")
    (folder / "c-empty.txt").write_text("")
    records = [{"id": f"wire-{n}", "text": NEWS[n % len(NEWS)], "date": f"2024-06-{n % 28 + 1:02d}",
                "source": "Wire", "url": f"https://example.org/{n}"} for n in range(40)]
    lines = [json.dumps(r) for r in records]
    lines[7] = "{not json"
    (folder / "d-wire.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def run(*args):
    result = CliRunner().invoke(cli, [*args, "--no-cache", "-q"])
    return result


def test_a_large_jsonl_file_is_cut_at_line_ends_and_keeps_its_line_numbers(archive):
    log = InputLog(lambda _line: None)
    partitions = plan_partitions((str(archive),), ReadOptions(), log, workers=2, partition_bytes=1000)
    wire = [piece for pieces in partitions for piece in pieces if piece.path.endswith(".jsonl")]
    assert len(wire) > 3
    assert wire[0].lines[0] == 0 and wire[-1].lines[1] == (archive / "d-wire.jsonl").stat().st_size
    assert all(a.lines[1] == b.lines[0] for a, b in zip(wire, wire[1:]))

    parts_log = InputLog(lambda _line: None)
    in_parts = [d for piece in wire for d in read_file(Path(piece.path), ReadOptions(), parts_log,
                                                       piece.lines)]
    whole_log = InputLog(lambda _line: None)
    whole = list(read_documents([str(archive / "d-wire.jsonl")], whole_log))
    assert in_parts == whole and len(whole) == 39
    assert parts_log.failed == whole_log.failed == 1


def test_partitions_spread_small_inputs_over_the_workers_and_cap_large_ones():
    assert partition_size(1_000_000, workers=2) == 125_000
    assert partition_size(10_000, workers=2) == MIN_PARTITION_BYTES
    assert partition_size(10**10, workers=8) == PARTITION_BYTES


@pytest.fixture(scope="module")
def cluster():
    import distributed  # geomap[dask], installed by `make test`
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        yield cluster, client


@pytest.mark.parametrize("output_format", ["documents", "mentions"])
def test_extract_on_a_two_worker_local_cluster_equals_the_local_run(archive, cluster, tmp_path,
                                                                    output_format):
    local_cluster, client = cluster
    local = run("extract", str(archive), "--format", output_format, "-o", str(tmp_path / "local.jsonl"))
    dask = run("extract", str(archive), "--format", output_format, "--engine", "dask",
               "--scheduler", local_cluster.scheduler_address, "--partition-bytes", "1000",
               "-o", str(tmp_path / "parts"))
    assert local.exit_code == dask.exit_code == 1  # the empty file and the bad JSONL line
    for result in (local, dask):
        assert "geomap: error: " + str(archive / "c-empty.txt") + ": empty file" in result.output
        assert f"geomap: error: {archive / 'd-wire.jsonl'}:8: invalid JSON" in result.output
        assert "inputs: 6 processed, 0 skipped, 2 failed" in result.output
    parts = sorted((tmp_path / "parts").iterdir())
    assert [p.name for p in parts[:2]] == ["part-00000.jsonl", "part-00001.jsonl"] and len(parts) > 4
    combined = "".join(part.read_text(encoding="utf-8") for part in parts)
    assert combined == (tmp_path / "local.jsonl").read_text(encoding="utf-8")
    assert "Kharkiv" in combined and "wire-39" in combined
    # Every worker loaded the model at most once, however many partitions it ran.
    loads = client.run(lambda: load_pipeline.cache_info().misses)
    assert len(loads) == 2 and set(loads.values()) <= {0, 1} and sum(loads.values()) >= 1


def test_build_from_a_dask_runs_parts_equals_building_from_the_articles(archive, cluster, tmp_path):
    local_cluster, _client = cluster
    dask = run("extract", str(archive), "--format", "documents", "--engine", "dask",
               "--scheduler", local_cluster.scheduler_address, "--partition-bytes", "3000",
               "-o", str(tmp_path / "parts"))
    assert dask.exit_code == 1, dask.output
    from_parts = run("build", "--from-extract", str(tmp_path / "parts"), "-o",
                     str(tmp_path / "a" / "map.html"))
    direct = run("build", str(archive), "-o", str(tmp_path / "b" / "map.html"))
    assert from_parts.exit_code == 0 and direct.exit_code == 1
    assert "geomap: 44 documents, " in from_parts.output and "geomap: 44 documents, " in direct.output
    for name in ("map.html", "map.geojson", "map.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    places = {f["properties"]["name"] for f in json.loads((tmp_path / "a" / "map.geojson").read_text())["features"]}
    assert {"Kharkiv", "Odesa", "Bakhmut", "Mariupol", "Yavoriv"} <= places


def test_build_from_mention_records_says_which_format_it_needs(tmp_path):
    mentions_file = tmp_path / "mentions.jsonl"
    result = run("extract", str(SEEDS), "-o", str(mentions_file))
    assert result.exit_code == 0
    result = run("build", "--from-extract", str(mentions_file), "-o", str(tmp_path / "map.html"))
    assert result.exit_code == 2
    assert (f"geomap: error: {mentions_file}:1: a mention record, not a document record; write "
            "extraction output for build with `geomap extract --format documents`") in result.output
    assert not (tmp_path / "map.html").exists()


def test_the_dask_engine_needs_an_output_folder_and_never_deletes_other_files(archive, tmp_path):
    result = run("extract", str(archive), "--engine", "dask")
    assert result.exit_code == 2 and "name it with -o DIR" in result.output
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    result = run("extract", str(archive), "--engine", "dask", "--jobs", "1", "-o", str(folder))
    assert result.exit_code == 2 and "holds other things than part-*.jsonl files" in result.output
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


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


def die(*_args):
    os._exit(9)


def test_a_worker_that_dies_ends_the_run_with_a_clear_error_and_writes_nothing(tmp_path, monkeypatch):
    from geomap import scaleout

    # Each worker dies at its first batch, as if killed for lack of memory.
    monkeypatch.setattr(scaleout, "resolve_batch", die)
    out = tmp_path / "map.html"
    result = CliRunner().invoke(cli, ["build", str(SEEDS), "-o", str(out), "--jobs", "2",
                                      "--no-cache", "-q"])
    assert result.exit_code == 1
    assert "a worker process died (out of memory?); nothing was written" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_the_dask_engine_stops_at_max_documents_like_a_local_run(archive, cluster, tmp_path):
    local_cluster, _client = cluster
    local = run("extract", str(archive), "--format", "documents", "--max-documents", "10",
                "-o", str(tmp_path / "local.jsonl"))
    dask = run("extract", str(archive), "--format", "documents", "--max-documents", "10",
               "--engine", "dask", "--scheduler", local_cluster.scheduler_address,
               "--partition-bytes", "1000", "-o", str(tmp_path / "parts"))
    combined = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / "parts").iterdir()))
    assert combined == (tmp_path / "local.jsonl").read_text(encoding="utf-8")
    assert len(combined.splitlines()) == 10
    assert "the limit of 10 documents is reached (--max-documents)" in dask.output
    assert dask.exit_code == local.exit_code


def test_an_unreachable_scheduler_is_one_line_and_nothing_is_written(archive, tmp_path):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = run("extract", str(archive), "--engine", "dask", "--scheduler",
                     "tcp://127.0.0.1:9", "-o", str(tmp_path / "parts"))
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler: Timed out trying to connect to tcp://127.0.0.1:9" \
        in result.output
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


class PendingBatch(Future):
    """A batch a worker is still on, until someone waits for its result."""

    def __init__(self, batch, waits):
        super().__init__()
        self.batch, self.waits = batch, waits

    def done(self):
        return False

    def result(self, timeout=None):
        self.waits.append([document.id for document in self.batch])
        return [([], []) for _document in self.batch]


class BusyWorkers:
    """Two workers that never finish on their own: whatever resolve_with hands
    on without waiting for them, it handed on as soon as it could."""

    jobs = 2

    def __init__(self):
        self.submitted, self.waits = [], []

    def submit(self, batch):
        self.submitted.append([document.id for document in batch])
        return PendingBatch(batch, self.waits)

    def has_idle_worker(self):
        return len(self.submitted) < self.jobs

    def close(self, wait):
        pass


def pairs_counted(pairs, read):
    for pair in pairs:
        read.append(pair[0].id)
        yield pair


def test_cached_documents_go_on_while_the_workers_are_busy():
    known = [(Document(id=f"k{n}", text="cached"), []) for n in range(3)]
    pairs = [known[0], (Document(id="n0", text="new"), None), known[1], known[2]]
    workers, read = BusyWorkers(), []
    handed_on = resolve_with(workers, pairs_counted(pairs, read), None)
    assert next(handed_on)[0].id == "k0" and read == ["k0"]  # before the new one is read
    assert next(handed_on)[0].id == "n0" and read == ["k0", "n0", "k1", "k2"]
    assert [document.id for document, _r in handed_on] == ["k1", "k2"]
    assert workers.submitted == [["n0"]] and workers.waits == [["n0"]]


def test_reading_ahead_of_a_busy_worker_is_bounded():
    read = []
    pairs = [(Document(id="n0", text="new"), None),
             *[(Document(id=f"k{n}", text="cached"), []) for n in range(AHEAD_DOCUMENTS + 100)]]
    workers = BusyWorkers()
    handed_on = resolve_with(workers, pairs_counted(pairs, read), None)
    assert next(handed_on)[0].id == "n0"
    # The new document was waited for once AHEAD_DOCUMENTS were read, not after all.
    assert len(read) == AHEAD_DOCUMENTS
    assert len(list(handed_on)) == AHEAD_DOCUMENTS + 100


def load_slowly(model):
    time.sleep(60)
    Path(os.environ["GEOMAP_TEST_LOADED"]).touch()


def test_a_worker_loading_a_model_no_document_needs_is_not_waited_for(tmp_path, monkeypatch):
    from geomap import scaleout

    folder = tmp_path / "news"
    folder.mkdir()
    for n, text in enumerate(NEWS[:2]):
        (folder / f"{n}.txt").write_text(text)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert CliRunner().invoke(cli, ["extract", str(folder), *cache, "--jobs", "1"]).exit_code == 0
    # The first worker starts loading the model before the cache is read.
    monkeypatch.setattr(scaleout, "_load", load_slowly)
    monkeypatch.setenv("GEOMAP_TEST_LOADED", str(tmp_path / "loaded"))
    before = {child.pid for child in multiprocessing.active_children()}  # a Dask cluster's
    result = CliRunner().invoke(cli, ["extract", str(folder), *cache, "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "geomap: 2 of 2 documents from the cache" in result.output
    assert {child.pid for child in multiprocessing.active_children()} <= before
    assert not (tmp_path / "loaded").exists()


def test_jobs_mix_cached_and_new_documents_in_order(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    texts = [f"Report {n}. {NEWS[n % len(NEWS)]}" for n in range(40)]
    for n in range(0, 40, 3):  # a third of the documents are cached
        (folder / f"{n:02d}.txt").write_text(texts[n])
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert CliRunner().invoke(cli, ["extract", str(folder), *cache, "--jobs", "1"]).exit_code == 0
    for n in range(40):
        (folder / f"{n:02d}.txt").write_text(texts[n])
    mixed = CliRunner().invoke(cli, ["extract", str(folder), "--format", "documents",
                                     "--jobs", "2", *cache])
    assert mixed.exit_code == 0, mixed.output
    assert "geomap: 14 of 40 documents from the cache" in mixed.output
    alone = CliRunner().invoke(cli, ["extract", str(folder), "--format", "documents",
                                     "--jobs", "1", "--no-cache"])
    assert mixed.stdout == alone.stdout
    assert [Path(json.loads(line)["document"]["id"]).name for line in mixed.stdout.splitlines()] == [
        f"{n:02d}.txt" for n in range(40)]


def test_a_couple_of_articles_start_one_worker_process_and_more_start_more():
    from geomap.scaleout import Workers

    def started():
        return {child.pid for child in multiprocessing.active_children()} - before

    before = {child.pid for child in multiprocessing.active_children()}  # a Dask cluster's
    workers = Workers("none", jobs=3, geocoding=False)
    try:
        articles = [Document(id=f"d{n}", text=f"Shelling hit Kharkiv on day {n}.") for n in range(3)]
        batches = [workers.submit([articles[0]]), workers.submit([articles[1]])]
        assert len(started()) == 1  # loading the model takes another one longer than reading two
        batches.append(workers.submit([articles[2]]))
        assert len(started()) == 3
        for batch in batches:
            [(found, resolutions)] = batch.result()
            assert [r.place.name for r in resolutions] == ["Kharkiv"]
    finally:
        workers.close(wait=True)
