"""geomap's command line: parses options and runs the stages in order."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NoReturn

import click

from geomap import documents, gazetteer, mentions, resolve, scaleout
from geomap.mentions import nlp as pipelines
from geomap.resolve.priors import prior
from geomap.cache import ExtractionCache, with_cache
from geomap.export import atomic_directory, atomic_writer, csv_text, geojson_text, write_atomic
from geomap.geocode import (DEFAULT_SERVICE, DEFAULT_USER_AGENT, OFFLINE_ENV, GeopyGeocoder,
                            offline_requested, user_cache_dir)
from geomap.incidents import collect_incidents
from geomap.records import FORMATS, MENTION_FORMAT, extraction_lines, read_extraction

DEFAULT_OUTPUT = Path("output/map.html")


class NothingRead(Exception):
    """No document could be read: an output being written is dropped."""


class Run:
    """One pass over the inputs: counts inputs, collects unresolved names."""

    def __init__(self, geocoder: GeopyGeocoder | None = None,
                 options: documents.ReadOptions | None = None, model: str = pipelines.MODEL,
                 jobs: int = 1, quiet: bool = False, cache_dir: Path | None = None):
        self.options = options or documents.ReadOptions()
        self.model, self.jobs, self.quiet, self.cache_dir = model, jobs, quiet, cache_dir
        self.cache: ExtractionCache | None = None
        self.log = documents.InputLog(lambda line: click.echo(f"geomap: {line}", err=True),
                                      strict=self.options.strict)
        self.unresolved: Counter = Counter()
        self.geocoder = geocoder

    def resolved(self, inputs: tuple[str, ...]) -> Iterator[tuple[documents.Document, list[resolve.Resolution]]]:
        """Each document read with its resolutions, in input order. With
        --jobs, the worker processes start before this returns, so that one
        loads the model while this process reads the inputs and the cache."""
        places = gazetteer.load()
        if self.cache_dir is not None:
            geocoder = self.geocoder.name if self.geocoder else "none"
            self.cache = ExtractionCache(self.cache_dir, f"{self.model}|{places.digest}|{geocoder}",
                                         warn=warn)
        try:
            pipelines.check_pipeline(self.model)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--model") from exc

        geocoding = self.geocoder is not None
        workers = (scaleout.InProcess(self.model, geocoding) if self.jobs == 1
                   else scaleout.Workers(self.model, self.jobs, geocoding))

        def process(pairs):
            try:
                yield from scaleout.resolve_with(workers, pairs, self.geocoder)
            except scaleout.WorkerDied as exc:
                raise click.ClickException(str(exc)) from None

        docs = documents.read_documents(inputs, self.log, self.options)
        total = documents.estimated_count(inputs, self.options) if self.shows_progress else None
        return self.reported(with_cache(docs, self.cache, process), total)

    def reported(self, resolved: Iterable, total: int | None,
                 ) -> Iterator[tuple[documents.Document, list[resolve.Resolution]]]:
        """The documents with a progress bar, noting the names left unresolved."""
        for document, resolutions in self.progress(resolved, "docs", total):
            self.unresolved.update(r.mention.text for r in resolutions if r.place is None)
            yield document, resolutions

    def progress(self, items: Iterable, unit: str, total: int | None = None) -> Iterable:
        """A progress bar with rate (and ETA, given a total) on a terminal only;
        silent in pipes and with --quiet."""
        if not self.shows_progress:
            return items
        from tqdm import tqdm  # imported only for a bar someone will see

        return tqdm(items, unit=f" {unit}", total=total, file=sys.stderr, mininterval=0.5,
                    leave=False)

    @property
    def shows_progress(self) -> bool:
        return not self.quiet and sys.stderr.isatty()

    @property
    def anything_read(self) -> bool:
        return self.log.documents > 0

    def finish(self) -> None:
        """Report and exit: 0 all read, 1 some inputs failed, 2 nothing could be read."""
        if self.unresolved:
            names = ", ".join(f"{name} ({n})" for name, n in sorted(self.unresolved.items()))
            click.echo(f"geomap: unresolved place names: {names}", err=True)
        click.echo(f"geomap: {self.log.summary()}", err=True)
        if self.cache is not None and self.cache.hits:
            click.echo(f"geomap: {self.cache.hits} of {self.cache.hits + self.cache.misses} "
                       "documents from the cache", err=True)
        if not self.anything_read:
            click.echo("geomap: error: no document could be read; nothing was written", err=True)
            sys.exit(2)
        if self.log.failed:
            sys.exit(1)


def option_group(*options):
    """One decorator for a group of click options, in the order given."""
    def apply(func):
        for option in reversed(options):
            func = option(func)
        return func
    return apply


def warn(message: str) -> None:
    click.echo(f"geomap: warning: {message}", err=True)


def cache_dir_for(cache_dir: Path | None, no_cache: bool) -> Path | None:
    """Where extractions are cached: --cache-dir, else the user cache dir; None with --no-cache."""
    return None if no_cache else cache_dir or user_cache_dir()


processing_options = option_group(
        click.option("--model", default=pipelines.MODEL, show_default=True,
                     help="spaCy English pipeline to use (e.g. en_core_web_md), or 'none' for "
                          "the fast gazetteer-only path with no statistical model."),
        click.option("--jobs", type=click.IntRange(min=1), default=scaleout.default_jobs(),
                     envvar="GEOMAP_JOBS", show_default="the number of cores, at most 4",
                     help="Processes that read and resolve documents; the output is the same."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
        click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=None, help="Where extractions are cached for incremental runs "
                                        "[default: the user cache dir, e.g. ~/.cache/geomap]."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
)
input_options = option_group(
        click.option("--include", multiple=True, metavar="GLOB",
                     help="In folders, read only files matching GLOB (repeatable)."),
        click.option("--exclude", multiple=True, metavar="GLOB",
                     help="In folders, leave out files matching GLOB (repeatable)."),
        click.option("--text-column", default="text", show_default=True,
                     help="CSV column / JSON field holding the article text."),
        click.option("--id-column", default="id", show_default=True,
                     help="CSV column / JSON field holding the article id."),
        click.option("--stdin-format", type=click.Choice(documents.STDIN_FORMATS), default="txt",
                     show_default=True, help="Format of the input read from '-'."),
        click.option("--max-chars", type=click.IntRange(min=1000),
                     default=documents.DEFAULT_MAX_CHARS, show_default=True,
                     help="Longer articles are read in parts of at most this many characters."),
        click.option("--max-documents", type=click.IntRange(min=1),
                     default=documents.DEFAULT_MAX_DOCUMENTS, show_default=True,
                     help="Stop reading after this many documents."),
        click.option("--strict", is_flag=True,
                     help="Any failed input is fatal, before anything is written."),
)


def read_options(include, exclude, text_column, id_column, stdin_format, max_chars,
                 max_documents, strict) -> documents.ReadOptions:
    return documents.ReadOptions(include=include, exclude=exclude,
                                 columns={"text": text_column, "id": id_column},
                                 max_chars=max_chars, max_documents=max_documents,
                                 stdin_format=stdin_format, strict=strict)


def make_run(options: dict) -> Run:
    """A Run from a command's input, processing and geocoder options."""
    read_keys = ("include", "exclude", "text_column", "id_column", "stdin_format", "max_chars",
                 "max_documents", "strict")
    reading = read_options(**{k: options.pop(k) for k in read_keys})
    model, jobs, quiet = options.pop("model"), options.pop("jobs"), options.pop("quiet")
    cache_dir = cache_dir_for(options.pop("cache_dir"), options.pop("no_cache"))
    return Run(make_geocoder(**options), reading, model=model, jobs=jobs, quiet=quiet,
               cache_dir=cache_dir)


