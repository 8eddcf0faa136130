"""A run of the pipeline for one command: the inputs' documents through the
cache, the workers and resolution in input order, what each command makes
of them, and what a run reports at its end.

The command line (cli.py) only parses options into the settings objects
here and in documents (ReadOptions) and geocode (GeocoderSettings); a run
ends by raising a geomap.errors error when it is not a full success.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, TypeVar

from geomap import gazetteer
from geomap.cache import CacheLookup, ExtractionCache, with_cache
from geomap.casualty_eval import is_casualty_gold, score_casualties
from geomap.documents import InputLog, ReadOptions, estimated_count, read_documents
from geomap.errors import InputsFailed, NothingRead, UsageError
from geomap.evaluate import gold_kind, read_gold, score_events, score_toponyms
from geomap.export import csv_text, geojson_text
from geomap.extraction import extraction_lines, read_extraction
from geomap.geocode import GeocoderSettings, GeopyGeocoder, geocoder_for
from geomap.incidents import collect_incidents
from geomap.input_files import STDIN
from geomap.mentions.nlp import MODEL, check_pipeline, pipeline_digest
from geomap.output_files import atomic_writer, check_outputs, target_of, write_set
from geomap.resolve import ResolvedDocument, toponyms
from geomap.workers import InProcess, Resolver, Workers, resolve_with

Item = TypeVar("Item")


@dataclass(frozen=True)
class Processing:
    """How a run processes documents (the commands' processing options)."""

    model: str = MODEL  # a spaCy pipeline, or "none"
    jobs: int = 1  # worker processes
    cache_dir: Path | None = None  # where extractions are cached; None: no cache
    quiet: bool = False  # no progress bar


class Run:
    """One pass over a command's inputs: counts inputs, collects unresolved
    names, and reports both at the end."""

    def __init__(self, processing: Processing, say: Callable[[str], None],
                 reading: ReadOptions | None = None, geocoding: GeocoderSettings | None = None):
        """`say` reports one line (an input problem, a warning, the summary)."""
        self.processing = processing
        self.reading = reading or ReadOptions()
        self.say = say
        self.log = InputLog(say, strict=self.reading.strict)
        self.geocoder: GeopyGeocoder | None = geocoder_for(geocoding or GeocoderSettings(),
                                                           self.warn, processing.cache_dir)
        self.offline = (geocoding or GeocoderSettings()).no_network
        self.cache: ExtractionCache | None = None
        self.unresolved: Counter[str] = Counter()

    def warn(self, message: str) -> None:
        self.say(f"warning: {message}")

    def resolved(self, inputs: Iterable[str]) -> Iterator[ResolvedDocument]:
        """Each document read with its resolutions, in input order. With
        --jobs, the worker processes start before this returns, so that one
        loads the model while this process reads the inputs and the cache."""
        inputs = tuple(inputs)
        processing = self.processing
        places = gazetteer.load()
        if processing.cache_dir is not None:
            geocoder = self.geocoder.identity if self.geocoder else "none"
            configuration = f"{pipeline_digest(processing.model)}|{places.digest}|{geocoder}"
            self.cache = ExtractionCache(processing.cache_dir, configuration, warn=self.warn)
        try:
            check_pipeline(processing.model)
        except ValueError as exc:
            raise UsageError(str(exc), option="--model") from exc
        geocoding = self.geocoder is not None
        workers: Resolver = (InProcess(processing.model, geocoding) if processing.jobs == 1
                             else Workers(processing.model, processing.jobs, geocoding))

        def process(lookups: Iterable[CacheLookup]) -> Iterator[ResolvedDocument]:
            return resolve_with(workers, lookups, self.geocoder)

        documents = read_documents(inputs, self.log, self.reading)
        total = estimated_count(inputs, self.reading) if self.shows_progress else None
        return self._reported(with_cache(documents, self.cache, process), total)

    def _reported(self, resolved: Iterable[ResolvedDocument],
                  total: int | None) -> Iterator[ResolvedDocument]:
        """The documents with a progress bar, noting the names left unresolved."""
        for document in self.progress(resolved, "docs", total):
            self.unresolved.update(r.mention.text for r in document.resolutions
                                   if r.place is None)
            yield document

    def progress(self, items: Iterable[Item], unit: str,
                 total: int | None = None) -> Iterable[Item]:
        """A progress bar with rate (and ETA, given a total) on a terminal only;
        silent in pipes and with --quiet."""
        if not self.shows_progress:
            return items
        from tqdm import tqdm  # imported only for a bar someone will see

        return tqdm(items, unit=f" {unit}", total=total, file=sys.stderr, mininterval=0.5,
                    leave=False)

    @property
    def shows_progress(self) -> bool:
        return not self.processing.quiet and sys.stderr.isatty()

    @property
    def anything_read(self) -> bool:
        return self.log.documents > 0

    def finish(self) -> None:
        """Report the unresolved names and the inputs; raise NothingRead when
        nothing could be read, InputsFailed when some inputs failed."""
        if self.unresolved:
            names = ", ".join(f"{name} ({n})" for name, n in sorted(self.unresolved.items()))
            self.say(f"unresolved place names: {names}")
        self.say(self.log.summary())
        if self.cache is not None and self.cache.hits:
            self.say(f"{self.cache.hits} of {self.cache.hits + self.cache.misses} "
                     "documents from the cache")
        if self.cache is not None and self.cache.damaged:
            self.warn(f"{self.cache.damaged} damaged cache entries were computed again")
        if not self.anything_read:
            raise NothingRead("no document could be read; nothing was written")
        if self.log.failed:
            raise InputsFailed()


def outputs_kept_out(reading: ReadOptions, inputs: Iterable[str],
                     outputs: dict[str, Path]) -> ReadOptions:
    """The reading options with this run's outputs never read as inputs, once
    the outputs are checked, before any work (output_files.check_outputs)."""
    check_outputs(outputs, [Path(name) for name in inputs if name != STDIN])
    own = frozenset(str(target_of(path)) for path in outputs.values())
    selection = dataclasses.replace(reading.selection, skip_paths=own)
    return dataclasses.replace(reading, selection=selection)


@dataclass(frozen=True)
class MapFiles:
    """Where `build` writes the map and its GeoJSON and CSV."""

    html: Path
    geojson: Path
    csv: Path


def build_map(run: Run, inputs: Iterable[str], files: MapFiles, from_extract: bool) -> None:
    """The map, GeoJSON and CSV of the inputs (articles, or `extract
    --format documents` output), each written whole or not at all."""
    resolved = read_extraction(inputs, run.log) if from_extract else run.resolved(inputs)
    # Only build needs Folium; it is imported while a worker loads the model.
    from geomap.render import render_map

    groups = collect_incidents(resolved)
    if run.anything_read:
        write_set({files.html: render_map(groups, run.log.documents),
                   files.geojson: geojson_text(groups), files.csv: csv_text(groups)}, run.say)
        incidents = sum(len(g.incidents) for g in groups)
        run.say(f"{run.log.documents} documents, {len(groups)} places, {incidents} incidents "
                f"-> {files.html}, {files.geojson}, {files.csv}")
    run.finish()


def extract(run: Run, inputs: Iterable[str], output: Path | None, output_format: str,
            explain: bool) -> None:
    """The inputs' extraction records, to `output` or standard output."""
    def write_records(out: TextIO) -> None:
        for resolved in run.resolved(inputs):
            out.write(extraction_lines(resolved, output_format, explain))

    if output is None:
        write_records(sys.stdout)
    else:
        # Streamed to a temporary file beside the output, renamed when complete;
        # when nothing could be read, the previous output stays as it was.
        with contextlib.suppress(NothingRead), atomic_writer(output, run.say) as out:
            write_records(out)
            if not run.anything_read:
                raise NothingRead
    run.finish()


def evaluate(run: Run, gold_file: Path) -> dict:
    """geomap's figures against a gold file (toponym, event or casualty gold)."""
    try:
        records = read_gold(gold_file)
        if is_casualty_gold(records):
            return score_casualties(records, run.resolved((str(gold_file),)))
        kind = gold_kind(records)
    except ValueError as exc:
        raise UsageError(str(exc), option="GOLD_FILE") from exc
    predictions = {resolved.document.id: toponyms(resolved.resolutions)
                   for resolved in run.resolved((str(gold_file),))}
    score = score_toponyms if kind == "toponyms" else score_events
    return score(records, predictions)
