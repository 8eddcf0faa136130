"""Scale-out: the documents -> mentions -> resolution stages on this machine's
cores (--jobs) or on a Dask cluster (--engine dask).

On this machine, worker processes each load the model and the gazetteer
once and take batches of the documents the cache lacks; each returns the
batch's resolutions (or, when the run geocodes, its mentions, resolved by
the parent, which owns the geocoder and its rate limit). The first worker
starts loading the model before anything is read; documents come back in
input order, cached ones as soon as all before them are, with a bounded
number waiting, so memory stays flat. With --jobs 1 the same scheduling
runs the batches in this process.

On a cluster, the client lists the input files and cuts them into
partitions (about four per worker, at most PARTITION_BYTES each): several
small files together, or line-aligned parts of a large JSONL file. Each worker reads its partitions' documents, finds and
resolves their place names with the model and gazetteer it loaded once (both
are cached per process), and returns the extraction records; the client
reports the workers' input errors in its own log and hands the partitions
back in input order, so their concatenation equals a local run's output.
Input files must be at the same path on every worker (a shared filesystem).
"""

from __future__ import annotations

import contextlib
import mmap
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from geomap import gazetteer, mentions, resolve
from geomap.mentions.nlp import load_pipeline
from geomap.documents import (Document, InputLog, ReadOptions, files_of, kind_of,
                              read_file)
from geomap.geocode import Geocoder
from geomap.mentions import Mention
from geomap.records import extraction_lines
from geomap.resolve import Resolution

# Partitions: big enough that a task's overhead is noise, small enough to
# spread over the workers and keep each task's memory small.
PARTITION_BYTES = 4_000_000
MIN_PARTITION_BYTES = 64_000
PARTITIONS_PER_WORKER = 4
BATCH_DOCUMENTS = 16  # per task on this machine's worker processes
DEFAULT_JOBS_MAX = 4  # a worker holds a language model: about 250 MB
# Tasks queued per worker: enough to keep workers busy, few enough to keep
# the parent's memory flat however long the corpus.
QUEUED_PER_WORKER = 2
AHEAD_DOCUMENTS = 1000  # documents read ahead of the oldest one not yet resolved


@dataclass(frozen=True)
class Piece:
    """A file to read whole, or the (first byte, end byte, first line number)
    part of a JSONL file."""

    path: str
    lines: tuple[int, int, int] | None = None


@dataclass
class PartitionResult:
    documents: list[str]  # each document's extraction lines
    events: list[tuple[str, str]]  # ("fail" | "skip", message), in reading order
    processed: int  # input files read


class RecordingLog(InputLog):
    """A worker's input log: keeps failures and skips for the client to report."""

    def __init__(self) -> None:
        super().__init__(say=lambda _line: None)
        self.events: list[tuple[str, str]] = []

    def fail(self, message: str) -> None:
        self.failed += 1
        self.events.append(("fail", message))

    def skip(self, message: str) -> None:
        self.skipped += 1
        self.events.append(("skip", message))


def jsonl_parts(path: Path, size: int, part_bytes: int) -> list[Piece]:
    """A JSONL file as line-aligned pieces of about `part_bytes` each."""
    pieces = []
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        start, line = 0, 1
        while start < size:
            newline = data.find(b"\n", start + part_bytes)
            end = size if newline < 0 else newline + 1
            pieces.append(Piece(str(path), (start, end, line)))
            line += data[start:end].count(b"\n")
            start = end
    return pieces


def partition_size(total_bytes: int, workers: int) -> int:
    """About PARTITIONS_PER_WORKER partitions per worker, so that small inputs
    still spread over every worker, within [MIN_PARTITION_BYTES, PARTITION_BYTES]."""
    share = total_bytes // max(1, workers * PARTITIONS_PER_WORKER)
    return max(MIN_PARTITION_BYTES, min(PARTITION_BYTES, share))


def plan_partitions(inputs: tuple[str, ...], options: ReadOptions, log: InputLog, workers: int,
                    partition_bytes: int | None = None) -> list[list[Piece]]:
    """The inputs' files cut into partitions of about `partition_bytes` (by
    default sized for `workers`), in input order."""
    files = [(file, file.stat().st_size) for name in inputs for file in files_of(name, options, log)]
    target = partition_bytes or partition_size(sum(size for _file, size in files), workers)
    partitions: list[list[Piece]] = []
    current: list[Piece] = []
    current_bytes = 0
    for file, size in files:
        if kind_of(file) == "jsonl" and size > target:
            pieces = [(piece, target) for piece in jsonl_parts(file, size, target)]
        else:
            pieces = [(Piece(str(file)), size)]
        for piece, piece_bytes in pieces:
            current.append(piece)
            current_bytes += piece_bytes
            if current_bytes >= target:
                partitions.append(current)
                current, current_bytes = [], 0
    if current:
        partitions.append(current)
    return partitions