geocoder_options = option_group(
        click.option("--geocode", is_flag=True,
                     help="Ask an online geocoder about names the gazetteer lacks "
                          "(off by default: lookups reveal what you are mapping)."),
        click.option("--geocoder", "service", default=DEFAULT_SERVICE, show_default=True,
                     metavar="SERVICE", help="Any geopy geocoder by name, for --geocode."),
        click.option("--geocoder-domain", default=None,
                     help="Host[:port] of the geocoding service, e.g. a private Nominatim."),
        click.option("--geocoder-scheme", type=click.Choice(["https", "http"]), default=None,
                     help="Scheme used to reach the geocoding service."),
        click.option("--user-agent", default=DEFAULT_USER_AGENT, show_default=True,
                     help="User agent sent to the geocoding service."),
        click.option("--offline", is_flag=True,
                     help=f"Guarantee no network access at all (also {OFFLINE_ENV}=1); "
                          "overrides --geocode."),
)


def make_geocoder(geocode: bool, service: str, geocoder_domain: str | None,
                  geocoder_scheme: str | None, user_agent: str,
                  offline: bool) -> GeopyGeocoder | None:
    if offline or offline_requested() or not geocode:
        return None
    try:
        return GeopyGeocoder(service, domain=geocoder_domain, scheme=geocoder_scheme,
                             user_agent=user_agent, warn=warn)
    except Exception as exc:  # geopy raises different errors for unknown services
        raise click.BadParameter(str(exc), param_hint="--geocoder") from exc


