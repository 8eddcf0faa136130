"""Ranking factors: each a named function of a candidate and its mention's
context, adding to the candidate's prior. `geomap explain` shows each by its
name; tuning one is a change to its function, adding one a function in
FACTORS."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from geomap.gazetteer import Place, in_theatre, name_similarity, normalize
from geomap.mentions import Mention
from geomap.resolve.containers import Container
from geomap.resolve.context import Anchor, DocumentContext, km_apart
from geomap.resolve.phrases import RelativePosition
from geomap.resolve.priors import MAJOR_CITY_POPULATION, prior


@dataclass(frozen=True)
class Context:
    """One mention among its candidates, in its document: what factors read."""

    mention: Mention
    key: str  # the mention's normalised text
    candidates: tuple[Place, ...]
    document: DocumentContext
    oblasts: Counter[str]  # the document's oblast votes, but the mention's own
    position: RelativePosition | None  # a distance phrase right after the mention
    similarities: dict[int | str, float]  # how alike each candidate's main name and the text are
    best_similarity: float  # that of the Ukrainian settlement likest the text
    namesakes: int  # settlements whose main name is the one written
    kinds: Counter[str]  # candidates per kind of place
    as_written: frozenset[int | str]  # the candidates that bear the name as written
    container: Container | None  # the region, raion or community the text puts it in
    listed: frozenset[str]  # the keys of the names listed with it

    def ambiguous(self, place: Place) -> bool:
        """Whether other candidates are of the place's kind: the context factors
        choose among namesakes of one kind, since a city's being in the war zone
        says nothing about whether "the Dnipro" is the river."""
        return self.kinds[place.kind] > 1


def mention_context(mention: Mention, key: str, candidates: list[Place],
                    document: DocumentContext, index: int,
                    as_written: frozenset[int | str]) -> Context:
    """The context of the document's mention number `index`, among whose
    candidates those of `as_written` bear its name as written (the others
    are other spellings of it)."""
    written = {normalize(mention.text), normalize(mention.name or mention.text)}
    similarities = {place.id: max(name_similarity(text, place) for text in written)
                    for place in candidates}
    return Context(
        mention, key, tuple(candidates), document, document.oblasts_but(key),
        document.positions.get(index), similarities,
        best_similarity=max((similarities[p.id] for p in candidates
                             if p.country == "UA" and p.kind == "settlement"), default=0.0),
        namesakes=sum(1 for p in candidates
                      if p.kind == "settlement" and similarities[p.id] == 1.0),
        kinds=Counter(place.kind for place in candidates),
        as_written=as_written & {place.id for place in candidates},
        container=document.containers.get(index), listed=document.listed.get(index, frozenset()))


# What a factor saw ("oblast context: Kharkiv Oblast") and its value, if it applies.
Seen = tuple[str, float] | None


# Oblast context: oblasts the document names or clearly implies.
CONTEXT_BONUS = 0.5
CONTEXT_BONUS_PER_NAME = 0.05  # more names from one oblast, more weight (up to 4)
MAX_CONTEXT_NAMES = 4


def oblast_context(place: Place, context: Context) -> Seen:
    """A namesake in an oblast (or a region of the theatre beyond the border:
    "Kursk region") the document names or implies is likelier. Context places
    things inside an oblast; an oblast is no likelier for it."""
    if context.ambiguous(place) and place.admin1 and place.kind != "oblast":
        votes = context.oblasts[place.admin1]
        if votes:
            return (f"oblast context: {place.admin1}",
                    CONTEXT_BONUS + CONTEXT_BONUS_PER_NAME * min(votes, MAX_CONTEXT_NAMES))
    return None


# Spatial coherence: the candidate nearest a place the document is surely about.
SPATIAL_BONUS = 0.4
NEAR_KM = 150.0


def near_anchor(place: Place, context: Context) -> Seen:
    """A namesake close to a place the document is surely about is likelier."""
    if not (context.ambiguous(place) and in_theatre(place.country, place.admin1)
            and place.kind not in ("oblast", "raion")):
        return None
    nearest = _nearest_anchor(place, context, context.document.anchors, NEAR_KM)
    if nearest is None:
        return None
    anchor, km = nearest
    return f"near {anchor.name} ({km:.0f} km)", round(SPATIAL_BONUS * (1 - km / NEAR_KM), 4)


def _nearest_anchor(place: Place, context: Context, anchors: Iterable[Anchor],
                    within_km: float) -> tuple[Anchor, float] | None:
    """The anchor nearest the place, closer than `within_km`, but the
    mention's own name; with its distance."""
    nearest: tuple[Anchor, float] | None = None
    for anchor in anchors:
        if anchor.key == context.key:
            continue
        km = km_apart((place.lat, place.lon), anchor.point)
        if km < within_km and (nearest is None or km < nearest[1]):
            nearest = (anchor, km)
    return nearest


# What the text says a place is in: "Katerynivka, Donetsk", "Stepnoy in the
# Volnovakhsky district", "Vysokopolye, Kherson region" (resolve.containers).
CONTAINER_BONUS = 1.5


def stated_container(place: Place, context: Context) -> Seen:
    """A namesake inside the oblast, raion or community the text puts the
    place in is far likelier than any other."""
    container = context.container
    if container is not None and context.ambiguous(place) and container.holds(place):
        return f"{container.text}, as the text says", CONTAINER_BONUS
    return None


# Names listed together ("Vodiane and Vugledar") lie near each other.
LISTED_BONUS = 0.6
LISTED_KM = 60.0


