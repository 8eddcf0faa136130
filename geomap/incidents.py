"""Incidents: sentences that mention a place become typed, dated incidents, by place.

Types come from lemma phrase patterns over the sentence (INCIDENT_TYPES,
documented in the README); the numbers of killed, injured, captured or
missing, and evacuated from the counts the mentions stage read in the
sentence's parse, each given to the place the sentence ties it to, else to
its most specific place; the date from the sentence when it says one,
else relative words or a weekday read against the document's date, else the
document's date. Reports of the same incident (same place, type and date) by
several articles become one incident with all its sources.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from geomap.documents import Document
from geomap.gazetteer import Place
from geomap.mentions.counts import Count, headline_bounds
from geomap.resolve import Resolution, ResolvedDocument

SAFE_URL_SCHEMES = ("http://", "https://")

# The vocabulary of incident types, each with the lemma phrases that signal it.
INCIDENT_TYPES: dict[str, list[str]] = {
    "attack": ["shell", "shelling", "missile", "airstrike", "air strike", "strike", "drone",
               "explosion", "explode", "blast", "bomb", "bombing", "rocket", "artillery",
               "attack", "barrage", "mortar", "sniper", "grenade", "fire on", "open fire",
               "glide bomb", "kamikaze", "hit", "pound", "air raid", "fire rocket",
               "fire missile", "bombard", "bombardment", "firing position"],
    "casualties": ["kill", "wound", "injure", "dead", "death", "die", "casualty", "victim",
                   "body", "fatality", "hurt", "death toll", "toll"],
    "damage": ["damage", "destroy", "blaze", "ruin", "collapse", "burn", "rubble", "debris",
               "catch fire", "catch on fire", "on fire", "fire break out", "wreck", "raze"],
    "humanitarian": ["evacuate", "evacuation", "evacuee", "refugee", "hostage", "aid",
                     "humanitarian", "corridor", "displace", "shelter", "flee", "medic",
                     "rescue", "deport", "detain", "abduct"],
    "infrastructure": ["power", "electricity", "blackout", "power outage", "outage", "water",
                       "heat", "heating", "gas", "communication", "internet", "grid",
                       "substation", "power plant", "nuclear plant", "railway", "rail",
                       "bridge", "dam", "port", "infrastructure", "energy", "grain",
                       "mobile network"],
    "military": ["advance", "capture", "counteroffensive", "counterattack", "counter-attack",
                 "occupy", "occupation", "occupier", "offensive", "retreat", "withdraw",
                 "liberate", "seize", "battle", "fighting", "clash", "encircle", "siege",
                 "besiege", "troop", "soldier", "military base", "army", "take control",
                 "recapture", "repel", "assault", "front line"],
    "diplomacy": ["talk", "negotiation", "negotiate", "negotiator", "meeting", "summit",
                  "agreement", "ceasefire", "peace", "diplomat", "diplomatic", "sanction",
                  "treaty", "deal", "neutral status", "security guarantee", "compromise",
                  "foreign minister", "envoy"],
}
OTHER = "other"
TYPE_WEIGHT = {"attack": 3, "casualties": 3}
# Patterns by their first lemma, so a sentence is scanned once.
_PATTERNS_BY_FIRST: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
for _kind, _phrases in INCIDENT_TYPES.items():
    for _phrase in _phrases:
        _words = tuple(_phrase.split())
        _PATTERNS_BY_FIRST.setdefault(_words[0], []).append((_kind, _words))

MONTHS = {name: number for number, name in enumerate(
    "january february march april may june july august september october november december"
    .split(), start=1)}
MONTHS.update({name[:3]: number for name, number in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAY_NUMBERS = {day: number for number, day in enumerate(
    "monday tuesday wednesday thursday friday saturday sunday".split())}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
_EXPLICIT_DATES = [
    # The look-ahead passes over words that cannot start a date before trying
    # every month name: a quarter of the time. It also keeps a month's name
    # from matching at the end of another word ("Bajan 5").
    re.compile(r"\b(?=[a-z]{3,9}\.?\s+\d)" + _MONTH + r"\s+(?P<day>\d{1,2})" + _ORDINAL + _YEAR
               + r"\b", re.IGNORECASE),
    re.compile(r"\b(?P<day>\d{1,2})" + _ORDINAL + r"\s+" + _MONTH + _YEAR + r"\b", re.IGNORECASE),
    re.compile(r"\b(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b"),
]
RELATIVE_DAYS = {("yesterday",): -1, ("last", "night"): -1, ("today",): 0, ("tonight",): 0,
                 ("overnight",): 0, ("this", "morning"): 0, ("this", "evening"): 0}
assert all(len(phrase) <= 2 for phrase in RELATIVE_DAYS)  # incident_date looks at word pairs


@dataclass(frozen=True)
class Report:
    """One article's sentence about an incident."""

    sentence: str
    names: tuple[str, ...]  # the surface forms of the place in the sentence
    doc_id: str
    doc_number: int  # the document's place in the run: ids from different inputs may clash
    file: str  # the file the article came from, as the inputs name it
    title: str
    source: str
    doc_date: str
    link: str  # the article's http(s) URL, else the file it came from
    sentence_start: int


