"""geomap's command line: parses options into settings and hands them to
the pipeline. The exit code of every error a command can end with is in
EXIT_CODES, here and nowhere else."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import logging
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from geomap import errors, pipeline
from geomap.documents import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_DOCUMENTS,
    SPACY_MAX_CHARS,
    STDIN_FORMATS,
    ReadOptions,
)
from geomap.explain import explain_text, lookup_lines
from geomap.extraction import FORMATS, MENTION_FORMAT
from geomap.geocode import DEFAULT_SERVICE, DEFAULT_USER_AGENT, OFFLINE_ENV, GeocoderSettings
from geomap.input_files import DEFAULT_MAX_FILE_BYTES, Selection
from geomap.mentions.nlp import MODEL
from geomap.storage import user_cache_dir
from geomap.workers import default_jobs

DEFAULT_OUTPUT = Path("output/map.html")
# Every error a command can end with, and its exit code (see the README).
EXIT_CODES: dict[type[errors.GeomapError], int] = {
    errors.InputsFailed: 1,  # the outputs were written from the other inputs
    errors.UnknownName: 1,
    errors.NothingRead: 2,  # nothing was written, for any of these
    errors.StrictStop: 2,
    errors.UsageError: 2,
    errors.WorkerDied: 2,
    errors.SchedulerUnreachable: 2,
    errors.OutputFailed: 2,
    errors.Interrupted: 130,
}
EXIT_INTERRUPTED = EXIT_CODES[errors.Interrupted]


# Characters that would let a file name or article text end the line, move
# the cursor or talk to the terminal (ESC, OSC), or reorder what is shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text with its control characters written as escapes (\\n, \\x1b)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def say(line: str) -> None:
    click.echo(f"geomap: {printable(line)}", err=True)


def option_group(build: Callable[..., Any], *options: Callable) -> Callable:
    """Click options whose values reach the command as one argument, named
    after `build` and made by it from them. An option `build` does not take
    reaches the command as an argument it does not take either, and fails."""
    names = list(inspect.signature(build).parameters)

    def apply(command: Callable) -> Callable:
        @functools.wraps(command)
        def run(**kwargs: Any) -> Any:
            kwargs[build.__name__] = build(**{name: kwargs.pop(name) for name in names})
            return command(**kwargs)
        for option in reversed(options):
            run = option(run)
        return run
    return apply


def reading(include: tuple[str, ...], exclude: tuple[str, ...], follow_links: bool,
            full_paths: bool, text_column: str, id_column: str, stdin_format: str,
            max_chars: int, max_documents: int, max_file_bytes: int,
            strict: bool) -> ReadOptions:
    selection = Selection(include=include, exclude=exclude, follow_links=follow_links,
                          full_paths=full_paths, max_file_bytes=max_file_bytes)
    return ReadOptions(selection=selection, columns={"text": text_column, "id": id_column},
                       max_chars=max_chars, max_documents=max_documents,
                       stdin_format=stdin_format, strict=strict)


def processing(model: str, jobs: int, quiet: bool, cache_dir: Path | None,
               no_cache: bool) -> pipeline.Processing:
    return pipeline.Processing(model=model, jobs=jobs, quiet=quiet,
                               cache_dir=None if no_cache else cache_dir or user_cache_dir())


def geocoding(geocode: bool, service: str, geocoder_domain: str | None,
              geocoder_scheme: str | None, user_agent: str, offline: bool) -> GeocoderSettings:
    return GeocoderSettings(enabled=geocode, service=service, domain=geocoder_domain,
                            scheme=geocoder_scheme, user_agent=user_agent, offline=offline)


input_options = option_group(
    reading,
    click.option("--include", multiple=True, metavar="GLOB",
                 help="In folders, read only files matching GLOB (repeatable)."),
    click.option("--exclude", multiple=True, metavar="GLOB",
                 help="In folders, leave out files matching GLOB (repeatable)."),
    click.option("--follow-links", is_flag=True,
                 help="In folders, also follow links that lead out of the folder."),
    click.option("--full-paths", is_flag=True,
                 help="Name files by their full paths in the map and exports [default: by "
                      "their paths inside the input folder, or their own names]."),
    click.option("--text-column", default="text", show_default=True,
                 help="CSV column / JSON field holding the article text."),
    click.option("--id-column", default="id", show_default=True,
                 help="CSV column / JSON field holding the article id."),
    click.option("--stdin-format", type=click.Choice(STDIN_FORMATS), default="txt",
                 show_default=True, help="Format of the input read from '-'."),
    click.option("--max-chars", type=click.IntRange(min=1000, max=SPACY_MAX_CHARS),
                 default=DEFAULT_MAX_CHARS, show_default=True,
                 help="Longer articles are read in parts of at most this many characters."),
    click.option("--max-documents", type=click.IntRange(min=1), default=DEFAULT_MAX_DOCUMENTS,
                 show_default=True, help="Stop reading after this many documents."),
    click.option("--max-file-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_FILE_BYTES,
                 show_default=True, help="Refuse larger files (each is read whole)."),
    click.option("--strict", is_flag=True,
                 help="Any failed input is fatal, before anything is written."),
)
processing_options = option_group(
    processing,
    click.option("--model", default=MODEL, show_default=True,
                 help="spaCy English pipeline to use (e.g. en_core_web_md), or 'none' for "
                      "the fast gazetteer-only path with no statistical model."),
    click.option("--jobs", type=click.IntRange(min=1), default=default_jobs(),
                 envvar="GEOMAP_JOBS", show_default="the number of cores, at most 4",
                 help="Processes that read and resolve documents; the output is the same."),
    click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
    click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                 default=None, help="Where extractions are cached for incremental runs "
                                    "[default: the user cache dir, e.g. ~/.cache/geomap]."),
    click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
)
geocoder_options = option_group(
    geocoding,
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


class BadUsage(click.UsageError):
    exit_code = EXIT_CODES[errors.UsageError]


class BadValue(click.BadParameter):
    exit_code = EXIT_CODES[errors.UsageError]


class Command(click.Command):
    """A command that ends on a geomap error with one line and the error's
    exit code; usage errors show the command's usage, as click's own do."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except errors.UsageError as exc:
            if exc.option:
                raise BadValue(str(exc), ctx=ctx, param_hint=exc.option) from None
            raise BadUsage(str(exc), ctx=ctx) from None
        except errors.GeomapError as exc:
            if isinstance(exc, errors.Interrupted):
                say(str(exc))  # as Ctrl-C at any other moment says it
            elif str(exc):
                say(f"error: {exc}")
            ctx.exit(EXIT_CODES[type(exc)])


