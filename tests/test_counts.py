"""Casualty counts as a reader sees them: which number, for which place, read
from which words. Short real sentences, one per pattern."""

import pytest

from geomap import resolve
from geomap.documents import Document
from geomap.incidents import collect_incidents
from geomap.mentions import mentions_in
from geomap.resolve import ResolvedDocument


@pytest.fixture(scope="module")
def counts(places, nlp):
    """Text -> {place name: {what: number}} as the map shows them."""
    def run(text, date="2022-10-10"):
        document = Document("d", text, date=date)
        found = mentions_in(document, nlp(text), places)
        resolved = ResolvedDocument(document, resolve.resolve_document(found, places, date=date))
        shown = {}
        for group in collect_incidents([resolved]):
            for incident in group.incidents:
                for what, value in incident.counts.items():
                    shown.setdefault(group.place.name, {})[what] = value
        return shown
    return run


@pytest.mark.parametrize("text, expected", [
    # Ages are never counts.
    ("A 71-year-old man has been killed in Kharkiv.", {"Kharkiv": {"killed": 1}}),
    ("In Kherson, two women aged 32 and 95 have been killed.", {"Kherson": {"killed": 2}}),
    ("A civilian man, 48 years old, was injured in Nikopol.", {"Nikopol": {"injured": 1}}),
    ("Shelling in Kupiansk injured a 63-year-old woman.", {"Kupiansk": {"injured": 1}}),
    # The other number of the sentence is the other count.
    ("Shelling of Donetsk: seven civilians killed, 117 injured.",
     {"Donetsk": {"killed": 7, "injured": 117}}),
    ("In Odesa, 15 people have been killed and 76 injured.",
     {"Odesa": {"killed": 15, "injured": 76}}),
    ("Two people were killed and four wounded in Kramatorsk.",
     {"Kramatorsk": {"killed": 2, "injured": 4}}),
    ("In Sumy 2 people were killed and 1 wounded, 15 multi-storey buildings were damaged.",
     {"Sumy": {"killed": 2, "injured": 1}}),
    # A subset is not the total.
    ("In Dnipro, at least 23 people, including four children, were killed.",
     {"Dnipro": {"killed": 23}}),
    # Number words, headlines, verbs after the number.
    ("Missile strike on Vinnytsia kills more than 20, injures dozens.",
     {"Vinnytsia": {"killed": 20}}),
    ("The strike on the mall in Kremenchuk, killing at least 35 people and injuring 117.",
     {"Kremenchuk": {"killed": 35, "injured": 117}}),
    ("Russia struck the station in Kramatorsk, killing more than 50 people.",
     {"Kramatorsk": {"killed": 50}}),
    # Nobody is no number.
    ("A drone hit a house in Sumy; no one was injured.", {}),
    # Groups add up.
    ("Five Ukrainian soldiers, two rebels killed near Donetsk.", {"Donetsk": {"killed": 7}}),
    ("One dead and three wounded in Horlivka shelling.",
     {"Horlivka": {"killed": 1, "injured": 3}}),
    # Killed and wounded together, unsplit: no number.
    ("Losses in the Kupiansk direction amounted to 100 soldiers killed and wounded.", {}),
    # Wounded, then died: killed only.
    ("A rescuer injured in a night attack died in a Khmelnytskyi hospital.",
     {"Khmelnytskyi": {"killed": 1}}),
    # Tolls, numbers of victims, bodies, reports.
    ("The death toll in the center of Donetsk increased to two.", {"Donetsk": {"killed": 2}}),
    ("The number of injured in the attack on the crossing in Kherson increased to six.",
     {"Kherson": {"injured": 6}}),
    ("The bodies of four civilians were found in Izium.", {"Izium": {"killed": 4}}),
    ("One Ukrainian soldier reported killed near Avdiivka.", {"Avdiyivka": {"killed": 1}}),
    ("More than 4,000 people were evacuated from Mariupol on Tuesday.",
     {"Mariupol": {"evacuated": 4000}}),
    # Hostages are counted like the others.
    ("Russian forces took at least 400 medics and civilian residents hostage in Mariupol.",
     {"Mariupol": {"captured or missing": 400}}),
])
def test_counts_read_from_the_sentence(counts, text, expected):
    assert counts(text) == expected


def test_a_count_split_across_places_goes_to_each(counts):
    shown = counts("Seven civilians were injured - six in Reni and one in Izmail.")
    assert shown == {"Reni": {"injured": 6}, "Izmayil": {"injured": 1}}


def test_a_count_goes_to_the_sentences_most_specific_place_not_to_the_sea(counts):
    # Not the Black Sea, nor Ukraine: the town.
    shown = counts("Their 14-year-old daughter was wounded when a missile from the Black Sea "
                   "hit Odesa.")
    assert shown == {"Odesa": {"injured": 1}}


def test_each_count_keeps_the_words_it_was_read_from(places, nlp):
    text = "In Odesa, 15 people have been killed and 76 injured."
    document = Document("d", text)
    found = mentions_in(document, nlp(text), places)
    (group,) = collect_incidents([ResolvedDocument(document, resolve.resolve_document(
        found, places))])
    (incident,) = group.incidents
    assert incident.evidence == {"killed": "15 people have been killed", "injured": "76 injured"}


def test_a_total_over_several_towns_goes_to_the_oblast_named_not_to_a_town(counts):
    shown = counts("Over the past day, in Zaporizhzhia Oblast, Russian troops shelled Orikhiv "
                   "and Huliaipole; three people were killed.")
    assert shown == {"Zaporizhzhia Oblast": {"killed": 3}}
    # With no area named, no town takes the others' dead.
    assert counts("Shelling of Orikhiv and Huliaipole killed three people.") == {}


def test_headlines_of_a_digest_are_read_apart(counts):
    shown = counts("Three civilians killed in Horlivka;Two soldiers wounded near Avdiivka")
    assert shown == {"Horlivka": {"killed": 3}, "Avdiyivka": {"injured": 2}}
