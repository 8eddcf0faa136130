"""Exports: GeoJSON and CSV of places and incidents, and atomic writing of every output."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from geomap.incidents import PlaceIncidents
from geomap.records import place_summary


@contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """A file to write that appears at `path` only when complete: written
    beside it under a temporary name, then renamed. Never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            yield out
        # mkstemp creates the file private; give it the usual umask-based mode.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


@contextmanager
def atomic_directory(path: Path, pattern: str) -> Iterator[Path]:
    """A folder to fill that replaces `path` only when complete. A folder
    already at `path` is replaced only if it holds nothing but files matching
    `pattern` (an earlier run's output), so no other file is ever deleted."""
    if path.exists():
        strangers = ([p.name for p in path.iterdir() if not p.match(pattern)] if path.is_dir()
                     else [""])
        if strangers:
            raise FileExistsError(f"{path} exists and holds other things than {pattern} files; "
                                  "name a new or empty folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield temporary
        os.chmod(temporary, 0o777 & ~_umask())
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
            os.replace(path, old / path.name)
            os.replace(temporary, path)
            shutil.rmtree(old)
        else:
            os.replace(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_atomic(path: Path, content: str) -> None:
    with atomic_writer(path) as out:
        out.write(content)


def geojson(groups: list[PlaceIncidents]) -> dict:
    """An RFC 7946 FeatureCollection: one Point feature per place."""
    features = []
    for group in groups:
        place = group.place
        features.append({
            "type": "Feature",
            "id": place.id,
            "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
            "properties": {
                **place_summary(place),
                "located_by": group.source,
                "incident_count": len(group.incidents),
                "incidents": [
                    {"type": i.type, "types": list(i.types), "date": i.date or None,
                     "date_source": i.date_source or None, "counts": i.counts,
                     "reports": [
                         {"sentence": r.sentence, "names": list(r.names), "doc": r.doc_id,
                          "title": r.title, "source": r.source, "date": r.doc_date or None,
                          "link": r.link}
                         for r in i.reports]}
                    for i in group.incidents
                ],
            },
        })
    return {"type": "FeatureCollection", "features": features}


def geojson_text(groups: list[PlaceIncidents]) -> str:
    """The GeoJSON with one feature per line: as easy to diff and grep as an
    indented file, and written by json's C encoder, which indenting turns off
    (a tenth of the time)."""
    features = ",\n".join(json.dumps(feature, ensure_ascii=False)
                           for feature in geojson(groups)["features"])
    return '{"type": "FeatureCollection", "features": [\n' + features + "\n]}\n"


CSV_COLUMNS = ["place_id", "place", "kind", "oblast", "country", "lat", "lon", "located_by",
               "type", "types", "date", "date_source", "killed", "injured", "evacuated",
               "source", "title", "article_date", "link", "sentence"]


def csv_text(groups: list[PlaceIncidents]) -> str:
    """One row per report of an incident, for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for group in groups:
        place = group.place
        for incident in group.incidents:
            for report in incident.reports:
                writer.writerow([
                    place.id, place.name, place.kind, place.admin1, place.country, place.lat,
                    place.lon, group.source, incident.type, ";".join(incident.types),
                    incident.date, incident.date_source, incident.counts.get("killed", ""),
                    incident.counts.get("injured", ""), incident.counts.get("evacuated", ""),
                    *map(_no_formula, (report.source, report.title, report.doc_date,
                                       report.link, report.sentence))])
    return buffer.getvalue()


def _no_formula(text: str) -> str:
    """Spreadsheets run cells that start with =, +, - or @: quote them as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
