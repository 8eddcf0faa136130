import json

from geomap.documents import read_documents

from conftest import SEEDS


def read(paths):
    errors = []
    docs = list(read_documents([str(p) for p in paths], errors.append))
    return docs, errors


def test_seed_header_gives_date_and_source_and_is_not_article_text():
    docs, errors = read([SEEDS / "000_fc6a60b7b5624fe4.txt"])
    assert errors == []
    (doc,) = docs
    assert (doc.date, doc.source) == ("2022-03-16", "NewsNation")
    assert doc.text.startswith("Russian Foreign Minister Sergey Lavrov said")
    assert doc.title.startswith("Russian Foreign Minister Sergey Lavrov") and len(doc.title) <= 121
    assert doc.id == doc.path == str(SEEDS / "000_fc6a60b7b5624fe4.txt")


def test_folder_is_read_recursively_in_name_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.md").write_text("Shelling hit Kharkiv.")
    (tmp_path / "a.txt").write_text("Shelling hit Kyiv.")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    docs, errors = read([tmp_path])
    assert [d.text for d in docs] == ["Shelling hit Kyiv.", "Shelling hit Kharkiv."]
    assert errors == []


def test_field_lines_and_front_matter(tmp_path):
    fields = tmp_path / "fields.txt"
    fields.write_text("Title: Strike on Odesa\nSource: Reuters\nDate: 2023-07-21T10:00\n"
                      "URL: https://example.org/a\n\nMissiles hit Odesa.\n")
    front = tmp_path / "front.md"
    front.write_text('---\ntitle: "Night attack"\ndate: 2024-01-02\n---\nDrones hit Lviv.\n')
    (fdoc, mdoc), errors = read([fields, front])
    assert (fdoc.title, fdoc.source, fdoc.date, fdoc.url, fdoc.text) == (
        "Strike on Odesa", "Reuters", "2023-07-21", "https://example.org/a", "Missiles hit Odesa.\n")
    assert (mdoc.title, mdoc.date, mdoc.text) == ("Night attack", "2024-01-02", "Drones hit Lviv.\n")


def test_jsonl_records_keep_ids_and_ignore_unknown_fields(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join([
        json.dumps({"id": "a1", "text": "Kyiv was shelled.", "date": "2022-03-01",
                    "gold": [{"surface": "Kyiv"}], "source": "AP"}),
        "{not json",
        json.dumps({"title": "no text here"}),
        json.dumps({"text": "Lviv was calm.", "url": "https://example.org/x"}),
    ]) + "\n")
    docs, errors = read([path])
    assert [(d.id, d.date, d.source) for d in docs] == [
        ("a1", "2022-03-01", "AP"), (f"{path}:4", "", "")]
    assert docs[1].url == "https://example.org/x"
    assert errors == [f"{path}:2: invalid JSON (Expecting property name enclosed in double quotes)",
                      f'{path}:3: record has no "text" string']


def test_bad_inputs_are_reported_one_line_each_and_the_rest_is_read(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Kherson was freed.")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    latin1 = tmp_path / "legacy.txt"
    latin1.write_bytes("Caf\xe9 in Lviv".encode("latin-1"))
    docs, errors = read([tmp_path / "missing.txt", empty, latin1, good])
    assert [d.text for d in docs] == ["Kherson was freed."]
    assert errors == [
        f"{tmp_path / 'missing.txt'}: no such file or directory",
        f"{empty}: no article text",
        f"{latin1}: not UTF-8 text (invalid continuation byte at byte 3)",
    ]