@click.group()
@click.version_option(package_name="geomap")
def cli() -> None:
    """Turn news articles into a map of incidents."""


def main() -> NoReturn:
    """The `geomap` command: Ctrl-C stops cleanly, without a traceback."""
    try:
        cli.main(prog_name="geomap", standalone_mode=False)
        code = 0
    except click.exceptions.Abort:  # click's form of KeyboardInterrupt
        click.echo("geomap: interrupted; no output file was changed", err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except SystemExit as exc:
        code = exc.code
    leave(code)


def leave(code: int | str | None) -> NoReturn:
    """Exit as sys.exit(code) would, without the interpreter's teardown: every
    output is written and closed by now, and freeing spaCy's, Folium's and
    the gazetteer's objects one by one takes 0.15-0.4 s of a run."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
    except OSError:  # e.g. a closed pipe
        code = code or 1
    sys.stderr.flush()
    os._exit(code or 0)


def stops_cleanly(command):
    """--strict: the first failed input ends the run before anything is written."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except documents.Stop as stop:
            click.echo(f"geomap: error: --strict: stopping at the first failed input ({stop}); "
                       "nothing was written", err=True)
            sys.exit(2)
    return run


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_OUTPUT, show_default=True, help="HTML map to write.")
@click.option("--geojson", "geojson_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="GeoJSON to write [default: beside the map, .geojson].")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="CSV of incidents to write [default: beside the map, .csv].")
@click.option("--from-extract", is_flag=True,
              help="INPUTS are `geomap extract --format documents` output (files, or folders "
                   "of a Dask run's parts): map them without running the language model.")
@input_options
@processing_options
@geocoder_options
@stops_cleanly
def build(inputs, output, geojson_path, csv_path, from_extract, **options):
    """Build an HTML map (and GeoJSON and CSV) from articles: files, folders, or '-' for stdin."""
    run = make_run(options)
    resolved = read_extraction(inputs, run.log) if from_extract else run.resolved(inputs)
    # Only build needs Folium; it is imported while a worker loads the model.
    from geomap.render import render_map
    groups = collect_incidents(resolved)
    if run.anything_read:
        geojson_path = geojson_path or output.with_suffix(".geojson")
        csv_path = csv_path or output.with_suffix(".csv")
        write_atomic(output, render_map(groups, run.log.documents))
        write_atomic(geojson_path, geojson_text(groups))
        write_atomic(csv_path, csv_text(groups))
        incidents = sum(len(g.incidents) for g in groups)
        click.echo(f"geomap: {run.log.documents} documents, {len(groups)} places, "
                   f"{incidents} incidents -> {output}, {geojson_path}, {csv_path}", err=True)
    run.finish()


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--format", "output_format", type=click.Choice(FORMATS), default=MENTION_FORMAT,
              show_default=True, help="JSON lines of each mention, or of each document with "
                                      "everything `build --from-extract` needs.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="File to write [default: standard output]; with --engine dask, the folder "
                   "of part-NNNNN.jsonl files to write.")
