from geomap.documents import Document
from geomap.gazetteer import Place
from geomap.incidents import collect_incidents, link_for
from geomap.mentions import Mention
from geomap.resolve import Resolution

KYIV = Place(703448, "Kyiv", 50.45466, 30.5238, "P", "PPLC", "UA", "Kyiv City", 2952301)
UKRAINE = Place(690791, "Ukraine", 50.45466, 30.5238, "A", "PCLI", "UA", "", 40000000)


def resolution(document, text, start, sentence, sentence_start, place):
    mention = Mention(document.id, text, start, start + len(text), sentence, sentence_start, "GPE")
    return Resolution(mention, place, 1.0, "only candidate", "gazetteer")


def test_sentences_are_grouped_by_place_newest_first_once_per_sentence():
    old = Document("old", "Kyiv was shelled. Kyiv and Kiev burned.", title="Old", source="AP",
                   date="2022-03-01", path="old.txt")
    new = Document("new", "Sirens in Kyiv.", title="New", source="Reuters", date="2022-03-15",
                   url="https://example.org/new")
    undated = Document("undated", "Kyiv again.", path="undated.txt")
    resolved = [
        (old, [resolution(old, "Kyiv", 0, "Kyiv was shelled.", 0, KYIV),
               resolution(old, "Kyiv", 18, "Kyiv and Kiev burned.", 18, KYIV),
               resolution(old, "Kiev", 27, "Kyiv and Kiev burned.", 18, KYIV)]),
        (new, [resolution(new, "Kyiv", 10, "Sirens in Kyiv.", 0, KYIV)]),
        (undated, [resolution(undated, "Kyiv", 0, "Kyiv again.", 0, KYIV)]),
    ]
    (group,) = collect_incidents(resolved)
    assert group.place == KYIV
    assert [(i.sentence, i.date, i.source) for i in group.incidents] == [
        ("Sirens in Kyiv.", "2022-03-15", "Reuters"),
        ("Kyiv was shelled.", "2022-03-01", "AP"),
        ("Kyiv and Kiev burned.", "2022-03-01", "AP"),
        ("Kyiv again.", "", ""),
    ]
    assert group.incidents[2].names == ("Kyiv", "Kiev")
    assert [i.link for i in group.incidents] == [
        "https://example.org/new", "old.txt", "old.txt", "undated.txt"]


def test_countries_and_unresolved_mentions_get_no_marker():
    doc = Document("d", "Ukraine and Zorgograd.")
    resolved = [(doc, [resolution(doc, "Ukraine", 0, doc.text, 0, UKRAINE),
                       resolution(doc, "Zorgograd", 12, doc.text, 0, None)])]
    assert collect_incidents(resolved) == []


def test_links_only_for_web_urls():
    assert link_for(Document("d", "t", url="javascript:alert(1)", path="a.txt")) == "a.txt"
    assert link_for(Document("d", "t", url="HTTPS://example.org")) == "HTTPS://example.org"
    assert link_for(Document("rec-1", "t")) == "rec-1"
