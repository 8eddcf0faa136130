import pytest
from geopy.distance import distance

from geomap import gazetteer
from geomap.gazetteer import normalize


def best(places, name):
    from geomap.resolve.priors import prior
    return max(places.lookup(name), key=prior)


@pytest.mark.parametrize("alias, geonameid", [
    ("Kiev", 703448), ("Kharkov", 706483), ("Odessa", 698740), ("Nikolaev", 700569),
    ("Zaporozhye", 687700), ("Zaporizhia", 687700), ("Zaporizhzhia", 687700),
    ("Lugansk", 702658), ("Artemivsk", 713174), ("Artyomovsk", 713174),
    ("Kirovohrad", 705812), ("Dnipropetrovsk", 709930), ("Dnepr", 709930),
    ("Energodar", 709276), ("Slavyansk", 693468), ("Gorlovka", 707753),
    ("Yevpatoriia", 688105), ("Kakhovka Reservoir", 707242), ("Snake Island", 686930),
    ("Zaporizhzhia Nuclear Power Plant", 11839420),
])
def test_news_spellings_resolve_to_the_right_place(places, alias, geonameid):
    assert best(places, alias).id == geonameid


def test_hand_added_places_news_names(places):
    bridge = best(places, "Antonivskyi Bridge")
    assert bridge.kind == "facility" and bridge.admin1 == "Kherson Oblast"
    assert distance((bridge.lat, bridge.lon), (46.6395, 32.6144)).km < 15  # beside Kherson
    assert best(places, "Siverskyi Donets").kind == "water"


def test_entries_carry_every_field(places):
    chornobyl = [p for p in places.lookup("Chornobyl") if p.feature_code == "PPLQ"]
    assert chornobyl, "the abandoned town of Chornobyl is kept"
    bucha = best(places, "Bucha")
    assert (bucha.id, bucha.name, bucha.feature_class, bucha.admin1, bucha.country) == (
        711350, "Bucha", "P", "Kyiv Oblast", "UA")
    assert bucha.population > 20000
    assert (bucha.lat, bucha.lon) == (50.54741, 30.20879)


def test_cyrillic_and_latin_alternate_names_are_searchable(places):
    assert best(places, "Київ").id == 703448
    assert best(places, "Харків").id == 706483
    assert best(places, "Kyjiv").id == 703448


def test_seas_world_cities_and_capitals(places):
    assert best(places, "Black Sea").feature_code == "SEA"
    assert best(places, "Sea of Azov").id == 713066
    for city, country in [("Brussels", "BE"), ("Moscow", "RU"), ("Warsaw", "PL"),
                          ("Belgorod", "RU")]:
        assert best(places, city).country == country


def test_oblasts_have_english_names_and_region_forms(places):
    oblast = best(places, "Zaporizhzhia Oblast")
    assert oblast.kind == "oblast" and oblast.name == "Zaporizhzhia Oblast"
    assert best(places, "Donetsk region").name == "Donetsk Oblast"
    assert {p.admin1 for p in places.lookup("Ivanivka")} >= {"Kherson Oblast", "Donetsk Oblast"}


def test_normalize_ignores_case_accents_apostrophes_and_hyphens():
    assert normalize("Kam’yanets-Podilskyi") == normalize("kamyanets podilskyi")
    assert normalize("Kijów") == "kijow"
    assert normalize("U.S.") == "us"


def test_a_place_is_found_by_its_latin_and_cyrillic_alternate_names(places):
    for name in ("Kiev", "Kyjiv", "Київ", "Киев"):
        assert 703448 in {place.id for place in places.lookup(name)}, name
    assert 703448 not in {place.id for place in places.lookup("IEV")}  # a code, not a name


def test_key_prefixes_are_known_by_their_start(places):
    # Gazetteer matching asks this before trying each length of a name.
    assert places.has_key_prefix("kryvyi")  # of "kryvyi rih"
    assert places.has_key_prefix("kryvyi r")
    assert places.has_key_prefix("kryvyi rih")
    assert not places.has_key_prefix("kryvyi rihx")
    assert not places.has_key_prefix("zzyzx")


@pytest.mark.parametrize("spellings", [
    ("Lysychansk", "Lisichansk", "Lysichansk"),
    ("Heorhiivka", "Georgiyivka", "Georgievka"),
    ("Kalynove", "Kalinovoe", "Kalinovoye"),
    ("Oleksandrivske", "Alexandrovskoye", "Aleksandrovskoe"),
    ("Bakhchovyk", "Bakhchevik", "Bahchovik"),
    ("Shchastia", "Schastye"),
])
def test_transliterations_of_one_name_share_a_skeleton(spellings):
    assert len({gazetteer.skeleton(gazetteer.normalize(s)) for s in spellings}) == 1


def test_the_skeleton_index_reaches_the_theatres_cyrillic_names_only(places):
    assert {p.name for p in places.lookup_variants("Lysichansk")} >= {"Lysychansk"}
    reached = places.lookup_variants("Petrovskoye")
    assert {p.country for p in reached} <= {"UA", "RU", "BY"}
    assert all(p.admin1 for p in reached)  # in Ukraine or the theatre's regions
    assert places.lookup_variants("Kyv") == []  # too short a skeleton to mean anything
