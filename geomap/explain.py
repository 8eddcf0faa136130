"""Explanations: for each place name in a text, the candidates considered,
each score broken into its prior and the factors of resolve.factors that
made it, and the reason for the pick (`geomap explain`); and the places a
name can mean (`geomap gazetteer lookup`)."""

from __future__ import annotations

from geomap import gazetteer
from geomap.documents import SPACY_MAX_CHARS, Document, iso_date
from geomap.errors import UnknownName, UsageError
from geomap.mentions import extract_mentions
from geomap.resolve import Resolution, resolve_document
from geomap.resolve.priors import prior


def explain_text(text: str, date: str, limit: int) -> list[str]:
    """How each place name in `text`, dated `date` (YYYY-MM-DD or ""), is
    resolved, with up to `limit` candidates each; UsageError for a text
    spaCy cannot take or a date that is not a day."""
    if len(text) > SPACY_MAX_CHARS:
        raise UsageError(f"the text is longer than {SPACY_MAX_CHARS:,} characters; "
                         "explain a part of it", option="TEXT")
    try:
        day = iso_date(date)
    except ValueError as exc:
        raise UsageError(f"{date!r} is not a day ({exc})", option="--date") from None
    if date and not day:
        raise UsageError(f"{date!r} is not a date in the form YYYY-MM-DD", option="--date")
    places = gazetteer.load()
    document = Document(id="text", text=text, date=day)
    found = next(extract_mentions([document], places))[1]
    if not found:
        return ["no place names found"]
    return [line for resolution in resolve_document(found, places, date=document.date)
            for line in explanation(resolution, limit)]


def explanation(resolution: Resolution, limit: int) -> list[str]:
    """How a mention was resolved: its pick and the candidates considered."""
    mention = resolution.mention
    hint = f" [{mention.designator}]" if mention.designator else ""
    lines = [f"{mention.text}{hint}  (chars {mention.start}-{mention.end}, "
             f"found by {mention.label})"]
    place = resolution.place
    if place is None:  # the candidates held back, if any, are listed too
        lines.append(f"  -> unresolved: {resolution.reason}")
    else:
        lines.append(f"  -> {place.name} ({place.kind}; {place.admin1 or place.country or '-'}) "
                     f"{place.lat:.5f},{place.lon:.5f}  score {resolution.score}: "
                     f"{resolution.reason}")
    for rank, candidate in enumerate(resolution.candidates[:limit], start=1):
        p = candidate.place
        parts = [f"prior {prior(p):.2f}"] + [f"{factor.name}: {factor.label} {factor.value:+.2f}"
                                              for factor in candidate.factors]
        lines.append(f"     {rank:>2}. {candidate.score:6.3f}  {p.name} ({p.kind}, "
                     f"{p.feature_code}; {p.admin1 or p.country or '-'}) "
                     f"{p.lat:.4f},{p.lon:.4f}  = {' + '.join(parts)}")
    if len(resolution.candidates) > limit:
        lines.append(f"     ... {len(resolution.candidates) - limit} more candidates")
    return lines


def lookup_lines(name: str) -> list[str]:
    """The places `name` can mean, best-ranked first, one line each."""
    places = gazetteer.load().lookup(name)
    if not places:
        raise UnknownName(f"no place called {name!r} in the gazetteer")
    return [f"{place.id}\t{place.name}\t{place.kind} ({place.feature_code})\t"
            f"{place.admin1 or place.country or '-'}\t{place.lat:.5f},{place.lon:.5f}\t"
            f"pop {place.population}"
            for place in sorted(places, key=lambda p: (-prior(p), p.id))]
