import pytest

from geomap import resolve
from geomap.documents import Document
from geomap.gazetteer import Place
from geomap.incidents import (
    collect_incidents,
    incident_date,
    incident_types,
    link_for,
)
from geomap.mentions import Mention, mentions_in
from geomap.mentions.lemmas import SentenceWords
from geomap.mentions.tokens import tokens_of
from geomap.resolve import Resolution, ResolvedDocument

KYIV = Place(703448, "Kyiv", 50.45466, 30.5238, "P", "PPLC", "UA", "Kyiv City", 2952301)
UKRAINE = Place(690791, "Ukraine", 50.45466, 30.5238, "A", "PCLI", "UA", "", 40000000)


@pytest.fixture(scope="module")
def words(nlp):
    """A sentence -> its (text, lemma) words, as the mentions stage gives them."""
    def of(sentence):
        doc = nlp(sentence)
        return SentenceWords(doc, tokens_of(doc, sentence), nlp)(0, len(sentence))
    return of


@pytest.mark.parametrize("sentence, types", [
    ("Russian artillery shelled the city overnight.", ("attack",)),
    ("Two civilians were killed and five wounded.", ("casualties",)),
    ("The apartment building caught fire and was destroyed.", ("damage",)),
    ("Thousands of residents were evacuated through a humanitarian corridor.", ("humanitarian",)),
    ("The strike cut electricity and water to 40,000 homes.", ("attack", "infrastructure")),
    ("About 20,000 people escaped, but many remain trapped by Russian shelling, many without "
     "heating, power, or running water.", ("attack", "infrastructure")),
    ("Russian forces have fired on humanitarian convoys.", ("attack", "humanitarian")),
    ("Ukrainian troops launched a counteroffensive and recaptured the village.", ("military",)),
    ("The delegations held talks on a ceasefire in Istanbul.", ("diplomacy",)),
    ("The mayor opened a new library.", ("other",)),
])
def test_types_come_from_lemma_phrases(words, sentence, types):
    assert incident_types(words(sentence))[:len(types)] == types


@pytest.mark.parametrize("sentence, doc_date, expected", [
    ("Firefighters work at the scene in Kyiv, Ukraine, Tuesday, March 15, 2022.", "2022-03-16",
     ("2022-03-15", "sentence")),
    ("The shelling began on March 2.", "2022-03-16", ("2022-03-02", "sentence")),
    ("Explosions were heard in Kyiv on Tuesday.", "2022-03-16", ("2022-03-15", "weekday")),
    ("Drones attacked the city overnight.", "2022-03-16", ("2022-03-16", "relative")),
    ("Two were killed yesterday.", "2022-03-16", ("2022-03-15", "relative")),
    ("Sirens sounded in the city.", "2022-03-16", ("2022-03-16", "document")),
    ("Sirens sounded on Monday.", "", ("", "")),
    ("The battle of 12 January 2015 was the fiercest.", "2016-01-01", ("2015-01-12", "sentence")),
    ("Sept. 3, 2022: shelling in Kharkiv.", "2022-09-05", ("2022-09-03", "sentence")),
    # a month's name at the end of another word is no date ("Omar 7", not "Mar 7")
    ("A shell hit the Omar 7 school.", "2022-09-05", ("2022-09-05", "document")),
])
def test_dates_from_the_sentence_or_the_document(words, sentence, doc_date, expected):
    assert incident_date(sentence, words(sentence), doc_date) == expected


def resolution(document, text, start, sentence, sentence_start, place, sentence_words=()):
    mention = Mention(document.id, text, start, start + len(text), sentence, sentence_start, "GPE",
                      sentence_words=sentence_words)
    return Resolution(mention, place, 1.0, "only candidate", "gazetteer")


