"""Exports: GeoJSON and CSV of places and incidents, JSONL of mentions, written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from geomap.incidents import PlaceIncidents
from geomap.resolve import Resolution


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
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


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
                **place.to_dict(),
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
    return json.dumps(geojson(groups), ensure_ascii=False, indent=1) + "\n"


EXPLAINED_CANDIDATES = 5


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


def mention_record(resolution: Resolution, explain: bool = False) -> dict:
    """One line of `geomap extract --format jsonl` (schema in the README)."""
    mention = resolution.mention
    record = {
        "doc": mention.doc_id, "text": mention.text, "start": mention.start, "end": mention.end,
        "sentence": mention.sentence,
        "place": resolution.place.to_dict() if resolution.place else None,
        "score": resolution.score, "reason": resolution.reason,
    }
    if explain:
        record["candidates"] = [
            {**candidate.place.to_dict(), "score": candidate.score,
             "factors": dict(candidate.factors)}
            for candidate in resolution.candidates[:EXPLAINED_CANDIDATES]]
    return record


def mention_line(resolution: Resolution, explain: bool = False) -> str:
    return json.dumps(mention_record(resolution, explain), ensure_ascii=False) + "\n"
