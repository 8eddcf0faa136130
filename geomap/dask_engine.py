"""The Dask engine (`extract --engine dask`): the documents -> mentions ->
resolution stages on a Dask cluster's workers.

The client lists the input files and cuts them into partitions (about four
per worker, at most PARTITION_BYTES each): several small files together, or
line-aligned parts of a large JSONL file. Each worker reads its
partitions' documents, finds and resolves their place names with the model
and gazetteer it loaded once, and returns the extraction lines; the client
reports the workers' input errors in its own log and writes the partitions
in input order, so their concatenation equals a local run's output. Input
files must be at the same path on every worker (a shared filesystem).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import mmap
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from geomap.batch import resolve_batch
from geomap.documents import Document, InputLog, LineRange, ReadOptions, read_file
from geomap.errors import Interrupted, NothingRead, SchedulerUnreachable, UsageError
from geomap.extraction import extraction_lines
from geomap.input_files import STDIN, InputFile, files_of, kind_of
from geomap.output_files import atomic_directory
from geomap.pipeline import Run
from geomap.resolve import ResolvedDocument

# Partitions: big enough that a task's overhead is noise, small enough to
# spread over the workers and keep each task's memory small.
PARTITION_BYTES = 4_000_000
MIN_PARTITION_BYTES = 64_000
PARTITIONS_PER_WORKER = 4
# Partitions queued per worker thread: enough to keep workers busy, few
# enough to keep the client's memory flat however long the archive.
QUEUED_PER_WORKER = 2
PARTS = "part-*.jsonl"
LOOPBACK = "127.0.0.1"

Task = TypeVar("Task")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Piece:
    """A file to read whole, or a line-aligned part of a JSONL file."""

    file: InputFile
    part: LineRange | None = None


@dataclass(frozen=True)
class InputEvent:
    """An input problem a worker met, for the client to report."""

    failed: bool  # else skipped
    message: str


@dataclass
class PartitionResult:
    documents: list[str]  # each document's extraction lines
    events: list[InputEvent]  # in reading order
    processed: int  # input files read


class RecordingLog(InputLog):
    """A worker's input log: keeps failures and skips for the client to report."""

    def __init__(self) -> None:
        super().__init__(say=lambda _line: None)
        self.events: list[InputEvent] = []

    def fail(self, message: str) -> None:
        self.failed += 1
        self.events.append(InputEvent(True, message))

    def skip(self, message: str) -> None:
        self.skipped += 1
        self.events.append(InputEvent(False, message))


def extract_on_dask(run: Run, inputs: tuple[str, ...], output: Path | None, output_format: str,
                    explain: bool, scheduler: str | None, partition_bytes: int | None) -> None:
    """Partitions read and resolved on the cluster's workers, written by this
    process as OUTPUT/part-NNNNN.jsonl in input order. Without a scheduler,
    a local cluster of --jobs worker processes."""
    try:
        import distributed  # noqa: F401 - only whether it is installed
    except ImportError:
        raise UsageError("--engine dask needs Dask: pip install 'geomap[dask]'") from None
    if output is None:
        raise UsageError("--engine dask writes a folder of parts: name it with -o DIR")
    if run.geocoder is not None:
        raise UsageError("--geocode is not available with --engine dask: public geocoders "
                         "allow one request a second, not one per worker")
    if STDIN in inputs:
        raise UsageError("the Dask engine reads files, not standard input")
    if scheduler is not None and run.offline and not is_loopback(scheduler):
        raise UsageError(f"--offline: {scheduler} is on the network; use a local cluster "
                         "(no --scheduler) or a scheduler on this machine", option="--scheduler")
    try:
        _extract(run, inputs, output, output_format, explain, scheduler, partition_bytes)
    except asyncio.CancelledError:  # Ctrl-C while the cluster starts or stops
        raise Interrupted("interrupted; no output file was changed") from None
    run.finish()


