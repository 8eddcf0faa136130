"""Exports: GeoJSON and CSV of places and incidents, whole (the map clips
long fields; these do not). Every CSV cell is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json

from geomap.incidents import PlaceIncidents
from geomap.records import place_summary


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
                     "count_evidence": i.evidence,
                     "reports": [
                         {"sentence": r.sentence, "names": list(r.names), "doc": r.doc_id,
                          "file": r.file, "title": r.title, "source": r.source,
                          "date": r.doc_date or None, "link": r.link}
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
               "type", "types", "date", "date_source", "killed", "injured",
               "captured_or_missing", "evacuated", "count_evidence",
               "source", "title", "article_date", "link", "file", "sentence"]


def csv_text(groups: list[PlaceIncidents]) -> str:
    """One row per report of an incident, for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for group in groups:
        place = group.place
        for incident in group.incidents:
            for report in incident.reports:
                writer.writerow([safe_cell(cell) for cell in (
                    place.id, place.name, place.kind, place.admin1, place.country, place.lat,
                    place.lon, group.source, incident.type, ";".join(incident.types),
                    incident.date, incident.date_source, incident.counts.get("killed", ""),
                    incident.counts.get("injured", ""),
                    incident.counts.get("captured or missing", ""),
                    incident.counts.get("evacuated", ""),
                    "; ".join(f"{what}: {words}"
                              for what, words in sorted(incident.evidence.items())),
                    report.source, report.title, report.doc_date, report.link, report.file,
                    report.sentence)])
    return buffer.getvalue()


def safe_cell(value: object) -> object:
    """A cell a spreadsheet shows as it is. Spreadsheets run cells that start
    with =, +, -, @, a tab or a carriage return (OWASP's list): such text is
    quoted with a leading '. Line breaks become "\n", which the writer quotes,
    so no cell can start a row of its own. Numbers stay numbers."""
    if not isinstance(value, str):
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + text if value[:1] in FORMULA_STARTS else text


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
