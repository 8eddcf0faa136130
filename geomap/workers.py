"""Local workers: the documents the cache lacks, resolved in batches by
worker processes (--jobs N) or in this process (--jobs 1), and handed on in
input order.

Each worker process loads the model and the gazetteer once and takes
batches of documents; it returns each document's resolutions (or, when the
run geocodes, its mentions, resolved by this process, which owns the
geocoder and its rate limit). The first worker starts loading the model
before anything is read. Documents come back in input order, cached ones
as soon as all before them are, with a bounded number waiting, so memory
stays flat.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Protocol

from geomap import gazetteer
from geomap.batch import DocumentResult, resolve_batch, warm_up
from geomap.cache import CacheLookup
from geomap.documents import Document
from geomap.errors import WorkerDied
from geomap.resolve import Geocoder, Resolution, ResolvedDocument, resolve_document

BATCH_DOCUMENTS = 16  # per task, at most
DEFAULT_JOBS_MAX = 4  # a worker needs about 550 MB: the model and the text at hand
# Tasks queued per worker: enough to keep workers busy, few enough to keep
# this process's memory flat however long the corpus.
QUEUED_PER_WORKER = 2
AHEAD_DOCUMENTS = 1000  # documents read ahead of the oldest one not yet resolved
WATCH_SECONDS = 0.5  # how often a worker checks that it is still wanted


def default_jobs() -> int:
    """One worker process per core, at most DEFAULT_JOBS_MAX (each holds a model)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, DEFAULT_JOBS_MAX))


class Resolver(Protocol):
    """Where batches of documents are resolved."""

    jobs: int

    def submit(self, batch: list[Document]) -> Future[list[DocumentResult]]: ...

    def has_idle_worker(self) -> bool: ...

    def close(self, wait: bool) -> None: ...


class InProcess:
    """Resolves each batch of documents in this process, as it is submitted
    (--jobs 1): the model is loaded only if a document needs it."""

    jobs = 1

    def __init__(self, model: str, geocoding: bool):
        self.model, self.geocoding = model, geocoding

    def submit(self, batch: list[Document]) -> Future[list[DocumentResult]]:
        future: Future[list[DocumentResult]] = Future()
        future.set_result(resolve_batch(batch, self.model, self.geocoding))
        return future

    def has_idle_worker(self) -> bool:
        return False  # this process works only when a batch is full

    def close(self, wait: bool) -> None:
        """Nothing to stop: the batches ran as they were submitted."""


@dataclass
class _Pool:
    """Worker processes, with the batches they have not answered yet."""

    executor: ProcessPoolExecutor
    workers: int
    pending: deque[Future[list[DocumentResult]]] = field(default_factory=deque)

    def load(self) -> float:
        """Batches waiting per worker."""
        while self.pending and self.pending[0].done():
            self.pending.popleft()
        return len(self.pending) / self.workers

    def busy(self) -> int:
        return sum(not future.done() for future in self.pending)


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
        # Set to 1, every worker leaves within WATCH_SECONDS. A plain shared byte, not an
        # Event: setting an Event waits for its waiters, and a dead one never answers.
        self.stop = self.context.RawValue("b", 0)
        first = self._executor(1)
        self.warming = first.submit(warm_up, model)
        self.pools = [_Pool(first, 1)]

    def _executor(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=self.context,
                                   initializer=_worker_started, initargs=(self.stop,))

    def submit(self, batch: list[Document]) -> Future[list[DocumentResult]]:
        if len(self.pools) == 1 and self.jobs > 1 and self.pools[0].load() >= QUEUED_PER_WORKER:
            # Forked while the first pool's threads run: they only touch that
            # pool's queues, which the new workers never use.
            self.pools.append(_Pool(self._executor(self.jobs - 1), self.jobs - 1))
        pool = min(self.pools, key=_Pool.load)  # the least work per worker; the first on a tie
        pool.pending.append(pool.executor.submit(resolve_batch, batch, self.model,
                                                 self.geocoding))
        return pool.pending[-1]

    def has_idle_worker(self) -> bool:
        """Whether a worker has, or soon will have, nothing to do."""
        return sum(pool.busy() for pool in self.pools) < self.jobs

    def close(self, wait: bool) -> None:
        """Stop the workers: once their work is done, or, when not waiting
        (an interrupted run), at once. A first worker still loading a model
        no document needed is never waited for."""
        if not wait or not self.warming.done():
            self.stop.value = 1
        for pool in self.pools:
            pool.executor.shutdown(wait=wait, cancel_futures=True)