def test_incidents_grouped_by_place_newest_first_once_per_sentence(words):
    old = Document("old", "Kyiv was shelled. Kyiv and Kiev burned.", title="Old", source="AP",
                   date="2022-03-01", path="old.txt")
    new = Document("new", "Sirens in Kyiv.", title="New", source="Reuters", date="2022-03-15",
                   url="https://example.org/new")
    undated = Document("undated", "Kyiv again.", path="undated.txt")
    resolved = [
        ResolvedDocument(old, [
            resolution(old, "Kyiv", 0, "Kyiv was shelled.", 0, KYIV, words("Kyiv was shelled.")),
               resolution(old, "Kyiv", 18, "Kyiv and Kiev burned.", 18, KYIV,
                          words("Kyiv and Kiev burned.")),
               resolution(old, "Kiev", 27, "Kyiv and Kiev burned.", 18, KYIV,
                          words("Kyiv and Kiev burned."))]),
        ResolvedDocument(new, [resolution(new, "Kyiv", 10, "Sirens in Kyiv.", 0, KYIV,
                                          words("Sirens in Kyiv."))]),
        ResolvedDocument(undated, [resolution(undated, "Kyiv", 0, "Kyiv again.", 0, KYIV)]),
    ]
    (group,) = collect_incidents(resolved)
    assert group.place == KYIV
    summary = [(i.reports[0].sentence, i.date, i.type, i.reports[0].source) for i in group.incidents]
    assert summary == [
        ("Sirens in Kyiv.", "2022-03-15", "other", "Reuters"),
        ("Kyiv was shelled.", "2022-03-01", "attack", "AP"),
        ("Kyiv and Kiev burned.", "2022-03-01", "damage", "AP"),
        ("Kyiv again.", "", "other", ""),
    ]
    assert group.incidents[2].reports[0].names == ("Kyiv", "Kiev")
    assert [i.reports[0].link for i in group.incidents] == [
        "https://example.org/new", "old.txt", "old.txt", "undated.txt"]


def test_the_same_incident_from_several_articles_is_shown_once_with_all_sources(places, nlp):
    sentences = {"ap": "Russian missiles hit Kyiv on Tuesday, killing two.",
                 "bbc": "Two people were killed when missiles struck Kyiv on Tuesday.",
                 "later": "Missiles hit Kyiv again on Thursday."}
    resolved = []
    for source, sentence in sentences.items():
        document = Document(source, sentence, source=source.upper(), date="2022-03-17")
        found = mentions_in(document, nlp(sentence), places)
        resolved.append(ResolvedDocument(document, resolve.resolve_document(
            found, places, date=document.date)))
    (group,) = collect_incidents(resolved)
    assert [(i.date, [r.source for r in i.reports]) for i in group.incidents] == [
        ("2022-03-17", ["LATER"]), ("2022-03-15", ["AP", "BBC"])]
    assert group.incidents[1].counts == {"killed": 2}
    assert group.incidents[1].evidence["killed"] in ("killing two", "Two people were killed")


def test_countries_and_unresolved_mentions_get_no_marker():
    doc = Document("d", "Ukraine and Zorgograd.")
    resolved = [ResolvedDocument(doc, [resolution(doc, "Ukraine", 0, doc.text, 0, UKRAINE),
                                       resolution(doc, "Zorgograd", 12, doc.text, 0, None)])]
    assert collect_incidents(resolved) == []


def test_links_only_for_web_urls():
    assert link_for(Document("d", "t", url="javascript:alert(1)", path="a.txt")) == "a.txt"
    assert link_for(Document("d", "t", url="HTTPS://example.org")) == "HTTPS://example.org"
    assert link_for(Document("rec-1", "t")) == "rec-1"


def test_mentions_stage_gives_the_sentence_words(places, nlp):
    text = "At least 500 residents of Mariupol have been killed."
    (mention,) = mentions_in(Document("d", text), nlp(text), places)
    assert ("killed", "kill") in mention.sentence_words
    assert [(c.what, c.value) for c in mention.sentence_counts] == [("killed", 500)]


def test_an_unnamed_place_takes_what_happened_in_its_sentence(places, nlp):
    text = "Russian ships shelled a town south of Mariupol overnight."
    document = Document("d", text, date="2022-03-16")
    found = mentions_in(document, nlp(text), places)
    resolutions = resolve.resolve_document(found, places, date=document.date)
    (unnamed,) = [r for r in resolutions if r.source == "approximate"]
    assert incident_types(unnamed.mention.sentence_words) == ("attack",)
    (town,) = [g for g in collect_incidents([ResolvedDocument(document, resolutions)]) if g.source == "approximate"]
    assert town.place.name == "town south of Mariupol"
    (incident,) = town.incidents
    assert (incident.type, incident.date, incident.date_source) == ("attack", "2022-03-16", "relative")