@dataclass
class Incident:
    types: tuple[str, ...]  # most telling first; ("other",) when nothing matched
    date: str  # YYYY-MM-DD or ""
    date_source: str  # "sentence", "weekday", "relative", "document" or ""
    counts: dict[str, int]  # killed / injured / captured or missing / evacuated, when stated
    reports: list[Report] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)  # the words each count was read from

    @property
    def type(self) -> str:
        return self.types[0]


@dataclass
class PlaceIncidents:
    place: Place
    source: str  # "gazetteer", "geocoder" or "approximate"
    incidents: list[Incident] = field(default_factory=list)


def is_pinned(place: Place) -> bool:
    """Countries and continents are recognised but get no marker of their own."""
    return place.kind != "country" and place.feature_code != "CONT"


def link_for(document: Document) -> str:
    if document.url.lower().startswith(SAFE_URL_SCHEMES):
        return document.url
    return document.path or document.id


def incident_types(words: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The types whose lemma phrases occur in the sentence, most matches first."""
    lemmas = [lemma for _text, lemma in words]
    hits: dict[str, int] = {}
    for i, lemma in enumerate(lemmas):
        for kind, pattern in _PATTERNS_BY_FIRST.get(lemma, ()):
            if tuple(lemmas[i:i + len(pattern)]) == pattern:
                hits[kind] = hits.get(kind, 0) + 1
    # What happened weighs more than what it touched: "shelling ... without
    # heating, power or water" is an attack first.
    ordered = sorted(hits, key=lambda kind: (-hits[kind] * TYPE_WEIGHT.get(kind, 1),
                                             list(INCIDENT_TYPES).index(kind)))
    return tuple(ordered) or (OTHER,)


def _parse_explicit(match: re.Match, reference: dt.date | None) -> dt.date | None:
    try:
        if match.groupdict().get("iso"):
            return dt.date.fromisoformat(match["iso"])
        month, day = MONTHS[match["month"].lower()], int(match["day"])
        if match["year"]:
            return dt.date(int(match["year"]), month, day)
        if reference is None:
            return None
        date = dt.date(reference.year, month, day)
        # "March 15" in an article of January: last year's.
        if date > reference + dt.timedelta(days=7):
            return date.replace(year=reference.year - 1)
        return date
    except ValueError:
        return None


def incident_date(sentence: str, words: tuple[tuple[str, str], ...],
                  doc_date: str) -> tuple[str, str]:
    """(date, where it came from): the sentence's own date, else a weekday or
    relative word read against the document's date, else the document's date."""
    reference = dt.date.fromisoformat(doc_date) if doc_date else None
    for pattern in _EXPLICIT_DATES:
        for match in pattern.finditer(sentence):
            date = _parse_explicit(match, reference)
            if date is not None:
                return date.isoformat(), "sentence"
    if reference is None:
        return "", ""
    texts = [text for text, _lemma in words]
    present = set(texts)
    for phrase, offset in RELATIVE_DAYS.items():
        if present.issuperset(phrase) and (len(phrase) == 1
                                           or phrase in set(zip(texts, texts[1:]))):
            return (reference + dt.timedelta(days=offset)).isoformat(), "relative"
    for text in texts:
        if text in WEEKDAY_NUMBERS:
            # News tells of the past: the last such day on or before the article's date.
            back = (reference.weekday() - WEEKDAY_NUMBERS[text]) % 7
            return (reference - dt.timedelta(days=back)).isoformat(), "weekday"
    return doc_date, "document"


# Which places of a sentence take the counts it does not tie to one of them:
# the most specific kind it names ("killed in Kupiansk, Kharkiv Oblast").
COUNT_KINDS = (("settlement", "facility"), ("raion",), ("oblast",), ("region",))


def counts_by_mention(resolutions: list[Resolution]) -> dict[int, tuple[Count, ...]]:
    """Each count of a document's sentences, by the start of the mention
    whose place takes it: the one the sentence ties it to, else (tied to
    none, or to a country) the most specific place of its headline (a
    digest's parts are read apart), when it names one of that kind (a count
    over several towns goes to the oblast around them, or to none). Water
    and countries take none."""
    in_sentence: dict[int, list[Resolution]] = {}
    for resolution in resolutions:
        in_sentence.setdefault(resolution.mention.sentence_start, []).append(resolution)
    given: dict[int, list[Count]] = {}
    for sentence in in_sentence.values():
        placed = [(r.mention.start, r.place) for r in sentence
                  if r.place is not None and is_pinned(r.place)]
        starts = {start for start, _place in placed}
        mention = sentence[0].mention
        for count in mention.sentence_counts:
            if count.place_start in starts:
                given.setdefault(count.place_start, []).append(count)
                continue
            low, high = headline_bounds(mention.sentence, mention.sentence_start, count.start)
            default = _most_specific([(start, place) for start, place in placed
                                      if low <= start < high])
            if default is not None:
                given.setdefault(default, []).append(count)
    return {start: tuple(counts) for start, counts in given.items()}


def _most_specific(placed: list[tuple[int, Place]]) -> int | None:
    """The start of the mention of the one place of the most specific kind
    named; None when several places share that kind (a total over them) and
    nothing wider is named."""
    for kinds in COUNT_KINDS:
        of_kind = [(start, place) for start, place in placed if place.kind in kinds]
        if len({place.id for _start, place in of_kind}) == 1:
            return of_kind[0][0]
    return None


def collect_incidents(resolved: Iterable[ResolvedDocument]) -> list[PlaceIncidents]:
    """Typed, dated incidents grouped by place; one report per place and sentence,
    one incident per place, type and date across articles."""
    by_place: dict[object, PlaceIncidents] = {}
    by_report: dict[tuple, Report] = {}
    by_incident: dict[tuple, Incident] = {}
    incident_of: dict[tuple, Incident] = {}  # a report's key -> the incident it is in
    # A sentence naming several places is read once: (types, date, its source).
    sentences: dict[tuple[int, int], tuple] = {}
    for doc_number, item in enumerate(resolved):
        document = item.document
        given = counts_by_mention(item.resolutions)
        seen_sentences: dict[str, int] = {}
        for resolution in item.resolutions:
            place = resolution.place
            if place is None or not is_pinned(place):
                continue
            mention = resolution.mention
            # A sentence an article repeats (a scraped page's lede) is one report.
            first_start = seen_sentences.setdefault(mention.sentence, mention.sentence_start)
            group = by_place.setdefault(place.id, PlaceIncidents(place, resolution.source))
            report_key = (place.id, doc_number, first_start)
            counts = given.get(mention.start, ())
            if report_key in by_report:
                report = by_report[report_key]
                if mention.text not in report.names:
                    _add_name(group, report, mention.text, by_report, report_key)
                _add_counts(incident_of[report_key], counts)
                continue
            sentence_key = (doc_number, mention.sentence_start)
            if sentence_key not in sentences:
                words = mention.sentence_words
                sentences[sentence_key] = (incident_types(words),
                                           *incident_date(mention.sentence, words, document.date))
            types, date, date_source = sentences[sentence_key]
            report = Report(sentence=mention.sentence, names=(mention.text,), doc_id=document.id,
                            doc_number=doc_number, file=document.path, title=document.title,
                            source=document.source, doc_date=document.date, link=link_for(document),
                            sentence_start=mention.sentence_start)
            by_report[report_key] = report
            incident_key = (place.id, types[0], date, doc_number if not date else -1)
            incident = by_incident.get(incident_key)
            if incident is None or any(r.doc_number == doc_number for r in incident.reports):
                # Within one article, separate sentences stay separate incidents.
                incident = Incident(types, date, date_source, {})
                group.incidents.append(incident)
                by_incident[incident_key] = incident
            else:
                incident.types = tuple(dict.fromkeys(incident.types + types))
            _add_counts(incident, counts)
            incident.reports.append(report)
            incident_of[report_key] = incident
    groups = sorted(by_place.values(), key=lambda g: (g.place.name, str(g.place.id)))
    for group in groups:
        # Newest first; undated last; then in document and reading order.
        group.incidents.sort(key=lambda i: (i.date == "", _reverse(i.date), i.reports[0].doc_id,
                                            i.reports[0].doc_number, i.reports[0].sentence_start))
    return groups


def _add_counts(incident: Incident, counts: Iterable[Count]) -> None:
    """Reports of one incident may differ: the highest number stands, with
    the words it was read from."""
    for count in counts:
        if count.value > incident.counts.get(count.what, -1):
            incident.counts[count.what] = count.value
            incident.evidence[count.what] = count.evidence


def _add_name(group: PlaceIncidents, report: Report, name: str, by_report: dict,
              key: tuple) -> None:
    updated = replace(report, names=report.names + (name,))
    for incident in group.incidents:
        incident.reports = [updated if r is report else r for r in incident.reports]
    by_report[key] = updated


def _reverse(date: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in date.split("-")) if date else ()