@click.option("--explain", "explain_picks", is_flag=True,
              help="Add the top candidates with their scores and factors to each mention.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Run on this machine, or on a Dask cluster "
                                      "(pip install 'geomap[dask]').")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="With --engine dask: the cluster's scheduler, e.g. tcp://10.0.0.5:8786 "
                   "[default: a local cluster of --jobs worker processes].")
@click.option("--partition-bytes", type=click.IntRange(min=1000), default=None,
              help="With --engine dask: about how much input each task reads "
                   "[default: four tasks per worker, at most 4 MB each].")
@input_options
@processing_options
@geocoder_options
@stops_cleanly
def extract(inputs, output_format, output, explain_picks, engine, scheduler, partition_bytes,
            **options):
    """Print every place-name mention, resolved or not, as JSON lines (or,
    with --format documents, every document with what `build --from-extract`
    needs)."""
    if explain_picks:
        options["no_cache"] = True  # the cache keeps picks, not every candidate
    run = make_run(options)
    if engine == "dask":
        extract_on_dask(run, inputs, output, output_format, explain_picks, scheduler,
                        partition_bytes)
        return

    def write_records(out) -> None:
        for document, resolutions in run.resolved(inputs):
            out.write(extraction_lines(document, resolutions, output_format, explain_picks))

    if output is None:
        write_records(sys.stdout)
    else:
        # Streamed to a temporary file beside the output, renamed when complete;
        # when nothing could be read, the previous output stays as it was.
        with contextlib.suppress(NothingRead), atomic_writer(output) as out:
            write_records(out)
            if not run.anything_read:
                raise NothingRead
    run.finish()