def _extract(run: Run, inputs: tuple[str, ...], output: Path, output_format: str,
             explain: bool, scheduler: str | None, partition_bytes: int | None) -> None:
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.suppress(NothingRead))
        # The folder first (a bad one fails fast); the cluster is gone before it is renamed.
        folder = stack.enter_context(atomic_directory(output, PARTS))
        address = scheduler
        if address is None:
            # Loopback only: nothing of the cluster (its workers' folders and
            # memory, its metrics) is served to the network, and no dashboard.
            address = stack.enter_context(LocalCluster(
                n_workers=run.processing.jobs, threads_per_worker=1, host=LOOPBACK,
                dashboard_address=f"{LOOPBACK}:0", scheduler_kwargs={"dashboard": False},
                silence_logs=logging.ERROR))  # not its notes on tasks cancelled at --max-documents
        try:
            client = stack.enter_context(Client(address))
        except (TimeoutError, OSError) as exc:
            raise SchedulerUnreachable(f"cannot reach the Dask scheduler: {exc}") from None
        except (ValueError, TypeError, MemoryError, EOFError) as exc:
            # What a server that is not a Dask scheduler makes the protocol read.
            raise SchedulerUnreachable(f"{address} does not answer as a Dask scheduler "
                                       f"({type(exc).__name__})") from None
        workers = sum(client.nthreads().values())
        partitions = plan_partitions(inputs, run.reading, run.log, workers, partition_bytes)
        parts = run_partitions(client, partitions, run.reading, run.processing.model,
                               output_format, explain, run.log)
        for number, lines in enumerate(run.progress(parts, "parts", total=len(partitions))):
            (folder / f"part-{number:05d}.jsonl").write_text("".join(lines), encoding="utf-8")
        if not run.anything_read:
            raise NothingRead


def is_loopback(address: str) -> bool:
    """Whether a scheduler address is on this machine (tcp://127.0.0.1:8786, localhost)."""
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def jsonl_parts(file: InputFile, size: int, part_bytes: int) -> list[Piece]:
    """A JSONL file as line-aligned pieces of about `part_bytes` each."""
    pieces = []
    with open(file.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        start, line = 0, 1
        while start < size:
            newline = data.find(b"\n", start + part_bytes)
            end = size if newline < 0 else newline + 1
            pieces.append(Piece(file, LineRange(start, end, line)))
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
    files = [(file, file.path.stat().st_size) for name in inputs
             for file in files_of(name, options.selection, log.file_problems)]
    target = partition_bytes or partition_size(sum(size for _file, size in files), workers)
    partitions: list[list[Piece]] = []
    current: list[Piece] = []
    current_bytes = 0
    for file, size in files:
        if kind_of(file.path) == "jsonl" and size > target:
            pieces = [(piece, target) for piece in jsonl_parts(file, size, target)]
        else:
            pieces = [(Piece(file), size)]
        for piece, piece_bytes in pieces:
            current.append(piece)
            current_bytes += piece_bytes
            if current_bytes >= target:
                partitions.append(current)
                current, current_bytes = [], 0
    if current:
        partitions.append(current)
    return partitions


def extract_partition(pieces: list[Piece], options: ReadOptions, model: str,
                      output_format: str, explain: bool) -> PartitionResult:
    """On a worker: read, find and resolve one partition's documents."""
    log = RecordingLog()

    def documents() -> Iterator[Document]:
        for piece in pieces:
            already = log.processed
            yield from read_file(piece.file, options, log, piece.part)
            if piece.part and piece.part.start > 0:
                log.processed = already  # a file read in parts counts once, with its first
    batch = list(documents())
    lines = []
    for document, result in zip(batch, resolve_batch(batch, model, False)):
        assert result.resolutions is not None  # the parent geocodes nothing here
        lines.append(extraction_lines(ResolvedDocument(document, result.resolutions),
                                      output_format, explain))
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
    for result in results:
        for event in result.events:
            (log.fail if event.failed else log.skip)(event.message)
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


def _in_order(tasks: Iterable[Task], submit: Callable[[Task], Future[Result]],
              in_flight: int) -> Generator[Result, None, None]:
    """Each task's result, in order, with at most `in_flight` submitted and
    unanswered; tasks still queued when the caller stops are cancelled."""
    queued: deque[Future[Result]] = deque()
    pending = iter(tasks)
    try:
        while True:
            for task in islice(pending, in_flight - len(queued)):
                queued.append(submit(task))
            if not queued:
                return
            yield queued.popleft().result()
    finally:
        for future in queued:
            future.cancel()