def listed_with(place: Place, context: Context) -> Seen:
    """A namesake near a place the text lists it with is likelier."""
    if not (context.listed and context.ambiguous(place)
            and place.kind in ("settlement", "facility")):
        return None
    listed = [anchor for anchor in context.document.anchors if anchor.key in context.listed]
    nearest = _nearest_anchor(place, context, listed, LISTED_KM)
    if nearest is None:
        return None
    anchor, km = nearest
    return (f"listed with {anchor.name} ({km:.0f} km)",
            round(LISTED_BONUS * (1 - km / LISTED_KM), 4))


def distance_phrase(place: Place, context: Context) -> Seen:
    """'50 miles north of Kyiv': the namesake where the phrase puts it."""
    if context.position is None or not context.ambiguous(place):
        return None
    return context.position.fit(place)


# "the Dnipro": a bare name after the article is a river or a region.
ARTICLE_BONUS = 2.0


def after_article(place: Place, context: Context) -> Seen:
    """'the Dnipro', 'the Donbas': a bare name after 'the' is a river or region."""
    mention = context.mention
    if mention.after_article and not mention.designator and place.kind in ("water", "region"):
        return "river or region after 'the'", ARTICLE_BONUS
    return None


THEATRE_BONUS = 0.7
# A town beyond the border that the text gives no reason to look for there
# (neither its country nor its region is named), when a Ukrainian place
# could be meant: as unlikely as another spelling of the name.
BORDER_PENALTY = -1.5
BORDER_TOWN_POPULATION = 50_000


def across_the_border(place: Place, context: Context) -> Seen:
    """A village or small town beyond the border ("Kamyanets" in Belarus)
    is unlikely in a text that names neither its country nor its region,
    when a place in Ukraine could be meant."""
    if (place.kind == "settlement" and place.country != "UA" and place.admin1
            and place.population < BORDER_TOWN_POPULATION
            and place.country not in context.document.countries
            and not context.oblasts[place.admin1]
            and any(other.country == "UA" for other in context.candidates)):
        return "beyond the border, which the text does not name", BORDER_PENALTY
    return None


def war_zone(place: Place, context: Context) -> Seen:
    """With no better clue, a namesake in the oblasts at war at the
    document's date is likelier."""
    theatre = context.document.theatre
    if (context.ambiguous(place) and theatre and place.admin1 in theatre
            and place.kind != "oblast"):
        return f"in the war zone ({place.admin1})", THEATRE_BONUS
    return None


FRONT_BONUS = 0.5  # for a village on the front line of the day, falling to 0 at FRONT_KM
FRONT_KM = 40.0


def near_front(place: Place, context: Context) -> Seen:
    """A village near the front line of the document's date is likelier."""
    if not (context.ambiguous(place) and place.kind == "settlement"):
        return None
    for front in context.document.fronts:
        km = front.km_to(place.lat, place.lon)
        if km < FRONT_KM:
            return (f"near the front ({front.name}, {km:.0f} km)",
                    round(FRONT_BONUS * (1 - km / FRONT_KM), 4))
    return None


# A place whose main name is the one written beats one that merely lists it
# among historical or foreign alternates (Bilozerka was once "Ivanivka").
MAIN_NAME_BONUS = 0.3
CLOSE_NAME = 0.6  # similarity from which a main name counts as close to the text
OTHER_NAME_PENALTY = -1.2
OWN_NAME = 0.8  # similarity from which a Ukrainian town carries the written name as its own
FEW_NAMESAKES = 3
# A place reached only by another spelling of the name, when others bear it
# as written: a guess that only context may carry.
OTHER_SPELLING_PENALTY = -0.8


def written_name(place: Place, context: Context) -> Seen:
    """The main name as written, or close to it; a place reached only by a
    foreign or old name (Frunze -> Bishkek, Aleksandrovka -> Donetsk) is held
    back when villages carry the name as their own."""
    similarity = context.similarities[place.id]
    if context.as_written and place.id not in context.as_written:
        return "another spelling of the name", OTHER_SPELLING_PENALTY
    if similarity == 1.0:
        return "main name as written", MAIN_NAME_BONUS
    if similarity >= CLOSE_NAME:
        return (f"main name close to the text ({place.name})",
                round(MAIN_NAME_BONUS * similarity ** 2, 4))
    # Only a Ukrainian place that carries the written name as its own may push
    # back places known by another one; a Russian town does not outrank the
    # alias table's "Artemovsk" for Bakhmut. Towns renamed in 2016 keep their
    # old names in news, so they are spared, unless the name is borne by many
    # villages (Ivanivka).
    if context.best_similarity >= OWN_NAME and place.kind == "settlement" and (
            place.country != "UA" or place.population >= MAJOR_CITY_POPULATION
            or context.namesakes > FEW_NAMESAKES):
        return "known by another name", OTHER_NAME_PENALTY
    return None


# In the order their figures are listed and added up.
FACTORS: tuple[Callable[[Place, Context], Seen], ...] = (
    stated_container, oblast_context, near_anchor, listed_with, distance_phrase, after_article,
    war_zone, across_the_border, near_front, written_name)


@dataclass(frozen=True)
class Factor:
    """What one factor added to a candidate's score."""

    name: str  # the factor function's
    label: str  # what it saw
    value: float


@dataclass(frozen=True)
class Candidate:
    place: Place
    score: float  # the prior plus the factors
    factors: tuple[Factor, ...]


def rank(context: Context) -> list[Candidate]:
    """The candidates, best first: prior plus factors, ties by id."""
    ranked = []
    for place in context.candidates:
        factors = []
        for factor in FACTORS:
            seen = factor(place, context)
            if seen is not None:
                factors.append(Factor(factor.__name__, *seen))
        score = prior(place) + sum(f.value for f in factors)
        ranked.append(Candidate(place, round(score, 4), tuple(factors)))
    ranked.sort(key=lambda c: (-c.score, str(c.place.id)))
    return ranked
