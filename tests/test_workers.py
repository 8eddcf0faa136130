"""Local workers: documents resolved in worker processes come back in input
order with cached ones, memory stays bounded, and no worker is waited for
or left behind needlessly."""

import json
import multiprocessing
import os
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
from click.testing import CliRunner

from geomap import workers as workers_module
from geomap.batch import DocumentResult
from geomap.cache import CacheLookup
from geomap.cli import cli
from geomap.documents import Document
from geomap.workers import AHEAD_DOCUMENTS, Workers, resolve_with

from conftest import NEWS, SEEDS


def die(*_args):
    os._exit(9)


def test_a_worker_that_dies_ends_the_run_with_a_clear_error_and_writes_nothing(tmp_path, monkeypatch):
    # Each worker dies at its first batch, as if killed for lack of memory.
    monkeypatch.setattr(workers_module, "resolve_batch", die)
    out = tmp_path / "map.html"
    result = CliRunner().invoke(cli, ["build", str(SEEDS), "-o", str(out), "--jobs", "2",
                                      "--no-cache", "-q"])
    assert result.exit_code == 2  # as for every run that writes nothing
    assert "a worker process died (out of memory?); nothing was written" in result.output
    assert "Traceback" not in result.output and not out.exists()


class PendingBatch(Future):
    """A batch a worker is still on, until someone waits for its result."""

    def __init__(self, batch, waits):
        super().__init__()
        self.batch, self.waits = batch, waits

    def done(self):
        return False

    def result(self, timeout=None):
        self.waits.append([document.id for document in self.batch])
        return [DocumentResult([], []) for _document in self.batch]


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


def counted(lookups, read):
    for lookup in lookups:
        read.append(lookup.document.id)
        yield lookup


def cached(doc_id):
    return CacheLookup(Document(id=doc_id, text="cached"), [])


def new(doc_id):
    return CacheLookup(Document(id=doc_id, text="new"), None)


def test_cached_documents_go_on_while_the_workers_are_busy():
    lookups = [cached("k0"), new("n0"), cached("k1"), cached("k2")]
    workers, read = BusyWorkers(), []
    handed_on = resolve_with(workers, counted(lookups, read), None)
    assert next(handed_on).document.id == "k0" and read == ["k0"]  # before the new one is read
    assert next(handed_on).document.id == "n0" and read == ["k0", "n0", "k1", "k2"]
    assert [resolved.document.id for resolved in handed_on] == ["k1", "k2"]
    assert workers.submitted == [["n0"]] and workers.waits == [["n0"]]


def test_reading_ahead_of_a_busy_worker_is_bounded():
    read = []
    lookups = [new("n0"), *[cached(f"k{n}") for n in range(AHEAD_DOCUMENTS + 100)]]
    workers = BusyWorkers()
    handed_on = resolve_with(workers, counted(lookups, read), None)
    assert next(handed_on).document.id == "n0"
    # The new document was waited for once AHEAD_DOCUMENTS were read, not after all.
    assert len(read) == AHEAD_DOCUMENTS
    assert len(list(handed_on)) == AHEAD_DOCUMENTS + 100


def load_slowly(model):
    time.sleep(60)  # a worker that is stopped never gets past this
    Path(os.environ["GEOMAP_TEST_LOADED"]).touch()


WORKER_STARTED = workers_module._worker_started


def late_start(stop):
    time.sleep(2)  # the run is over before this worker has even started
    WORKER_STARTED(stop)


@pytest.mark.parametrize("start", ["at once", "late"])
def test_a_worker_loading_a_model_no_document_needs_is_not_waited_for(tmp_path, monkeypatch,
                                                                      start):
    folder = tmp_path / "news"
    folder.mkdir()
    for n, text in enumerate(NEWS[:2]):
        (folder / f"{n}.txt").write_text(text)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert CliRunner().invoke(cli, ["extract", str(folder), *cache, "--jobs", "1"]).exit_code == 0
    # The first worker starts loading the model before the cache is read.
    monkeypatch.setattr(workers_module, "warm_up", load_slowly)
    if start == "late":
        monkeypatch.setattr(workers_module, "_worker_started", late_start)
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
            [result] = batch.result()
            assert [r.place.name for r in result.resolutions] == ["Kharkiv"]
    finally:
        workers.close(wait=True)
