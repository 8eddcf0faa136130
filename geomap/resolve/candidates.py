"""Candidates: the gazetteer places a mention can mean, by its name and the
words after it ("Kharkiv region" the oblast, "Pokrovsk district" the raion,
"Dnipro river" the river, "Kramatorsk railway station" a facility, else its
town), and by other transliterations of the name."""

from __future__ import annotations

import re
from collections.abc import Iterable

from geomap.gazetteer import Gazetteer, Place
from geomap.mentions import Mention

# Facility designators -> the GeoNames feature codes they can mean.
FACILITY_CODES = {
    "plant": {"PS", "PSN", "PSH", "MFG", "MLSW"}, "station": {"RSTN", "RSTP"},
    "airport": {"AIRP", "AIRB", "AIRF", "AIRH"}, "dam": {"DAM", "DAMQ"}, "bridge": {"BDG"},
    "port": {"PRT"},
}
WATER_DESIGNATORS = {"river", "reservoir"}


def _oblasts_of(gazetteer: Gazetteer, places: Iterable[Place]) -> list[Place]:
    """The oblast entries that contain the given places."""
    oblasts = {}
    for place in places:
        if place.country == "UA" and place.admin1:
            for oblast in gazetteer.lookup(place.admin1):
                if oblast.kind == "oblast":
                    oblasts[oblast.id] = oblast
    return sorted(oblasts.values(), key=lambda p: p.id)


def _region_candidates(surface: str, name: str, gazetteer: Gazetteer) -> list[Place]:
    direct = [p for p in gazetteer.lookup(surface) if p.kind == "oblast"]
    if direct:
        return direct
    name_places = gazetteer.lookup(name)
    named = [p for p in name_places if p.kind == "oblast"]
    if named:
        return named
    centres = [p for p in name_places if p.feature_code in ("PPLA", "PPLC")]
    if centres:
        return _oblasts_of(gazetteer, centres)
    # "the Novopol region", "the Kupiansk region": a town's surroundings, not
    # the whole oblast it lies in.
    towns = [p for p in name_places if p.kind == "settlement"]
    return towns or _oblasts_of(gazetteer, name_places)


# After a district's name: "of" a name ("of Donetsk"; not "of the Donetsk region").
_OF_A_NAME = re.compile(r"\s+of\s+(?:the\s+)?(?:city\s+of\s+)?(?P<name>[A-Z][\w'’-]+)"
                        r"(?!\s+(?:[Rr]egion|[Oo]blast|[Pp]rovince|People))")


def _district_candidates(surface: str, name: str, gazetteer: Gazetteer,
                         variants: bool) -> list[Place]:
    for key in (surface, f"{name} raion", f"{name} district", name):
        raions = [p for p in gazetteer.lookup(key) if p.kind == "raion"]
        if raions:
            return raions
    if not variants:
        return []
    # "Volnovakhsky district": the raion under another spelling.
    return [p for p in gazetteer.lookup_variants(surface) if p.kind == "raion"]


def _facility_candidates(surface: str, name: str, designator: str,
                         gazetteer: Gazetteer) -> list[Place]:
    """'Kherson International Airport', 'the Zaporizhzhia plant', 'the port
    of Odessa': facilities of the kind the designator says, named as written
    or after the place (under the town's own name too: the port "Odesa")."""
    codes = FACILITY_CODES[designator]
    towns = sorted({p.name for p in gazetteer.lookup(name) if p.kind == "settlement"})
    for names in ([surface], [name, *towns]):
        exact = {p.id: p for key in names for p in gazetteer.lookup(key)
                 if p.kind == "facility" and p.feature_code in codes}
        if exact:
            return sorted(exact.values(), key=lambda p: str(p.id))
    named_after = {p.id: p for key in (name, *towns) for p in gazetteer.lookup_prefix(key)
                   if p.kind == "facility" and p.feature_code in codes}
    if not named_after:  # "Antonivskiy Bridge": the facility under another spelling
        named_after = {p.id: p for p in gazetteer.lookup_variants(surface)
                       if p.kind == "facility" and p.feature_code in codes}
    return sorted(named_after.values(), key=lambda p: str(p.id))


