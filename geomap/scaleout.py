"""Scale-out: the documents -> mentions -> resolution stages on this machine's
cores (--jobs) or on a Dask cluster (--engine dask).

On this machine, a pool of worker processes each loads the model and the
gazetteer once and takes batches of documents; each returns the batch's
resolutions (or, when the run geocodes, its mentions, resolved by the
parent, which owns the geocoder and its rate limit). Batches come back in
input order with a bounded number in flight, so memory stays flat.

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
from itertools import chain, islice
from pathlib import Path

from geomap import gazetteer, mentions, resolve
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


def resolved_documents(documents: Iterable[Document], model: str,
                       geocoder: Geocoder | None = None,
                       ) -> Iterator[tuple[Document, list[Resolution]]]:
    """In this process: documents with their resolutions, in input order. The
    model is loaded only if there is a document to read."""
    documents = iter(documents)
    first = next(documents, None)
    if first is None:
        return
    places = gazetteer.load()
    for document, found in mentions.extract_mentions(chain([first], documents), places,
                                                     mentions.load_pipeline(model)):
        yield document, resolve.resolve_document(found, places, geocoder, document.date)


def resolve_batch(documents: list[Document], model: str, geocoding: bool,
                  ) -> list[tuple[list[Mention], list[Resolution] | None]]:
    """In a worker process: each document's mentions, and its resolutions
    unless the parent geocodes (then it resolves them itself)."""
    places = gazetteer.load()
    return [(found, None if geocoding else resolve.resolve_document(found, places, None, document.date))
            for document, found in mentions.extract_mentions(documents, places,
                                                             mentions.load_pipeline(model))]


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


def resolve_in_processes(documents: Iterable[Document], model: str, jobs: int,
                         geocoder: Geocoder | None,
                         ) -> Iterator[tuple[Document, list[Resolution]]]:
    """Documents with their resolutions, in input order, from `jobs` worker processes."""
    # fork shares the imported libraries; spawn where fork does not exist.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    places = gazetteer.load()
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_started)
    finished = False
    try:
        batches = _in_order(_batches(documents, jobs),
                            lambda batch: pool.submit(resolve_batch, batch, model, geocoder is not None),
                            jobs * QUEUED_PER_WORKER)
        for batch, results in batches:
            for document, (found, resolutions) in zip(batch, results):
                if resolutions is None:
                    resolutions = resolve.resolve_document(found, places, geocoder, document.date)
                yield document, resolutions
        finished = True
    except BrokenProcessPool:
        raise WorkerDied("a worker process died (out of memory?); nothing was "
                         "written; try fewer --jobs") from None
    finally:
        # Interrupted: leave at once; the workers notice and end (_worker_started).
        pool.shutdown(wait=finished, cancel_futures=True)


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


def _batches(documents: Iterable[Document], jobs: int) -> Iterator[list[Document]]:
    """Batches of one document per worker first, then doubling up to
    BATCH_DOCUMENTS: a handful of articles still keeps every worker busy."""
    remaining, size = iter(documents), 1
    while True:
        for _worker in range(jobs):
            batch = list(islice(remaining, size))
            if not batch:
                return
            yield batch
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
    lines = [extraction_lines(document, resolutions, output_format, explain)
             for document, resolutions in resolved_documents(documents(), model)]
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
