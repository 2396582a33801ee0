from __future__ import annotations

import json
from pathlib import Path

import pytest

from goldwire.corpus.normalize import normalize_text
from goldwire.corpus.readers import READERS, ReadOptions, Rejection, detect
from goldwire.corpus.readers.jsonl import JsonlReader, parse_date
from goldwire.errors import UsageError
from goldwire.provenance import Annotation
from goldwire.schema import DocStance, Document, Entity, Mention, Paragraph, Stance

DATA = Path(__file__).resolve().parents[1] / "data" / "readers"
READER = JsonlReader()


def read(path: Path, text: str | None = None, **options) -> list[Document | Rejection]:
    if text is None:
        text = path.read_text(encoding="utf-8")
    return list(READER.read(path, text, ReadOptions(**options)))


def by_line(items):
    docs = {int(i.source.rsplit(":", 1)[1]): i for i in items if isinstance(i, Document)}
    rejections = {int(r.item.split()[1]): r for r in items if isinstance(r, Rejection)}
    return docs, rejections


# --------------------------------------------------------------------------- article objects


def test_default_fields_and_wire_layout():
    path = DATA / "articles.jsonl"
    docs, rejections = by_line(read(path, year=2024))
    assert sorted(docs) == [1, 6]
    assert sorted(rejections) == [3, 4, 5, 7]  # line 2 is blank: not a document

    doc = docs[1]
    title = "Lavrov meets Mirzoyan in Moscow"
    lead = "The ministers discussed the peace treaty."
    body = [
        "MOSCOW, March 31. /TASS/. Russian Foreign Minister Sergey Lavrov met his Armenian "
        "counterpart Ararat Mirzoyan on Friday.",
        "The talks lasted three hours.",
    ]
    assert doc.text == "\n\n".join([title, lead, *body])
    assert [(p.kind, doc.text[p.start : p.end]) for p in doc.paragraphs] == [
        ("title", title),
        ("lead", lead),
        ("body", body[0]),
        ("body", body[1]),
    ]
    assert (doc.title, doc.lead, doc.dateline, doc.agency) == (title, lead, "MOSCOW", "TASS")
    # the date as written (23:15 at UTC-5 is still March 31 there), not converted to UTC
    assert (doc.published, doc.published_raw) == ("2023-03-31", "2023-03-31T23:15:00-05:00")
    assert doc.id == "" and doc.source == f"{path}:1"
    assert doc.meta == {
        "reader": "jsonl",
        "section": "world",
        "views": "1200",
        "breaking": "false",
        "unused_fields": "tags",
        "source_id": "tass-001",
    }

    oil = docs[6]  # "body" is the fallback text key; single newlines separate paragraphs
    assert oil.text == (
        "Oil rises\n\nHOUSTON, Feb 26 - Oil prices rose on Tuesday.\n\n"
        "Traders cited supply worries."
    )
    assert (oil.dateline, oil.agency, oil.published, oil.published_raw) == (
        "HOUSTON",
        None,
        "2024-02-26",  # the dateline has no year: options.year gives it
        "Feb 26",
    )
    assert oil.meta == {"reader": "jsonl", "split": "validation"}  # "dev" -> validation


def test_rejections_name_file_line_and_fix():
    path = DATA / "articles.jsonl"
    _, rejections = by_line(read(path))
    assert {n: r.reason for n, r in rejections.items()} == {
        3: "schema",
        4: "unparseable",
        5: "schema",
        7: "no-body",
    }
    assert all(r.source == str(path) for r in rejections.values())
    assert rejections[3].message == (
        f"{path}:3: no 'text' or 'body' field; map the article text with --field text=KEY"
    )
    assert rejections[4].message.startswith(f"{path}:4: not valid JSON (Unterminated string")
    assert rejections[5].message.startswith(f"{path}:5: a JSON array, not an object;")
    assert rejections[7].message == (
        f"{path}:7: the article text is empty apart from its title; give the line a "
        "non-empty text or map another key with --field text=KEY"
    )


def test_mapped_and_dotted_fields():
    path = DATA / "mapped.jsonl"
    fields = (
        ("text", "content.paragraphs"),
        ("title", "headline"),
        ("language", "lang"),
        ("id", "doc_id"),
        ("published", "meta.date"),
    )
    first, second = read(path, fields=fields)
    title = "Пашинян прибыл в Москву"
    body = "МОСКВА, 25 мая. /ТАСС/. Премьер-министр Армении Никол Пашинян прибыл в Москву."
    assert first.text == f"{title}\n\n{body}"  # the body's copy of the title is dropped
    assert (first.title, first.dateline, first.agency, first.language) == (
        title,
        "МОСКВА",
        "TASS",
        "ru",
    )
    assert (first.published, first.published_raw) == ("2023-05-25", "2023-05-25")
    assert first.meta == {
        "reader": "jsonl",
        "removed": "title-repeat",
        "agency_raw": "ТАСС",
        "source_id": "17",
    }
    # an unreadable date is kept in meta; no dateline and no year: no published date
    assert second.published is None
    assert second.meta["published_unparsed"] == "вчера"
    assert second.text == "Без даты\n\nТекст без строки с датой."


