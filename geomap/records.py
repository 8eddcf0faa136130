"""Records: the JSON shapes of places, mentions, resolutions and documents,
written and read back in this module only.

- A place's summary (what `extract`, the GeoJSON and the map show) and its
  full record (every field, to read back: document records, the geocoder's
  cache).
- A resolution's full record: the whole mention, the whole place, score,
  reason and source (`extract --format documents`, schema in the README).
- The compact form of a document's resolutions for the extraction cache:
  the same records, each sentence stored once.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from geomap.documents import Document, InputError
from geomap.gazetteer import Place
from geomap.mentions import Mention
from geomap.resolve import Resolution, ResolvedDocument

# The document fields a record keeps: everything but the text, which the
# mentions' sentences already quote.
DOCUMENT_FIELDS = tuple(f.name for f in fields(Document) if f.name != "text")
# The mention fields of a sentence, which the compact form stores once.
SENTENCE_FIELDS = ("sentence_start", "sentence", "sentence_words")


def place_summary(place: Place) -> dict:
    """What a reader needs of a place: where it is and what it is."""
    return {"id": place.id, "name": place.name, "lat": place.lat, "lon": place.lon,
            "kind": place.kind, "feature_code": place.feature_code, "admin1": place.admin1,
            "country": place.country}


def place_record(place: Place) -> dict:
    return asdict(place)


def place_from_record(record: dict) -> Place:
    return Place(**record)


def mention_from_record(record: dict) -> Mention:
    return Mention(**{**record, "sentence_words": tuple(map(tuple, record["sentence_words"]))})


def resolution_record(resolution: Resolution) -> dict:
    """A resolution in full: the mention with its sentence's words, the whole place."""
    place = resolution.place
    return {"mention": asdict(resolution.mention),
            "place": place_record(place) if place else None,
            "score": resolution.score, "reason": resolution.reason, "source": resolution.source}


def resolution_from_record(record: dict) -> Resolution:
    place = record["place"]
    return Resolution(mention_from_record(record["mention"]),
                      place_from_record(place) if place else None, record["score"],
                      record["reason"], record["source"])


def document_record(resolved: ResolvedDocument) -> dict:
    """A document (without its text) and its resolutions."""
    document = resolved.document
    return {"document": {name: getattr(document, name) for name in DOCUMENT_FIELDS},
            "resolutions": [resolution_record(r) for r in resolved.resolutions]}


def document_from_record(record: object) -> ResolvedDocument:
    """A document record back as the document (without its text) and its resolutions."""
    if not isinstance(record, dict) or "document" not in record or "resolutions" not in record:
        raise InputError("not a geomap document record")
    try:
        document = Document(text="", **record["document"])
        return ResolvedDocument(document, [resolution_from_record(r)
                                           for r in record["resolutions"]])
    except (TypeError, KeyError, ValueError) as exc:
        raise InputError(f"malformed document record ({exc})") from None


def compact_resolutions(resolutions: list[Resolution]) -> str:
    """A document's resolutions as JSON [sentences, records]: the resolution
    records, with each sentence ([start, text, words]) stored once and the
    mentions pointing to it by index. A third of the size of the full
    records, and read back much faster, which is most of an incremental run."""
    sentences: dict[tuple, int] = {}
    records = []
    for resolution in resolutions:
        record = resolution_record(resolution)
        mention = record["mention"]
        sentence = tuple(mention.pop(name) for name in SENTENCE_FIELDS)
        del mention["doc_id"]  # the document's own, given when read back
        mention["sentence"] = sentences.setdefault(
            (sentence[0], sentence[1], resolution.mention.sentence_words), len(sentences))
        records.append(record)
    return json.dumps([[[start, text, words] for start, text, words in sentences], records],
                      ensure_ascii=False)


def resolutions_from_compact(value: str, doc_id: str) -> list[Resolution]:
    sentence_rows, records = json.loads(value)
    sentences = [dict(zip(SENTENCE_FIELDS, (start, text, tuple(map(tuple, words)))))
                 for start, text, words in sentence_rows]
    resolutions = []
    for record in records:
        mention = record["mention"]
        mention.update(sentences[mention.pop("sentence")], doc_id=doc_id)
        resolutions.append(resolution_from_record(record))
    return resolutions