def _worker_started(stop: ctypes.c_byte) -> None:
    """A worker leaves Ctrl-C to its parent, and ends when the parent sets
    `stop` or is gone (killed outright), rather than living on as an orphan."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent and not stop.value:
            time.sleep(WATCH_SECONDS)
        os._exit(1)  # from a thread, the only way to end the process at once
    threading.Thread(target=watch, daemon=True).start()


@dataclass
class _Batch:
    documents: list[Document] = field(default_factory=list)
    future: Future[list[DocumentResult]] | None = None  # once submitted


@dataclass(frozen=True)
class _Waiting:
    """A document read and not yet handed on."""

    document: Document
    known: list[Resolution] | None  # from the cache
    batch: _Batch | None = None  # else the batch it is in,
    index: int = 0  # at this place


def resolve_with(workers: Resolver, lookups: Iterable[CacheLookup],
                 geocoder: Geocoder | None) -> Iterator[ResolvedDocument]:
    """Documents with their cached resolutions, or else resolved by the
    workers, in input order; the workers are stopped at the end.

    Known ones are handed on as soon as all before them are, so this process
    types their incidents while the workers run. New ones go to the workers
    in batches of one document per worker first, then doubling up to
    BATCH_DOCUMENTS; a batch goes before it is full when a worker would
    otherwise wait. At most QUEUED_PER_WORKER batches a worker and
    AHEAD_DOCUMENTS documents wait, so memory stays flat.
    """
    places, jobs = gazetteer.load(), workers.jobs
    waiting: deque[_Waiting] = deque()  # in input order
    filling = _Batch()
    in_flight = 0

    def submit() -> None:
        nonlocal filling, in_flight
        filling.future = workers.submit(filling.documents)
        filling, in_flight = _Batch(), in_flight + 1

    def ready() -> bool:
        first = waiting[0]
        return first.known is not None or (first.batch is not None
                                           and first.batch.future is not None
                                           and first.batch.future.done())

    def hand_on() -> ResolvedDocument:
        nonlocal in_flight
        first = waiting.popleft()
        if first.known is not None:
            return ResolvedDocument(first.document, first.known)
        batch = first.batch
        assert batch is not None
        if batch is filling:
            submit()  # nothing can go on before it
        assert batch.future is not None
        result = batch.future.result()[first.index]
        if first.index == len(batch.documents) - 1:
            in_flight -= 1
        resolutions = result.resolutions
        if resolutions is None:
            resolutions = resolve_document(result.mentions, places, geocoder, first.document.date)
        return ResolvedDocument(first.document, resolutions)

    finished = False
    try:
        sizes = _batch_sizes(jobs)
        size = next(sizes)
        for lookup in lookups:
            if lookup.resolutions is None:
                waiting.append(_Waiting(lookup.document, None, filling, len(filling.documents)))
                filling.documents.append(lookup.document)
                if len(filling.documents) == size:
                    submit()
                    size = next(sizes)
            else:
                waiting.append(_Waiting(lookup.document, lookup.resolutions))
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


def _batch_sizes(jobs: int) -> Iterator[int]:
    """One document per worker first, then doubling up to BATCH_DOCUMENTS: a
    handful of articles still keeps every worker busy."""
    size = 1
    while True:
        yield from [size] * jobs
        size = min(2 * size, BATCH_DOCUMENTS)