def default_jobs() -> int:
    """One worker process per core, at most DEFAULT_JOBS_MAX (each holds a model)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, DEFAULT_JOBS_MAX))


def resolve_batch(documents: list[Document], model: str, geocoding: bool,
                  ) -> list[tuple[list[Mention], list[Resolution] | None]]:
    """In a worker process: each document's mentions, and its resolutions
    unless the parent geocodes (then it resolves them itself). The model is
    loaded only if there is a document."""
    if not documents:
        return []
    places = gazetteer.load()
    return [(found, None if geocoding else resolve.resolve_document(found, places, None, document.date))
            for document, found in mentions.extract_mentions(documents, places,
                                                             load_pipeline(model))]


class WorkerDied(Exception):
    """A worker process ended without answering (killed, out of memory)."""


def _in_order(tasks: Iterable, submit: Callable[[object], Future],
              in_flight: int) -> Iterator[tuple[object, object]]:
    """(task, its result) for each task, in order, with at most `in_flight`
    submitted and unanswered; tasks still queued when the caller stops are
    cancelled."""
    queued: deque = deque()
    tasks = iter(tasks)
    try:
        while True:
            for task in islice(tasks, in_flight - len(queued)):
                queued.append((task, submit(task)))
            if not queued:
                return
            task, future = queued.popleft()
            yield task, future.result()
    finally:
        for _task, future in queued:
            future.cancel()


Known = list[Resolution] | None  # a document's resolutions when the cache has them


class InProcess:
    """Resolves each batch of documents in this process, as it is submitted
    (--jobs 1): the model is loaded only if a document needs it."""

    jobs = 1

    def __init__(self, model: str, geocoding: bool):
        self.model, self.geocoding = model, geocoding

    def submit(self, batch: list[Document]) -> Future:
        future: Future = Future()
        future.set_result(resolve_batch(batch, self.model, self.geocoding))
        return future

    def has_idle_worker(self) -> bool:
        return False  # this process works only when a batch is full

    def close(self, wait: bool) -> None:
        pass


class Workers:
    """Worker processes that read and resolve batches of documents.

    The first starts loading the model at once, while this process reads the
    inputs and the cache: a run with a few new documents finds it ready. The
    others start when the first has QUEUED_PER_WORKER batches waiting: for a
    couple of articles, another worker would take longer to load spaCy and
    the model (about 1.5 s of a core) than the first takes to read them, and
    would slow it down.
    """

    def __init__(self, model: str, jobs: int, geocoding: bool):
        # fork shares the imported libraries; spawn where fork does not exist.
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.model, self.jobs, self.geocoding = model, jobs, geocoding
        self.first_pid = self.context.Value("i", 0, lock=False)
        first = ProcessPoolExecutor(1, mp_context=self.context, initializer=_first_worker_started,
                                    initargs=(self.first_pid,))
        self.warming = first.submit(_load, model)
        # Each pool with its number of workers and its futures not yet answered.
        self.pools: list[tuple[ProcessPoolExecutor, int, deque[Future]]] = [(first, 1, deque())]

    def submit(self, batch: list[Document]) -> Future:
        for _pool, _workers, futures in self.pools:
            while futures and futures[0].done():
                futures.popleft()
        if len(self.pools) == 1 and self.jobs > 1 and len(self.pools[0][2]) >= QUEUED_PER_WORKER:
            # Forked while the first pool's threads run: they only touch that
            # pool's queues, which the new workers never use.
            others = ProcessPoolExecutor(self.jobs - 1, mp_context=self.context,
                                         initializer=_worker_started)
            self.pools.append((others, self.jobs - 1, deque()))
        # The pool with the least work per worker; the first on a tie.
        pool, _workers, futures = min(self.pools, key=lambda p: len(p[2]) / p[1])
        futures.append(pool.submit(resolve_batch, batch, self.model, self.geocoding))
        return futures[-1]

    def has_idle_worker(self) -> bool:
        """Whether a worker has, or soon will have, nothing to do."""
        return sum(not future.done() for _p, _w, futures in self.pools for future in futures) < self.jobs

    def close(self, wait: bool) -> None:
        """Stop the workers; a first worker still loading a model no document
        needed is ended rather than waited for."""
        if not self.warming.done() and self.first_pid.value:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.first_pid.value, signal.SIGKILL)
        for pool, _workers, _futures in self.pools:
            pool.shutdown(wait=wait, cancel_futures=True)


def _load(model: str) -> None:
    gazetteer.load()
    load_pipeline(model)


@dataclass
class _Batch:
    documents: list[Document]
    future: Future | None = None  # once submitted


def resolve_with(workers: Workers | InProcess, pairs: Iterable[tuple[Document, Known]],
                 geocoder: Geocoder | None) -> Iterator[tuple[Document, list[Resolution]]]:
    """Documents with their known resolutions, or else resolved by the
    workers, in input order; the workers are stopped at the end.

    Known ones are handed on as soon as all before them are, so this process
    types their incidents while the workers run. New ones go to the workers
    in batches of one document per worker first, then doubling up to
    BATCH_DOCUMENTS; a batch goes before it is full when a worker would
    otherwise wait. At most QUEUED_PER_WORKER batches a worker and
    AHEAD_DOCUMENTS documents wait, so memory stays flat.
    """
    places, jobs = gazetteer.load(), workers.jobs
    # Each document read and not yet handed on, in input order, with its
    # known resolutions or its batch and place in it.
    waiting: deque[tuple[Document, Known, _Batch | None, int]] = deque()
    filling = _Batch([])
    in_flight = 0

    def submit() -> None:
        nonlocal filling, in_flight
        filling.future = workers.submit(filling.documents)
        filling, in_flight = _Batch([]), in_flight + 1

    def ready() -> bool:
        _document, known, batch, _index = waiting[0]
        return known is not None or (batch.future is not None and batch.future.done())

    def hand_on() -> tuple[Document, list[Resolution]]:
        nonlocal in_flight
        document, known, batch, index = waiting.popleft()
        if known is not None:
            return document, known
        if batch is filling:
            submit()  # nothing can go on before it
        found, resolutions = batch.future.result()[index]
        if index == len(batch.documents) - 1:
            in_flight -= 1
        if resolutions is None:
            resolutions = resolve.resolve_document(found, places, geocoder, document.date)
        return document, resolutions

    finished = False
    try:
        sizes = _batch_sizes(jobs)
        size = next(sizes)
        for document, known in pairs:
            if known is None:
                waiting.append((document, None, filling, len(filling.documents)))
                filling.documents.append(document)
                if len(filling.documents) == size:
                    submit()
                    size = next(sizes)
            else:
                waiting.append((document, known, None, 0))
            if filling.documents and workers.has_idle_worker():
                submit()  # rather than let a worker wait for the batch to fill
            while waiting and (ready() or len(waiting) >= AHEAD_DOCUMENTS
                               or in_flight >= jobs * QUEUED_PER_WORKER):
                yield hand_on()
        if filling.documents:
            submit()
        while waiting:
            yield hand_on()
        finished = True
    except BrokenProcessPool:
        raise WorkerDied("a worker process died (out of memory?); nothing was "
                         "written; try fewer --jobs") from None
    finally:
        # Interrupted: leave at once; the workers notice and end (_worker_started).
        workers.close(wait=finished)


def _first_worker_started(pid) -> None:
    pid.value = os.getpid()
    _worker_started()


def _worker_started() -> None:
    """A worker leaves Ctrl-C to its parent and ends when the parent is gone,
    even killed outright, instead of living on as an orphan."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def _batch_sizes(jobs: int) -> Iterator[int]:
    """One document per worker first, then doubling up to BATCH_DOCUMENTS: a
    handful of articles still keeps every worker busy."""
    size = 1
    while True:
        yield from [size] * jobs
        size = min(2 * size, BATCH_DOCUMENTS)