def extract_on_dask(run: Run, inputs: tuple[str, ...], output: Path | None, output_format: str,
                    explain: bool, scheduler: str | None, partition_bytes: int) -> None:
    """extract --engine dask: partitions read and resolved on the cluster's
    workers, written by this process as OUTPUT/part-NNNNN.jsonl in input order."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise click.UsageError("--engine dask needs Dask: pip install 'geomap[dask]'") from None
    if output is None:
        raise click.UsageError("--engine dask writes a folder of parts: name it with -o DIR")
    if run.geocoder is not None:
        raise click.UsageError("--geocode is not available with --engine dask: public geocoders "
                               "allow one request a second, not one per worker")
    if documents.STDIN in inputs:
        raise click.UsageError("the Dask engine reads files, not standard input")
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.suppress(NothingRead))
        # The folder first (a bad one fails fast); the cluster is gone before it is renamed.
        try:
            folder = stack.enter_context(atomic_directory(output, "part-*.jsonl"))
        except FileExistsError as exc:
            raise click.UsageError(str(exc)) from None
        if scheduler is None:
            cluster = stack.enter_context(LocalCluster(
                n_workers=run.jobs, threads_per_worker=1, dashboard_address=":0",
                silence_logs=logging.ERROR))  # not its notes on tasks cancelled at --max-documents
        try:
            client = stack.enter_context(Client(scheduler or cluster))
        except OSError as exc:
            raise click.ClickException(f"cannot reach the Dask scheduler: {exc}") from None
        workers = sum(client.nthreads().values())
        partitions = scaleout.plan_partitions(inputs, run.options, run.log, workers,
                                              partition_bytes)
        parts = scaleout.run_partitions(client, partitions, run.options, run.model,
                                        output_format, explain, run.log)
        for number, lines in enumerate(run.progress(parts, "parts", total=len(partitions))):
            (folder / f"part-{number:05d}.jsonl").write_text("".join(lines), encoding="utf-8")
        if not run.anything_read:
            raise NothingRead
    run.finish()


def explanation(resolution: resolve.Resolution, limit: int) -> list[str]:
    """How a mention was resolved: its pick and the candidates considered."""
    mention = resolution.mention
    hint = f" [{mention.designator}]" if mention.designator else ""
    lines = [f"{mention.text}{hint}  (chars {mention.start}-{mention.end}, found by {mention.label})"]
    if resolution.place is None:
        lines.append(f"  -> unresolved: {resolution.reason}")
        return lines
    place = resolution.place
    lines.append(f"  -> {place.name} ({place.kind}; {place.admin1 or place.country or '-'}) "
                 f"{place.lat:.5f},{place.lon:.5f}  score {resolution.score}: {resolution.reason}")
    for rank, candidate in enumerate(resolution.candidates[:limit], start=1):
        p = candidate.place
        parts = [f"prior {prior(p):.2f}"] + [f"{factor.name}: {factor.label} {factor.value:+.2f}"
                                              for factor in candidate.factors]
        lines.append(f"     {rank:>2}. {candidate.score:6.3f}  {p.name} ({p.kind}, {p.feature_code}; "
                     f"{p.admin1 or p.country or '-'}) {p.lat:.4f},{p.lon:.4f}  = {' + '.join(parts)}")
    if len(resolution.candidates) > limit:
        lines.append(f"     ... {len(resolution.candidates) - limit} more candidates")
    return lines


@cli.command()
@click.argument("text")
@click.option("--date", default="", help="The text's date (YYYY-MM-DD): where the war was then.")
@click.option("--candidates", "limit", default=5, show_default=True,
              help="How many candidates to show per mention.")
def explain(text, date, limit):
    """Show, for each place name in TEXT ('-' reads stdin), the candidates
    considered, their scores and the reason for the pick."""
    if text == "-":
        text = sys.stdin.read()
    places = gazetteer.load()
    document = documents.Document(id="text", text=text, date=documents.iso_date(date))
    found = next(mentions.extract_mentions([document], places))[1]
    if not found:
        click.echo("no place names found")
    for resolution in resolve.resolve_document(found, places, date=document.date):
        click.echo("\n".join(explanation(resolution, limit)))


@cli.command(name="eval")
@click.argument("gold_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--errors", "show_errors", is_flag=True,
              help="Also list every miss, false positive and wrong pick.")
@processing_options
def eval_command(gold_file, as_json, show_errors, model, jobs, quiet, cache_dir, no_cache):
    """Score geomap against gold locations (toponym or event gold JSONL)."""
    from geomap import evaluate

    records = evaluate.read_gold(gold_file)
    try:
        kind = evaluate.gold_kind(records)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="GOLD_FILE") from exc
    run = Run(model=model, jobs=jobs, quiet=quiet, cache_dir=cache_dir_for(cache_dir, no_cache))
    predictions = {document.id: resolve.toponyms(resolutions)
                   for document, resolutions in run.resolved((str(gold_file),))}
    score = evaluate.score_toponyms if kind == "toponyms" else evaluate.score_events
    report = score(records, predictions)
    if as_json:
        shown = report if show_errors else {k: v for k, v in report.items() if k != "errors"}
        click.echo(json.dumps(shown, indent=1, ensure_ascii=False))
    else:
        click.echo(evaluate.format_table(report))
        if show_errors:
            click.echo("\nerrors:\n" + evaluate.format_errors(report))


@cli.group(name="gazetteer")
def gazetteer_group() -> None:
    """Inspect the bundled gazetteer."""


@gazetteer_group.command()
@click.argument("name")
def lookup(name: str) -> None:
    """Print the places NAME can mean, best-ranked first."""
    places = gazetteer.load().lookup(name)
    if not places:
        click.echo(f"no place called {name!r} in the gazetteer", err=True)
        sys.exit(1)
    for place in sorted(places, key=lambda p: (-prior(p), p.id)):
        click.echo(f"{place.id}\t{place.name}\t{place.kind} ({place.feature_code})\t"
                   f"{place.admin1 or place.country or '-'}\t{place.lat:.5f},{place.lon:.5f}\t"
                   f"pop {place.population}")
