"""Property-based tests: random text, JSON and CSV through every stage.

No exception may escape, and the outputs stay valid: offsets point into the
text, the HTML parses and carries its data, the GeoJSON has RFC 7946 shape.
"""

import csv
import io
import json
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geomap import mentions, resolve
from geomap.documents import InputLog, ReadOptions, read_documents
from geomap.export import geojson
from geomap.incidents import collect_incidents
from geomap.render import read_map_data, render_map

FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
PLACE_WORDS = st.sampled_from(["Kyiv", "Kharkiv region", "Odesa", "Ivanivka", "the Dnipro",
                               "Kiev forces", "Marganets", "50 km north of Kherson", "Moscow",
                               "a village south of Mariupol", "Donetsk Oblast's", "<b>"])
TEXT = st.lists(st.one_of(st.text(min_size=0, max_size=40), PLACE_WORDS),
                min_size=1, max_size=12).map(" ".join)


def run_pipeline(docs, places, nlp):
    resolved = []
    for document, found in mentions.extract_mentions(docs, places, nlp):
        for mention in found:
            assert 0 <= mention.start < mention.end <= len(document.text)
            assert document.text[mention.start:mention.end] == mention.text
            start = mention.sentence_start
            assert document.text[start:start + len(mention.sentence)] == mention.sentence
        resolved.append(resolve.ResolvedDocument(
            document, resolve.resolve_document(found, places, date=document.date)))
    groups = collect_incidents(resolved)
    html = render_map(groups, len(resolved))
    HTMLParser().feed(html)
    assert read_map_data(html)["summary"]["places"] == len(groups)
    collection = geojson(groups)
    json.loads(json.dumps(collection))
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        assert -180 <= lon <= 180 and -90 <= lat <= 90 and isinstance(feature["properties"], dict)


@FUZZ
@given(text=TEXT)
def test_random_text_through_every_stage(places, nlp, tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "article.txt"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    log = InputLog(lambda line: None)
    run_pipeline(read_documents([str(path)], log), places, nlp)
    assert log.processed + log.failed == 1


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["text", "id", "title", "date", "url", "source", "x"]), inner, max_size=5),
    max_leaves=10)


@FUZZ
@given(value=JSON_VALUES)
def test_random_json_and_jsonl(places, nlp, tmp_path_factory, value):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "a.json").write_text(json.dumps(value))
    (folder / "b.jsonl").write_text(json.dumps(value) + "\n" + json.dumps({"text": "Kyiv."}) + "\n")
    log = InputLog(lambda line: None)
    run_pipeline(read_documents([str(folder)], log), places, nlp)
    assert log.documents >= 1  # the good JSONL line is always read


@FUZZ
@given(rows=st.lists(st.lists(TEXT, min_size=0, max_size=4), max_size=5),
       header=st.lists(st.sampled_from(["text", "id", "title", "date", "x"]), min_size=1,
                       max_size=4, unique=True))
def test_random_csv(places, nlp, tmp_path_factory, rows, header):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("fuzz") / "table.csv"
    path.write_text(buffer.getvalue())
    log = InputLog(lambda line: None)
    run_pipeline(read_documents([str(path)], log, ReadOptions()), places, nlp)
    assert log.processed + log.failed >= 1
