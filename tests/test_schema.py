from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.errors import SchemaError, SpanError
from goldwire.features import features
from goldwire.schema import (
    Document,
    Entity,
    LabelSchema,
    Mention,
    Stance,
    document_id,
    read_jsonl,
    read_jsonl_report,
    write_jsonl,
)

TEXT = "Armenia and Azerbaijan 😀 met in Baku.\nMOSCOW, March 31. /TASS/."


def _doc(**kw) -> Document:
    ents = [
        Entity("e1", 0, 7, "GPE", "Armenia"),
        Entity("e2", 12, 22, "GPE", "Azerbaijan"),
        Entity("e3", 32, 36, "GPE", "Baku"),
        Entity("e4", TEXT.index("/TASS/"), TEXT.index("/TASS/") + 6, "ORG", "/TASS/"),
    ]
    stances = [
        Stance(Mention("/TASS/", entity="e4"), Mention("Armenia", 0, 7, "e1"), "NEUTRAL"),
        Stance(Mention("the article"), Mention("Baku"), "OPPOSE"),
    ]
    return Document(id=document_id(TEXT), text=TEXT, entities=ents, stances=stances, **kw)


def test_offsets_are_code_points_after_emoji():
    doc = _doc()
    doc.validate(LabelSchema.default())
    assert TEXT[32:36] == "Baku"  # the emoji is one code point


def test_span_mismatch_names_document_span_and_fix():
    doc = _doc()
    doc.entities[2] = Entity("e3", 33, 37, "GPE", "Baku")
    with pytest.raises(SpanError) as err:
        doc.validate()
    assert str(err.value) == (
        f"document {doc.id}: entity e3 [33:37] has text 'Baku' but the document has 'aku.' "
        "there; fix the offsets or the text (offsets are code points)"
    )


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (5, 5), (60, 999)])
def test_span_outside_text(start, end):
    doc = _doc()
    doc.entities.append(Entity("bad", start, end, "GPE", "x"))
    with pytest.raises(SpanError, match=rf"entity bad \[{start}:{end}\] lies outside the text"):
        doc.validate()


def test_unknown_label_and_unknown_entity_reference():
    doc = _doc()
    doc.entities[0].label = "COUNTRY"
    with pytest.raises(SchemaError, match="label 'COUNTRY', which is not in the label schema"):
        doc.validate(LabelSchema.default())
    doc = _doc()
    doc.stances[0].holder = Mention("x", entity="e9")
    with pytest.raises(SchemaError, match="stance 0 holder refers to entity 'e9'"):
        doc.validate()


def test_json_round_trip_and_row_round_trip_through_a_dataset(tmp_path):
    from datasets import Dataset

    doc = _doc(meta={"reader": "tass"}, agency="TASS")
    again = Document.from_json(json.loads(json.dumps(doc.to_json())))
    assert again == doc
    labels = LabelSchema.default()
    feats = features(labels)
    ds = Dataset.from_list([feats.encode_example(doc.to_row())], features=feats)
    ds.save_to_disk(str(tmp_path / "ds"))
    loaded = Dataset.load_from_disk(str(tmp_path / "ds"))
    assert Document.from_row(loaded[0], labels) == doc
    assert loaded.features["entities"].feature["label"].names == labels.entity_labels


def test_jsonl_reader_names_file_and_line(tmp_path):
    path = tmp_path / "g.jsonl"
    good = json.dumps(_doc().to_json())
    bad = _doc().to_json()
    bad["entities"][0]["end"] = 6
    path.write_text(good + "\n\n{not json\n" + json.dumps(bad) + "\n", encoding="utf-8")
    items = list(read_jsonl_report(path))
    assert isinstance(items[0], Document)
    assert str(items[1]).startswith(f"{path}:3: not valid JSON")
    assert str(items[2]).startswith(f"{path}:4: document ")
    assert "entity e1 [0:6] has text 'Armenia'" in str(items[2])
    with pytest.raises(SchemaError, match=":3: not valid JSON"):
        list(read_jsonl(path))
    assert len(list(read_jsonl(path, strict=False))) == 1


@settings(max_examples=100, deadline=None)
@given(
    st.text(min_size=1, max_size=60),
    st.lists(st.tuples(st.integers(0, 59), st.integers(1, 20)), max_size=5),
)
def test_jsonl_round_trip_property(tmp_path_factory, text, raw_spans):
    ents = []
    for k, (start, length) in enumerate(raw_spans):
        end = min(len(text), start + length)
        if start < end:
            ents.append(Entity(f"e{k}", start, end, "MISC", text[start:end]))
    doc = Document(id="d", text=text, entities=ents)
    path = tmp_path_factory.mktemp("j") / "d.jsonl"
    write_jsonl([doc], path)
    assert list(read_jsonl(path)) == [doc]


def test_label_schema_toml_errors(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[[entities]]\nname = "A"\n[[entities]]\nname = "A"\n', encoding="utf-8")
    with pytest.raises(SchemaError, match="duplicate label names"):
        LabelSchema.from_toml(p)
    p.write_text("stances = []\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"section \[\[entities\]\] needs at least one label"):
        LabelSchema.from_toml(p)


def test_default_labels():
    labels = LabelSchema.default()
    assert labels.entity_labels == ["PER", "ORG", "GPE", "LOC", "NORP", "EVENT", "MISC"]
    assert labels.stance_labels == ["SUPPORT", "OPPOSE", "NEUTRAL"]
