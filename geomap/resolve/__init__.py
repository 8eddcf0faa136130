"""Resolution: pick a gazetteer place for each mention, with a score and a reason.

Candidates (resolve.candidates) are ranked by what a careful analyst weighs:
a prior for the kind of feature, population and Ukraine first
(resolve.prior), then the factors of resolve.factors, read against the
document's context (resolve.context): the name as written, the words around
it ("region", "river", "the"), the oblasts the document names or clearly
implies, nearness to the places it is surely about, distance phrases ("50
miles north of Kyiv", resolve.phrases), and where the war was at the
document's date (resolve.war). `geomap explain` shows every factor. Names
the gazetteer lacks go to an optional geocoder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from geomap.documents import Document
from geomap.gazetteer import Gazetteer, Place, normalize
from geomap.mentions import Mention
from geomap.resolve.candidates import candidates_for
from geomap.resolve.context import document_context
from geomap.resolve.factors import Candidate, mention_context, rank
from geomap.resolve.phrases import unnamed_places
from geomap.resolve.priors import prior, prior_reason

# How sure a position placed by a distance phrase alone is.
APPROXIMATE_SCORE = 0.3
# Below this, the best candidate is one the factors hold back (another
# spelling of the name, a village beyond the border) with nothing in the
# text for it: no pick.
MIN_SCORE = 0.2
NO_FIT = "no candidate fits what the text says"


UNANSWERED = "did not answer"


class GeocoderUnanswered(Exception):
    """The geocoder could not be asked (down, rate limited, given up on):
    unlike "found nothing", an answer a later run may still get."""


class Geocoder(Protocol):
    """What resolution asks of a fallback geocoder (geomap.geocode has one)."""

    name: str

    def geocode(self, query: str) -> Place | None:
        """The place, or None when the service knows none; GeocoderUnanswered
        when it could not be asked."""
        ...


def fully_answered(resolutions: list[Resolution]) -> bool:
    """Whether every name was settled: none waits on a geocoder that did not
    answer (such results are not worth keeping for a later run)."""
    return not any(r.place is None and r.reason.endswith(UNANSWERED) for r in resolutions)


@dataclass(frozen=True)
class Resolution:
    mention: Mention
    place: Place | None
    score: float  # confidence in the pick, 0..1
    reason: str
    source: str  # "gazetteer", "geocoder", "approximate", or "" when unresolved
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class ResolvedDocument:
    """A document with its mentions' resolutions, in text order: what
    resolution hands on to incidents and the outputs."""

    document: Document
    resolutions: list[Resolution]


def resolve_document(mentions: list[Mention], gazetteer: Gazetteer,
                     geocoder: Geocoder | None = None, date: str = "") -> list[Resolution]:
    """Resolve every mention of one document; unresolved ones keep place=None.

    `date` (YYYY-MM-DD) is the document's; it says where the war was then.
    """
    # Articles name the same places again and again: look each name up once.
    candidates: dict[tuple[str, str, str], tuple[list[Place], str]] = {}
    for m in mentions:
        written = (m.text, m.name, m.designator)
        if written not in candidates:
            candidates[written] = candidates_for(m, gazetteer)
    looked_up = [candidates[(m.text, m.name, m.designator)] for m in mentions]
    keys = [normalize(m.text) for m in mentions]
    document = document_context(mentions, keys, [places for places, _note in looked_up], date)
    for index, oblast in document.oblasts_named.items():
        looked_up[index] = ([p for p in gazetteer.lookup(oblast) if p.kind == "oblast"],
                            "an oblast centre's name after a comma: its oblast")
    resolutions = []
    # A mention's pick depends on what it says and where it stands, not on
    # which of a name's mentions it is: rank each such case once.
    picks: dict[tuple, Resolution] = {}
    for index, (mention, key, (places, note)) in enumerate(zip(mentions, keys, looked_up)):
        if not places:
            resolutions.append(_fallback(mention, geocoder))
            continue
        case = (mention.text, mention.name, mention.designator, mention.after_article,
                document.positions.get(index), document.containers.get(index),
                document.listed.get(index), index in document.oblasts_named)
        if case not in picks:
            as_written = frozenset(p.id for p in gazetteer.lookup(mention.text)
                                   + gazetteer.lookup(mention.name or mention.text))
            ranked = rank(mention_context(mention, key, places, document, index, as_written))
            top = ranked[0]
            if top.score < MIN_SCORE:
                # Every candidate is held back (another spelling, beyond the
                # border): none fits what the text says.
                picks[case] = Resolution(mention, None, 0.0, NO_FIT, "", tuple(ranked))
            else:
                runner_up = max(ranked[1].score, 0.0) if len(ranked) > 1 else 0.0
                confidence = top.score / (top.score + runner_up) if top.score else 1.0
                reason = _reason(ranked) + (f"; {note}" if note else "")
                picks[case] = Resolution(mention, top.place, round(confidence, 3), reason,
                                         "gazetteer", tuple(ranked))
        resolutions.append(replace(picks[case], mention=mention))
    for mention, place in unnamed_places(mentions, [r.place for r in resolutions]):
        resolutions.append(Resolution(mention, place, APPROXIMATE_SCORE,
                                      f"unnamed; placed by '{mention.text}' (approximate)",
                                      "approximate"))
    return resolutions


def _reason(ranked: list[Candidate]) -> str:
    """The factors that put the pick ahead of the runner-up."""
    top = ranked[0]
    if len(ranked) == 1:
        return "only candidate"
    # Every factor of the pick that some candidate lacks helped it win.
    others = [{f.label: f.value for f in other.factors} for other in ranked[1:]]
    deciding = [f.label for f in top.factors
                if any(factors.get(f.label, 0.0) < f.value for factors in others)]
    runner = ranked[1]
    if prior(top.place) > prior(runner.place) or not deciding:
        deciding.append(prior_reason(top.place, runner.place))
    return f"{'; '.join(deciding)} (among {len(ranked)})"


def toponyms(resolutions: list[Resolution]) -> list[Resolution]:
    """The resolutions of place names proper, without approximate unnamed places."""
    return [r for r in resolutions if r.source != "approximate"]


def _fallback(mention: Mention, geocoder: Geocoder | None) -> Resolution:
    if geocoder is None:
        return Resolution(mention, None, 0.0, "not in the gazetteer", "")
    try:
        place = geocoder.geocode(mention.text)
    except GeocoderUnanswered:
        return Resolution(mention, None, 0.0,
                          f"not in the gazetteer; {geocoder.name} {UNANSWERED}", "")
    if place is None:
        return Resolution(mention, None, 0.0,
                          f"not in the gazetteer; {geocoder.name} found nothing", "")
    return Resolution(mention, place, 0.5, f"geocoder: {geocoder.name}", "geocoder")
