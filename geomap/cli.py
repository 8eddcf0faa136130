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
from geomap.geocode import (DEFAULT_SERVICE, DEFAULT_USER_AGENT, OFFLINE_ENV, GeopyGeocoder,
                            offline_requested)
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


def geocoder_options(func):
    options = [
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
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_geocoder(geocode: bool, service: str, geocoder_domain: str | None,
                  geocoder_scheme: str | None, user_agent: str,
                  offline: bool) -> GeopyGeocoder | None:
    if offline or offline_requested() or not geocode:
        return None
    try:
        return GeopyGeocoder(service, domain=geocoder_domain, scheme=geocoder_scheme,
                             user_agent=user_agent,
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
@geocoder_options
def build(inputs, output, geojson_path, **geocoding):
    """Build an HTML map (and GeoJSON) from article files, folders or JSONL."""
    run = Run(make_geocoder(**geocoding))
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
@click.option("--explain", "explain_picks", is_flag=True,
              help="Add the top candidates with their scores and factors to each record.")
@geocoder_options
def extract(inputs, output_format, output, explain_picks, **geocoding):
    """Print every place-name mention, resolved or not, as JSON lines."""
    run = Run(make_geocoder(**geocoding))
    if output is None:
        for _document, resolutions in run.resolved(inputs):
            sys.stdout.write("".join(mention_line(r, explain_picks)
                                     for r in resolve.toponyms(resolutions)))
    else:
        lines = [mention_line(r, explain_picks)
                 for _d, rs in run.resolved(inputs) for r in resolve.toponyms(rs)]
        if run.documents:
            write_atomic(output, "".join(lines))
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
        parts = [f"prior {resolve.prior(p):.2f}"] + [f"{name} {value:+.2f}"
                                                      for name, value in candidate.factors]
        lines.append(f"     {rank:>2}. {candidate.score:6.3f}  {p.name} ({p.kind}, {p.feature_code}; "
                     f"{p.admin1 or p.country or '-'}) {p.lat:.4f},{p.lon:.4f}  = {' + '.join(parts)}")
    if len(resolution.candidates) > limit:
        lines.append(f"     ... {len(resolution.candidates) - limit} more candidates")
    return lines


@main.command()
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
