import io
import json
import os
import sys

import pytest

from geomap.documents import InputLog, ReadOptions, estimated_count, read_documents
from geomap.errors import StrictStop
from geomap.input_files import DEFAULT_MAX_FILE_BYTES, Selection

from conftest import SEEDS

UKRAINIAN = "Обстріл Харкова тривав усю ніч, повідомили в Києві."


def reading_options(include=(), exclude=(), follow_links=False, full_paths=False,
                    max_file_bytes=DEFAULT_MAX_FILE_BYTES, **options):
    selection = Selection(include=include, exclude=exclude, follow_links=follow_links,
                          full_paths=full_paths, max_file_bytes=max_file_bytes)
    return ReadOptions(selection=selection, **options)


def read(paths, **options):
    lines = []
    log = InputLog(lines.append, strict=options.pop("strict", False))
    docs = list(read_documents([str(p) for p in paths], log, reading_options(**options)))
    return docs, lines, log


def test_seed_header_gives_date_and_source_and_is_not_article_text():
    (doc,), lines, log = read([SEEDS / "000_fc6a60b7b5624fe4.txt"])
    assert lines == [] and (log.processed, log.skipped, log.failed) == (1, 0, 0)
    assert (doc.date, doc.source) == ("2022-03-16", "NewsNation")
    assert doc.text.startswith("Russian Foreign Minister Sergey Lavrov said")
    assert doc.title.startswith("Russian Foreign Minister Sergey Lavrov") and len(doc.title) <= 121
    assert doc.id == doc.path == "000_fc6a60b7b5624fe4.txt"  # its own name, not where it is


def test_folder_is_read_recursively_in_name_order_with_globs(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.md").write_text("Shelling hit Kharkiv.")
    (tmp_path / "a.txt").write_text("Shelling hit Kyiv.")
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "draft.txt").write_text("Not yet.")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    docs, lines, log = read([tmp_path], exclude=("drafts/*",))
    assert [d.text for d in docs] == ["Shelling hit Kyiv.", "Shelling hit Kharkiv."]
    assert lines == [f"skipped: {tmp_path.name}/notes.pdf: unsupported file type .pdf"]
    assert (log.processed, log.skipped, log.failed) == (2, 1, 0)
    only_md, _lines, _log = read([tmp_path], include=("*.md",))
    assert [d.text for d in only_md] == ["Shelling hit Kharkiv."]


def test_field_lines_and_front_matter(tmp_path):
    fields = tmp_path / "fields.txt"
    fields.write_text("Title: Strike on Odesa\nSource: Reuters\nDate: 2023-07-21T10:00\n"
                      "URL: https://example.org/a\n\nMissiles hit Odesa.\n")
    front = tmp_path / "front.md"
    front.write_text('---\ntitle: "Night attack"\ndate: 2024-01-02\n---\nDrones hit Lviv.\n')
    (fdoc, mdoc), _lines, _log = read([fields, front])
    assert (fdoc.title, fdoc.source, fdoc.date, fdoc.url, fdoc.text) == (
        "Strike on Odesa", "Reuters", "2023-07-21", "https://example.org/a", "Missiles hit Odesa.\n")
    assert (mdoc.title, mdoc.date, mdoc.text) == ("Night attack", "2024-01-02", "Drones hit Lviv.\n")


def test_jsonl_with_one_bad_line_among_good_ones(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join([
        json.dumps({"id": "a1", "text": "Kyiv was shelled.", "date": "2022-03-01",
                    "gold": [{"surface": "Kyiv"}], "source": "AP"}),
        "{not json",
        json.dumps({"title": "no text here"}),
        json.dumps({"text": "Lviv was calm.", "url": "https://example.org/x"}),
    ]) + "\n")
    docs, lines, log = read([path])
    assert [(d.id, d.date, d.source) for d in docs] == [
        ("a1", "2022-03-01", "AP"), (f"{path.name}:4", "", "")]
    assert docs[1].url == "https://example.org/x"
    assert lines == [f"error: {path.name}:2: invalid JSON: Expecting property name enclosed in double "
                     "quotes (column 2)",
                     f'error: {path.name}:3: record has no "text" string']
    assert (log.processed, log.failed) == (1, 2)