# Russian adjective endings of names made from a town's ("the Krasnolimansk
# direction": Krasny Liman's), longest first.
ADJECTIVE_ENDINGS = ("skoye", "skoe", "skiy", "skyi", "skij", "sky", "ske", "sk")


def _towns_of_adjective(name: str, gazetteer: Gazetteer) -> list[Place]:
    """The towns an adjective may be made from ("Krasnolimansk": Krasny
    Liman's), under any spelling."""
    for ending in ADJECTIVE_ENDINGS:
        if name.lower().endswith(ending) and len(name) - len(ending) >= 4:
            stem = name[:-len(ending)]
            towns = [p for p in gazetteer.lookup(stem) + gazetteer.lookup_variants(stem)
                     if p.kind == "settlement"]
            if towns:
                return sorted({p.id: p for p in towns}.values(), key=lambda p: str(p.id))
    return []


def candidates_for(mention: Mention, gazetteer: Gazetteer) -> tuple[list[Place], str]:
    """Gazetteer places a mention can mean, and a note when they stand in for
    something the gazetteer lacks ("city of the facility")."""
    surface, name, designator = mention.text, mention.name or mention.text, mention.designator
    if designator == "region":
        return _region_candidates(surface, name, gazetteer), ""
    if designator == "district":
        # "the Kirovsky district of Donetsk": a city's district, which the
        # gazetteer has for Kyiv only; it is no raion of a like name elsewhere
        # and is left unresolved rather than matched to a namesake.
        after = _OF_A_NAME.match(mention.sentence[mention.end - mention.sentence_start:])
        of_a_city = after is not None and any(
            p.kind == "settlement" for p in gazetteer.lookup(after["name"]))
        raions = _district_candidates(surface, name, gazetteer, variants=not of_a_city)
        if raions or of_a_city:
            return raions, ""
        # "Kupiansk district", a raion the gazetteer lacks: its centre.
        centres = [p for p in gazetteer.lookup(name) if p.feature_code in ("PPLA", "PPLA2")]
        return centres, "raion not in the gazetteer: its centre" if centres else ""
    elif designator in WATER_DESIGNATORS:
        water = [p for p in gazetteer.lookup(surface) + gazetteer.lookup(name) if p.kind == "water"]
        if water:
            return sorted({p.id: p for p in water}.values(), key=lambda p: p.id), ""
    elif designator in FACILITY_CODES:
        facilities = _facility_candidates(surface, name, designator, gazetteer)
        if facilities:
            return facilities, ""
        places = gazetteer.lookup(name)
        towns = [p for p in places if p.kind == "settlement"]
        if towns:
            return towns, f"{designator} not in the gazetteer: its town"
        return places, ""  # "Black Sea port": the sea
    elif designator == "city":
        towns = [p for p in gazetteer.lookup(name) if p.kind == "settlement"]
        if towns:
            return towns, ""
        towns = _towns_of_adjective(name, gazetteer)
        if towns:
            known = {p.id for p in towns}
            return towns + [p for p in gazetteer.lookup_variants(name)
                            if p.kind == "settlement" and p.id not in known], ""
    places = gazetteer.lookup(surface)
    if not places and name != surface:
        places = gazetteer.lookup(name)
    # Other spellings of the same Cyrillic name ("Lysichansk", "Krasny Yar")
    # also mean the places that bear them; ranking holds them back behind
    # places that bear the name as written (resolve.factors.written_name).
    variants = gazetteer.lookup_variants(name)
    if not places:
        return variants, "written in another spelling" if variants else ""
    known = {p.id for p in places}
    return places + [p for p in variants if p.id not in known], ""
