def picks(analyse, text):
    return {r.mention.text: r for r in analyse(text)}


def test_region_and_oblast_words_mean_the_oblast_not_the_city(analyse):
    found = picks(analyse, "Shelling hit Kharkiv and villages of the Kharkiv region; "
                           "Donetsk Oblast was quiet.")
    assert (found["Kharkiv"].place.id, found["Kharkiv"].place.kind) == (706483, "settlement")
    assert (found["Kharkiv region"].place.id, found["Kharkiv region"].place.kind) == (706482, "oblast")
    assert found["Donetsk Oblast"].place.name == "Donetsk Oblast"


def test_region_word_with_a_russian_spelling_finds_the_oblast(analyse):
    found = picks(analyse, "Fighting continued in the Zaporozhye region.")
    assert found["Zaporozhye region"].place.name == "Zaporizhzhia Oblast"


def test_village_in_many_oblasts_goes_to_the_oblast_named_in_the_document(analyse):
    found = picks(analyse, "Russian forces shelled the Kherson region overnight. "
                           "In Ivanivka two houses burned.")
    ivanivka = found["Ivanivka"]
    assert ivanivka.place.admin1 == "Kherson Oblast" and ivanivka.place.name == "Ivanivka"
    assert ivanivka.reason.startswith("oblast context: Kherson Oblast")
    assert len(ivanivka.candidates) > 50

    elsewhere = picks(analyse, "Ukrainian troops advanced near Lyman in the Donetsk region. "
                               "Ivanivka was liberated.")
    assert elsewhere["Ivanivka"].place.admin1 == "Donetsk Oblast"


def test_capital_beats_same_name_villages_and_says_why(analyse):
    kyiv = picks(analyse, "Explosions shook Kyiv.")["Kyiv"]
    assert kyiv.place.id == 703448
    assert kyiv.reason == "main name as written; capital preferred (among 3)"
    assert 0.5 < kyiv.score <= 1.0


def test_single_candidate_is_said_so(analyse):
    airport = picks(analyse, "Satellite images show Kherson International Airport.")
    pick = airport["Kherson International Airport"]
    assert (pick.place.kind, pick.reason, pick.score) == ("facility", "only candidate", 1.0)


def test_countries_resolve_to_their_country_code(analyse):
    found = picks(analyse, "Poland and Belarus border Ukraine, and Russia attacked.")
    assert {name: r.place.country for name, r in found.items()} == {
        "Poland": "PL", "Belarus": "BY", "Ukraine": "UA", "Russia": "RU"}
    assert all(r.place.kind == "country" for r in found.values())


def test_unknown_names_are_reported_unresolved_not_dropped(analyse):
    found = picks(analyse, "Missiles struck the city of Zorgograd, officials said in Lviv.")
    assert found["Zorgograd"].place is None
    assert found["Zorgograd"].reason == "not in the gazetteer"
    assert found["Lviv"].place.name == "Lviv"


def test_names_the_gazetteer_lacks_go_to_the_fallback_geocoder(places, nlp):
    from geomap import mentions, resolve
    from geomap.documents import Document
    from geomap.gazetteer import Place

    class Stub:
        name = "stub"

        def __init__(self):
            self.asked = []

        def geocode(self, query):
            self.asked.append(query)
            return Place("stub:1", "Zorgograd", 45.0, 40.0, "P", "PPL", "RU", "", 0)

    text = "Missiles struck the city of Zorgograd, officials said in Lviv."
    stub = Stub()
    found = mentions.mentions_in(Document(id="d", text=text), nlp(text), places)
    picked = {r.mention.text: r for r in resolve.resolve_document(found, places, stub)}
    assert stub.asked == ["Zorgograd"]  # Lviv never leaves the offline gazetteer
    assert (picked["Zorgograd"].source, picked["Zorgograd"].reason) == ("geocoder", "geocoder: stub")
    assert picked["Zorgograd"].place.lat == 45.0
    assert picked["Lviv"].source == "gazetteer"