def test_json_object_list_and_a_file_cut_in_the_middle(tmp_path):
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"id": "o1", "text": "Odesa port was hit."}))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"text": "Sumy was shelled."}, {"text": 3}]))
    cut = tmp_path / "cut.json"
    cut.write_text('[{"text": "Kherson is free."}, {"text": "Mykol')
    docs, lines, log = read([single, many, cut])
    assert [(d.id, d.text) for d in docs] == [("o1", "Odesa port was hit."),
                                              (f"{many.name}[1]", "Sumy was shelled.")]
    assert lines == [f'error: {many.name}[2]: record has no "text" string',
                     f"error: {cut.name}: invalid JSON: Unterminated string starting at "
                     "(line 1, column 41)"]
    assert (log.processed, log.failed) == (2, 2)


def test_csv_columns_ragged_rows_and_a_missing_text_column(tmp_path):
    good = tmp_path / "news.csv"
    good.write_text('id,title,body,date\n1,Strike,"Kyiv, the capital, was hit.",2022-10-10\n'
                    "2,Too,many,fields,here\n3,Calm,Lviv was calm.,2022-10-11\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("headline,when\nKharkiv hit,2022-05-05\n")
    docs, lines, log = read([good, bad], columns={"text": "body"})
    assert [(d.id, d.title, d.text, d.date) for d in docs] == [
        ("1", "Strike", "Kyiv, the capital, was hit.", "2022-10-10"),
        ("3", "Calm", "Lviv was calm.", "2022-10-11")]
    assert lines == [f"error: {good.name}:row 3: 5 fields, the header has 4",
                     f'error: {bad.name}: no "body" column (columns: headline, when); '
                     "name the text column with --text-column"]
    assert (log.processed, log.failed) == (1, 2)


@pytest.mark.parametrize("name, data", [
    ("empty.txt", b""),
    ("blank.txt", b" \n\n\t "),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20),
    ("archive.txt", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(200)),
])
def test_empty_and_binary_files_are_reported_and_the_rest_read(tmp_path, name, data):
    bad = tmp_path / name
    bad.write_bytes(data)
    good = tmp_path / "good.txt"
    good.write_text("Kherson was freed.")
    docs, lines, log = read([bad, good])
    assert [d.text for d in docs] == ["Kherson was freed."]
    expected = "empty file" if not data.strip() else "binary file, not text"
    assert lines == [f"error: {bad.name}: {expected}"]
    assert (log.processed, log.failed) == (1, 1)


def test_missing_and_unreadable_paths(tmp_path, monkeypatch):
    locked = tmp_path / "locked.txt"
    locked.write_text("Secret.")
    good = tmp_path / "good.txt"
    good.write_text("Sirens in Odesa.")
    original = open

    def refusing_open(path, *args, **kwargs):
        if path == locked:  # chmod 000 does not stop root, so refuse as the OS would
            raise PermissionError(13, "Permission denied", str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refusing_open)
    docs, lines, log = read([tmp_path / "missing.txt", locked, good])
    assert [d.text for d in docs] == ["Sirens in Odesa."]
    assert lines == [f"error: {tmp_path / 'missing.txt'}: no such file or directory",
                     f"error: {locked.name}: permission denied"]


