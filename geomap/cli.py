"""geomap's command line: parses options and runs the stages in order."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import click

from geomap import documents, evaluate, gazetteer, mentions, resolve
from geomap.export import geojson_text, mention_line, write_atomic
from geomap.geocode import GeopyGeocoder
from geomap.incidents import collect_incidents
from geomap.render import render_map

DEFAULT_OUTPUT = Path("output/map.html")


class Run:
    """One pass over the inputs: collects input errors and unresolved names."""

    def __init__(self, geocoder: GeopyGeocoder | None = None):
        self.failures: list[str] = []
        self.unresolved: Counter = Counter()
        self.documents = 0
        self.geocoder = geocoder

    def report(self, message: str) -> None:
        self.failures.append(message)
        click.echo(f"geomap: error: {message}", err=True)

    def resolved(self, inputs: tuple[str, ...]) -> Iterator[tuple[documents.Document, list[resolve.Resolution]]]:
        places = gazetteer.load()
        docs = documents.read_documents(inputs, self.report)
        for document, found in mentions.extract_mentions(docs, places):
            self.documents += 1
            resolutions = resolve.resolve_document(found, places, self.geocoder, document.date)
            self.unresolved.update(r.mention.text for r in resolutions if r.place is None)
            yield document, resolutions

    def finish(self) -> None:
        if self.unresolved:
            names = ", ".join(f"{name} ({n})" for name, n in sorted(self.unresolved.items()))
            click.echo(f"geomap: unresolved place names: {names}", err=True)
        if self.documents == 0:
            click.echo("geomap: error: no document could be read", err=True)
            sys.exit(2)
        if self.failures:
            sys.exit(1)


def geocoder_option(func):
    func = click.option("--geocoder", default="none", show_default=True, metavar="SERVICE",
                        help="geopy geocoder for names the gazetteer lacks "
                             "(e.g. nominatim); 'none' keeps geomap offline.")(func)
    func = click.option("--geocoder-domain", default=None,
                        help="Host[:port] of the geocoding service, e.g. a private Nominatim.")(func)
    func = click.option("--geocoder-scheme", type=click.Choice(["https", "http"]), default=None,
                        help="Scheme used to reach the geocoding service.")(func)
    return func


def make_geocoder(service: str, domain: str | None, scheme: str | None) -> GeopyGeocoder | None:
    if service == "none":
        return None
    try:
        return GeopyGeocoder(service, domain=domain, scheme=scheme,
                             warn=lambda message: click.echo(f"geomap: warning: {message}", err=True))
    except Exception as exc:  # geopy raises different errors for unknown services
        raise click.BadParameter(str(exc), param_hint="--geocoder") from exc


@click.group()
@click.version_option(package_name="geomap")
def main() -> None:
    """Turn news articles into a map of incidents."""


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_OUTPUT, show_default=True, help="HTML map to write.")
@click.option("--geojson", "geojson_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="GeoJSON to write [default: beside the map, .geojson].")
@geocoder_option
def build(inputs, output, geojson_path, geocoder, geocoder_domain, geocoder_scheme):
    """Build an HTML map (and GeoJSON) from article files, folders or JSONL."""
    run = Run(make_geocoder(geocoder, geocoder_domain, geocoder_scheme))
    groups = collect_incidents(run.resolved(inputs))
    if run.documents:
        geojson_path = geojson_path or output.with_suffix(".geojson")
        write_atomic(output, render_map(groups, run.documents))
        write_atomic(geojson_path, geojson_text(groups))
        incidents = sum(len(g.incidents) for g in groups)
        click.echo(f"geomap: {run.documents} documents, {len(groups)} places, "
                   f"{incidents} incidents -> {output}, {geojson_path}", err=True)
    run.finish()


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--format", "output_format", type=click.Choice(["jsonl"]), default="jsonl",
              show_default=True, help="Output format: one JSON object per mention.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write [default: standard output].")
@geocoder_option
def extract(inputs, output_format, output, geocoder, geocoder_domain, geocoder_scheme):
    """Print every place-name mention, resolved or not, as JSON lines."""
    run = Run(make_geocoder(geocoder, geocoder_domain, geocoder_scheme))
    if output is None:
        for _document, resolutions in run.resolved(inputs):
            sys.stdout.write("".join(mention_line(r) for r in resolutions))
    else:
        lines = [mention_line(r) for _d, rs in run.resolved(inputs) for r in rs]
        if run.documents:
            write_atomic(output, "".join(lines))
    run.finish()


@main.command(name="eval")
@click.argument("gold_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--errors", "show_errors", is_flag=True,
              help="Also list every miss, false positive and wrong pick.")
def eval_command(gold_file, as_json, show_errors):
    """Score geomap against gold locations (toponym or event gold JSONL)."""
    records = evaluate.read_gold(gold_file)
    try:
        kind = evaluate.gold_kind(records)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="GOLD_FILE") from exc
    run = Run()
    predictions = {document.id: resolutions for document, resolutions in run.resolved((str(gold_file),))}
    score = evaluate.score_toponyms if kind == "toponyms" else evaluate.score_events
    report = score(records, predictions)
    if as_json:
        shown = report if show_errors else {k: v for k, v in report.items() if k != "errors"}
        click.echo(json.dumps(shown, indent=1, ensure_ascii=False))
    else:
        click.echo(evaluate.format_table(report))
        if show_errors:
            click.echo("\nerrors:\n" + evaluate.format_errors(report))


@main.group(name="gazetteer")
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
    for place in sorted(places, key=lambda p: (-resolve.prior(p), p.id)):
        click.echo(f"{place.id}\t{place.name}\t{place.kind} ({place.feature_code})\t"
                   f"{place.admin1 or place.country or '-'}\t{place.lat:.5f},{place.lon:.5f}\t"
                   f"pop {place.population}")