class Group(click.Group):
    command_class = Command
    group_class = type


@click.group(cls=Group)
@click.version_option(package_name="geomap")
def cli() -> None:
    """Turn news articles into a map of incidents."""
    # geopy's RateLimiter logs each retry with its traceback; the geocoder
    # says in one line which name failed and why.
    logging.getLogger("geopy").setLevel(logging.ERROR)


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> NoReturn:
    """The `geomap` command: Ctrl-C and SIGTERM stop it cleanly, without a traceback."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        # Without standalone mode, click returns the exit code a command ends with.
        ended = cli.main(prog_name="geomap", standalone_mode=False)
        code = ended if isinstance(ended, int) else 0
    except click.exceptions.Abort:  # click's form of KeyboardInterrupt
        say("interrupted; no output file was changed")
        code = EXIT_INTERRUPTED
    except click.ClickException as exc:  # usage errors, with the command's usage
        exc.show()
        code = exc.exit_code
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `geomap extract ... | head`
        # Python's own flush at exit would fail again: point stdout at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = code or 1
    sys.exit(code)


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
def build(inputs: tuple[str, ...], output: Path, geojson_path: Path | None,
          csv_path: Path | None, from_extract: bool, reading: ReadOptions,
          processing: pipeline.Processing, geocoding: GeocoderSettings) -> None:
    """Build an HTML map (and GeoJSON and CSV) from articles: files, folders, or '-' for stdin."""
    files = pipeline.MapFiles(output, geojson_path or output.with_suffix(".geojson"),
                              csv_path or output.with_suffix(".csv"))
    outputs = {"-o": files.html, "--geojson": files.geojson, "--csv": files.csv}
    run = pipeline.Run(processing, say, pipeline.outputs_kept_out(reading, inputs, outputs),
                       geocoding)
    pipeline.build_map(run, inputs, files, from_extract)


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
def extract(inputs: tuple[str, ...], output_format: str, output: Path | None,
            explain_picks: bool, engine: str, scheduler: str | None,
            partition_bytes: int | None, reading: ReadOptions,
            processing: pipeline.Processing, geocoding: GeocoderSettings) -> None:
    """Print every place-name mention, resolved or not, as JSON lines (or,
    with --format documents, every document with what `build --from-extract`
    needs)."""
    if explain_picks:  # the cache keeps picks, not every candidate
        processing = dataclasses.replace(processing, cache_dir=None)
    if output is not None and engine == "local":
        reading = pipeline.outputs_kept_out(reading, inputs, {"-o": output})
    run = pipeline.Run(processing, say, reading, geocoding)
    if engine == "dask":
        from geomap.dask_engine import extract_on_dask

        extract_on_dask(run, inputs, output, output_format, explain_picks, scheduler,
                        partition_bytes)
    else:
        pipeline.extract(run, inputs, output, output_format, explain_picks)


@cli.command()
@click.argument("text")
@click.option("--date", default="", help="The text's date (YYYY-MM-DD): where the war was then.")
@click.option("--candidates", "limit", default=5, show_default=True,
              help="How many candidates to show per mention.")
def explain(text: str, date: str, limit: int) -> None:
    """Show, for each place name in TEXT ('-' reads stdin), the candidates
    considered, their scores and the reason for the pick."""
    for line in explain_text(sys.stdin.read(SPACY_MAX_CHARS + 1) if text == "-" else text,
                             date, limit):
        click.echo(line)


@cli.command(name="eval")
@click.argument("gold_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--errors", "show_errors", is_flag=True,
              help="Also list every miss, false positive and wrong pick.")
@processing_options
def eval_command(gold_file: Path, as_json: bool, show_errors: bool,
                 processing: pipeline.Processing) -> None:
    """Score geomap against gold (toponym, event or casualty gold JSONL)."""
    from geomap import casualty_eval, evaluate

    report = pipeline.evaluate(pipeline.Run(processing, say), gold_file)
    if as_json:
        shown = report if show_errors else {k: v for k, v in report.items() if k != "errors"}
        click.echo(json.dumps(shown, indent=1, ensure_ascii=False))
    else:
        click.echo(casualty_eval.format_casualties(report) if report["kind"] == "casualties"
                   else evaluate.format_table(report))
        if show_errors:
            click.echo("\nerrors:\n" + evaluate.format_errors(report))


@cli.group(name="gazetteer")
def gazetteer_group() -> None:
    """Inspect the bundled gazetteer."""


@gazetteer_group.command()
@click.argument("name")
def lookup(name: str) -> None:
    """Print the places NAME can mean, best-ranked first."""
    for line in lookup_lines(name):
        click.echo(line)