def test_directory_loop_via_symlinks_is_read_once(tmp_path):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.txt").write_text("Drones hit Kyiv.")
    os.symlink(tmp_path / "news", tmp_path / "news" / "again")
    docs, lines, log = read([tmp_path / "news"])
    assert [d.text for d in docs] == ["Drones hit Kyiv."]
    assert lines == ["skipped: news/again: a link back into a folder "
                     "already read (directory loop)"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1251", "koi8_u"])
def test_encodings_of_the_region(tmp_path, encoding):
    path = tmp_path / "article.txt"
    path.write_bytes(f"{UKRAINIAN}\n{UKRAINIAN}\n".encode(encoding))
    (doc,), lines, _log = read([path])
    assert lines == []
    assert doc.text == f"{UKRAINIAN}\n{UKRAINIAN}\n"


def test_latin1_mixed_line_endings_and_nul_bytes(tmp_path):
    path = tmp_path / "article.txt"
    path.write_bytes("Café owners in Lviv\r\nsaid the bakery\rreopened.\x00\n".encode("latin-1"))
    (doc,), lines, _log = read([path])
    assert lines == []
    assert doc.text == "Café owners in Lviv\nsaid the bakery\nreopened.\n"


def test_html_article_text_and_metadata(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<html><head><title>Strike on Odesa | Example News</title>'
        '<link rel="canonical" href="https://example.org/odesa">'
        '<meta property="og:site_name" content="Example News">'
        '<meta property="article:published_time" content="2023-07-21T08:00:00Z"></head>'
        "<body><nav>Home | World | Sport</nav><article><h1>Strike on Odesa</h1>"
        "<p>Russian missiles hit the port of Odesa overnight, officials said.</p>"
        "<p>Two people were injured in Mykolaiv, the regional governor said.</p></article>"
        "<footer>Copyright Example</footer><script>var x = 1;</script></body></html>")
    (doc,), lines, _log = read([page])
    assert lines == []
    assert "Russian missiles hit the port of Odesa overnight" in doc.text
    assert "Home | World" not in doc.text and "var x" not in doc.text
    assert (doc.date, doc.url, doc.source) == ("2023-07-21", "https://example.org/odesa",
                                                "Example News")
    assert "Strike on Odesa" in doc.title


def test_html_without_an_article_falls_back_to_visible_text(tmp_path):
    page = tmp_path / "short.htm"
    page.write_text("<html><body><div>Kyiv</div><script>alert(1)</script></body></html>")
    (doc,), lines, _log = read([page])
    assert lines == [] and "Kyiv" in doc.text and "alert" not in doc.text


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(
        json.dumps({"id": "s1", "text": "Sirens in Dnipro."}).encode() + b"\n")))
    (doc,), lines, _log = read(["-"], stdin_format="jsonl")
    assert (doc.id, doc.text) == ("s1", "Sirens in Dnipro.")


def test_a_50_mb_article_is_read_in_parts_not_rejected(tmp_path):
    paragraph = ("Shelling continued in Kharkiv overnight, officials said. " * 20 + "\n\n")
    path = tmp_path / "huge.txt"
    path.write_text(paragraph * (50_000_000 // len(paragraph)))
    docs, lines, log = read([path])
    assert lines == [] and log.processed == 1
    assert 500 <= len(docs) <= 510 and all(len(d.text) <= 100_000 for d in docs)
    assert docs[0].id == "huge.txt#1" and docs[-1].id == f"huge.txt#{len(docs)}"
    assert all(d.text.endswith("\n\n") for d in docs)  # cut at paragraph breaks
    assert sum(len(d.text) for d in docs) == path.stat().st_size


def test_limits_on_size_and_count(tmp_path):
    for n in range(5):
        (tmp_path / f"{n}.txt").write_text(f"Article {n} about Kyiv.\n\n" + "More text. " * 200)
    docs, lines, _log = read([tmp_path], max_documents=3, max_chars=1000)
    assert len(docs) == 3
    # One line says so, however many files are left (they are not even opened).
    assert [line for line in lines if "--max-documents" in line] == lines
    assert len(lines) == 1 and "the limit of 3 documents is reached" in lines[0]
    with_one_per_file, lines, _log = read([tmp_path], max_documents=2)
    assert len(with_one_per_file) == 2
    assert lines == [f"skipped: {tmp_path.name}/2.txt and every input after it: the limit of 2 "
                     "documents is reached (--max-documents)"]


def test_strict_stops_at_the_first_failure(tmp_path):
    (tmp_path / "a.txt").write_text("")
    (tmp_path / "b.txt").write_text("Kyiv.")
    with pytest.raises(StrictStop):
        read([tmp_path], strict=True)


def test_the_progress_bar_knows_about_how_many_documents_are_coming(tmp_path):
    (tmp_path / "a.txt").write_text("Shelling hit Kharkiv.")
    (tmp_path / "b.jsonl").write_text("".join(f'{{"text": "day {n}"}}\n' for n in range(3)))
    (tmp_path / "c.csv").write_text("id,text\n1,Kyiv\n2,Lviv\n")
    (tmp_path / "d.pdf").write_text("not read")
    assert estimated_count([str(tmp_path)], ReadOptions()) == 1 + 3 + 2
    assert estimated_count([str(tmp_path)], ReadOptions(max_documents=4)) == 4
    assert estimated_count([str(tmp_path / "b.jsonl"), "-"], ReadOptions()) is None  # stdin