def test_mapping_replaces_the_default_key():
    line = json.dumps({"text": "teaser only", "body": "Full article text of the story."})
    (doc,) = read(Path("a.jsonl"), line, fields=(("text", "body"),))
    assert doc.text == "Full article text of the story."
    assert doc.meta["text"] == "teaser only"  # unmapped scalars stay in meta


def test_a_missing_mapped_field_names_the_key():
    line = json.dumps({"text": "Some text."})
    (rej,) = read(Path("a.jsonl"), line, fields=(("text", "article.body"),))
    assert rej.message == (
        "a.jsonl:1: no 'article.body' field; map the article text with --field text=KEY"
    )


def test_field_of_the_wrong_type_names_the_key_it_came_from():
    (rej,) = read(Path("a.jsonl"), json.dumps({"body": {"html": "<p>x</p>"}}))
    assert rej.message == (
        "a.jsonl:1: field 'body' (text) is a JSON object, not a string; map another key "
        "with --field text=KEY"
    )


def test_field_of_the_wrong_type():
    line = json.dumps({"text": "Some text here.", "title": {"main": "T"}})
    (rej,) = read(Path("a.jsonl"), line)
    assert rej.reason == "schema"
    assert rej.message == (
        "a.jsonl:1: field 'title' (title) is a JSON object, not a string; map another key "
        "with --field title=KEY"
    )


def test_unknown_goldwire_field_is_a_usage_error():
    with pytest.raises(UsageError, match="'headline' is not a goldwire field"):
        read(Path("a.jsonl"), '{"text": "x"}', fields=(("headline", "title"),))


def test_line_separator_inside_a_string_survives_normalisation():
    # json.dumps(ensure_ascii=False) writes U+2028 raw; normalisation only turns CRLF / CR
    # into LF, so the JSON line stays whole and the separator stays in the text
    first = json.dumps(
        {"title": "T", "text": "First paragraph.\u2028Second one."}, ensure_ascii=False
    )
    assert "\u2028" in first
    second = json.dumps({"title": "U", "text": "Another article."})
    text = normalize_text(first + "\r\n" + second + "\n")
    assert text.count("\n") == 2
    one, two = read(Path("a.jsonl"), text)
    assert one.text == "T\n\nFirst paragraph.\u2028Second one."
    assert (one.source, two.source, two.text) == ("a.jsonl:1", "a.jsonl:2", "U\n\nAnother article.")