def extract_partition(pieces: list[Piece], options: ReadOptions, model: str,
                      output_format: str, explain: bool) -> PartitionResult:
    """On a worker: read, find and resolve one partition's documents."""
    log = RecordingLog()

    def documents() -> Iterator[Document]:
        for piece in pieces:
            already = log.processed
            yield from read_file(Path(piece.path), options, log, piece.lines)
            if piece.lines and piece.lines[0] > 0:
                log.processed = already  # a file read in parts counts once, with its first
    batch = list(documents())
    lines = [extraction_lines(document, resolutions, output_format, explain)
             for document, (_found, resolutions) in zip(batch, resolve_batch(batch, model, False))]
    return PartitionResult(lines, log.events, log.processed)


def run_partitions(client, partitions: list[list[Piece]], options: ReadOptions, model: str,
                   output_format: str, explain: bool, log: InputLog) -> Iterator[list[str]]:
    """Each partition's extraction lines, in input order, computed on `client`'s
    workers with a bounded queue; the workers' input errors go to `log`."""
    workers = max(1, sum(client.nthreads().values()))
    results = _in_order(partitions,
                        lambda pieces: client.submit(extract_partition, pieces, options, model,
                                                     output_format, explain, pure=False),
                        workers * QUEUED_PER_WORKER)
    for _pieces, result in results:
        for kind, message in result.events:
            (log.fail if kind == "fail" else log.skip)(message)
        log.processed += result.processed
        room = max(0, options.max_documents - log.documents)
        kept = result.documents[:room]
        log.documents += len(kept)
        if len(kept) < len(result.documents):
            log.skip(f"the limit of {options.max_documents} documents is reached (--max-documents)")
            results.close()  # cancels the partitions still queued
            yield kept
            return
        yield kept
