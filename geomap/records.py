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
import math
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, asdict, fields, is_dataclass
from functools import cache

from geomap.documents import Document, InputError, checked_date
from geomap.gazetteer import Place
from geomap.mentions import Mention
from geomap.mentions.counts import Count
from geomap.resolve import Resolution, ResolvedDocument

# The document fields a record keeps: everything but the text, which the
# mentions' sentences already quote.
DOCUMENT_FIELDS = tuple(f.name for f in fields(Document) if f.name != "text")
# The mention fields of a sentence, which the compact form stores once.
SENTENCE_FIELDS = ("sentence_start", "sentence", "sentence_words", "sentence_counts")


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
    return Mention(**{**record, "sentence_words": tuple(map(tuple, record["sentence_words"])),
                      "sentence_counts": tuple(Count(**count) for count
                                               in record.get("sentence_counts", ()))})


@cache
def _field_types(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls)


def _fits(value: object, expected: object) -> bool:
    """Whether a JSON value can stand for a field of the given type."""
    if expected is float:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value))
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if is_dataclass(expected):  # a nested record, checked by its own checker
        return isinstance(value, dict)
    if expected in (str, bool):
        return isinstance(value, expected)
    if isinstance(expected, types.UnionType):
        return any(_fits(value, option) for option in typing.get_args(expected))
    if typing.get_origin(expected) is tuple:  # tuple[X, ...] or a fixed (X, Y): a JSON list
        items = typing.get_args(expected)
        if not isinstance(value, list):
            return False
        if len(items) == 2 and items[1] is Ellipsis:
            return all(_fits(item, items[0]) for item in value)
        return len(value) == len(items) and all(map(_fits, value, items))
    return expected is type(None) and value is None


def checked_fields(cls: type, record: object, what: str, skip: tuple[str, ...] = ()) -> dict:
    """A record's fields for the dataclass `cls`, each of the declared type
    (finite numbers only); InputError naming the first field that is not."""
    if not isinstance(record, dict):
        raise InputError(f"{what} is not an object")
    hints = _field_types(cls)
    names = [f for f in fields(cls) if f.name not in skip]
    unknown = set(record) - {f.name for f in names}
    if unknown:
        raise InputError(f"{what} has unknown fields: {', '.join(sorted(unknown))[:80]}")
    for f in names:
        if f.name not in record:
            if f.default is MISSING and f.default_factory is MISSING:
                raise InputError(f"{what} has no {f.name!r}")
        elif not _fits(record[f.name], hints[f.name]):
            raise InputError(f"{what}'s {f.name!r} is not {_type_name(hints[f.name])}: "
                             f"{json.dumps(record[f.name])[:40]}")
    return record


def _type_name(expected: object) -> str:
    return {str: "a string", int: "a whole number", float: "a finite number",
            bool: "true or false"}.get(expected, "of the right form")  # type: ignore[call-overload]


def checked_place(record: object) -> Place:
    """A place record as a Place, its position on the globe."""
    place = place_from_record(checked_fields(Place, record, "place"))
    if not (-90 <= place.lat <= 90 and -180 <= place.lon <= 180):
        raise InputError(f"place {place.name[:40]!r} is off the globe ({place.lat}, {place.lon})")
    return place


def checked_mention(record: object) -> Mention:
    fields_ = checked_fields(Mention, record, "mention")
    for count in fields_.get("sentence_counts", ()):
        checked_fields(Count, count, "count")
    mention = mention_from_record(fields_)
    if not 0 <= mention.start <= mention.end:
        raise InputError(f"mention {mention.text[:40]!r} has offsets {mention.start}-{mention.end}")
    return mention


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


def document_from_record(record: object, warn: Callable[[str], None]) -> ResolvedDocument:
    """A document record back as the document (without its text) and its
    resolutions, every field checked: InputError says what is wrong. A date
    that is not a real day is left out, with a warning."""
    if not isinstance(record, dict) or "document" not in record or "resolutions" not in record:
        raise InputError("not a geomap document record")
    fields_ = checked_fields(Document, record["document"], "document", skip=("text",))
    where = f"document {fields_['id'][:80]!r}"
    document = Document(text="", **{**fields_, "date": checked_date(fields_.get("date"), where,
                                                                     warn)})
    if not isinstance(record["resolutions"], list):
        raise InputError("its resolutions are not a list")
    return ResolvedDocument(document, [checked_resolution(r) for r in record["resolutions"]])


def checked_resolution(record: object) -> Resolution:
    fields_ = checked_fields(Resolution, record, "resolution", skip=("candidates",))
    place = fields_["place"]
    return Resolution(checked_mention(fields_["mention"]),
                      None if place is None else checked_place(place), fields_["score"],
                      fields_["reason"], fields_["source"])


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
            (sentence[0], sentence[1], resolution.mention.sentence_words,
             json.dumps(sentence[3])), len(sentences))
        records.append(record)
    return json.dumps([[[start, text, words, json.loads(counts)]
                        for start, text, words, counts in sentences], records],
                      ensure_ascii=False)


def resolutions_from_compact(value: str, doc_id: str) -> list[Resolution]:
    sentence_rows, records = json.loads(value)
    sentences = [dict(zip(SENTENCE_FIELDS, (start, text, words, counts)))
                 for start, text, words, counts in sentence_rows]
    resolutions = []
    for record in records:
        mention = record["mention"]
        mention.update(sentences[mention.pop("sentence")], doc_id=doc_id)
        resolutions.append(resolution_from_record(record))
    return resolutions