def test_text_is_normalised():
    line = json.dumps({"title": "Cafe\u0301", "text": "Line one.\r\n\r\nLine two."})
    (doc,) = read(Path("a.jsonl"), line)
    assert doc.text == "Café\n\nLine one.\n\nLine two."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-03-31", "2023-03-31"),
        ("2023-03-31T10:15:00Z", "2023-03-31"),
        ("2023-03-31T23:15:00-05:00", "2023-03-31"),
        ("2023-03-31 10:15:00", "2023-03-31"),
        ("2023-02-30", None),
        ("31.03.2023", None),
        ("March 31, 2023", None),
        ("2023-03", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


# --------------------------------------------------------------------------- goldwire documents


def goldwire_doc() -> Document:
    text = "Talks in Yerevan\n\nYEREVAN, May 2. /TASS/. Pashinyan met Lavrov."
    ents = [(0, 5, "MISC"), (9, 16, "GPE"), (18, 25, "GPE"), (35, 39, "ORG"), (42, 51, "PER"),
            (56, 62, "PER")]  # fmt: skip
    return Document(
        id="0123456789abcdef",
        text=text,
        source="seeds/articles/x.txt",
        dateline="YEREVAN",
        title="Talks in Yerevan",
        paragraphs=[Paragraph("title", 0, 16), Paragraph("body", 18, len(text))],
        language="en",
        meta={"reader": "tass", "split": "test"},
        entities=[Entity(f"e{i}", a, b, lab, text[a:b]) for i, (a, b, lab) in enumerate(ents)],
        stances=[Stance(Mention("Pashinyan", 42, 51, "e4"), Mention("Lavrov", entity="e5"),
                        "SUPPORT")],
        doc_stances=[DocStance("Armenia", "NEUTRAL", ["ann1"])],
    )  # fmt: skip


def test_goldwire_documents_keep_text_and_annotations():
    original = goldwire_doc()
    line = json.dumps(original.to_json(), ensure_ascii=False)
    (doc,) = read(Path("gold.jsonl"), "\n" + line)
    assert doc.text == original.text
    assert doc.entities == original.entities
    assert doc.stances == original.stances
    assert doc.doc_stances == original.doc_stances
    assert doc.paragraphs == original.paragraphs
    assert (doc.title, doc.dateline, doc.language) == ("Talks in Yerevan", "YEREVAN", "en")
    assert doc.id == ""
    assert doc.source == "gold.jsonl:2"
    assert doc.meta == {
        "reader": "jsonl",
        "split": "test",
        "original_source": "seeds/articles/x.txt",
        "original_reader": "tass",
    }
    assert [doc.text[e.start : e.end] for e in doc.entities] == [
        "Talks", "Yerevan", "YEREVAN", "TASS", "Pashinyan", "Lavrov",
    ]  # fmt: skip
    assert doc.annotation == original.annotation  # "none" everywhere: a new Document's default


def test_goldwire_documents_keep_their_annotation_status():
    original = goldwire_doc()
    original.annotation = Annotation("adjudicated", "unconfirmed", "reader:fnc1",
                                     annotators=["ann1", "ann2"], tool="doccano 1.8.4")  # fmt: skip
    (doc,) = read(Path("gold.jsonl"), json.dumps(original.to_json()))
    assert doc.annotation == original.annotation
    legacy = original.to_json()
    del legacy["annotation"]  # goldwire JSONL from before the statuses: fully annotated
    (doc,) = read(Path("gold.jsonl"), json.dumps(legacy))
    assert (doc.annotation.entities, doc.annotation.stances, doc.annotation.doc_stances) == (
        "annotated", "annotated", "annotated",
    )  # fmt: skip


def test_goldwire_document_with_a_bad_span_is_rejected():
    data = goldwire_doc().to_json()
    data["entities"][1]["text"] = "Moscow"
    (rej,) = read(Path("gold.jsonl"), json.dumps(data))
    assert isinstance(rej, Rejection)
    assert rej.reason == "schema"
    assert rej.message.startswith("gold.jsonl:1: ")
    assert "entity e1 [9:16] has text 'Moscow'" in rej.message


def test_goldwire_document_that_is_not_nfc_is_rejected():
    data = goldwire_doc().to_json()
    data["text"] = data["text"].replace("Talks", "Tálks".replace("á", "a\u0301"))
    data.pop("text_sha256")
    (rej,) = read(Path("gold.jsonl"), json.dumps(data))
    assert rej.message.startswith("gold.jsonl:1: the goldwire document's text is not Unicode NFC")


# --------------------------------------------------------------------------- detection


def test_sniff():
    assert READER.sniff(Path("a.jsonl"), "")
    assert READER.sniff(Path("a.ndjson"), "")
    assert READER.sniff(Path("a.txt"), '\n{"title": "x", "text": "y"}\n{"a": 1}\n')
    assert READER.sniff(Path("a.json"), '{"text": "' + "x" * 9000)  # a first line cut short
    assert not READER.sniff(Path("a.json"), '{\n  "text": "pretty-printed JSON"\n}\n')
    assert not READER.sniff(Path("a.txt"), "[1, 2]\n")
    assert not READER.sniff(Path("a.txt"), "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n")
    assert detect(Path("a.txt"), '{"text": "y"}\n') is READERS["jsonl"]


# --------------------------------------------------------------------------- lines that fail


def test_deep_nesting_and_lone_surrogates_reject_their_line_only(tmp_path):
    good = json.dumps({"title": "Port reopens", "text": "The port reopened on Tuesday."})
    lines = [
        "[" * 5000 + "]" * 5000,  # deeper than the JSON parser's recursion
        json.dumps({"title": "Half", "text": "A lone \ud800 half"}, ensure_ascii=True),
        json.dumps({"title": "Pair", "text": "An emoji \U0001f600 is fine"}, ensure_ascii=True),
        good,
    ]
    path = tmp_path / "a.jsonl"
    docs, rejections = by_line(read(path, "\n".join(lines)))
    assert sorted(docs) == [3, 4] and "\U0001f600" in docs[3].text
    assert {n: r.reason for n, r in rejections.items()} == {1: "unparseable", 2: "schema"}
    assert rejections[1].message.startswith(f"{path}:1: JSON nested too deeply to read")
    assert rejections[2].message.startswith(
        f"{path}:2: a lone surrogate escape such as \\ud800 (half of a UTF-16 pair)"
    )


def test_any_failure_of_one_line_is_its_rejection(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise ValueError("bad\nthing")

    monkeypatch.setattr(JsonlReader, "_article", boom)
    path = tmp_path / "b.jsonl"
    items = read(path, '{"text": "one"}\n{"text": "two"}')
    assert [(r.item, r.reason) for r in items] == [("line 1", "schema"), ("line 2", "schema")]
    assert (
        items[0].message
        == f"{path}:1: cannot be read (ValueError: bad thing); fix or remove this line"
    )
