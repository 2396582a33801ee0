"""Reading gold (dataset directory or JSONL) and predictions (tolerant, checked spans)."""

from __future__ import annotations

import json

import pytest

from goldwire.errors import DatasetError, InputError, SchemaError, SpanError, UsageError
from goldwire.evaluate.inputs import load_gold, load_predictions
from goldwire.features import features
from goldwire.provenance import ANNOTATED, UNCONFIRMED, Annotation
from goldwire.schema import (
    DocStance,
    Document,
    Entity,
    LabelSchema,
    Mention,
    Stance,
    write_jsonl,
)

TEXT_A = "MOSCOW, May 3. /TASS/. Sergei Lavrov met Josep Borrell in Brussels."
TEXT_B = "MINSK, May 4. /TASS/. Belarus signed the treaty."
LABELS = LabelSchema.from_names(
    ("PER", "ORG", "GPE", "LOC"), ("SUPPORT", "OPPOSE"), ("SUPPORT", "OPPOSE", "NEUTRAL")
)


def ent(doc_text: str, surface: str, label: str, i: int = 0) -> Entity:
    s = doc_text.index(surface)
    return Entity(f"e{i}", s, s + len(surface), label, surface)


def gold_docs() -> list[Document]:
    a = Document(
        id="a",
        text=TEXT_A,
        entities=[
            ent(TEXT_A, "MOSCOW", "GPE", 0),
            ent(TEXT_A, "TASS", "ORG", 1),
            ent(TEXT_A, "Sergei Lavrov", "PER", 2),
            ent(TEXT_A, "Brussels", "GPE", 3),
        ],
        stances=[Stance(Mention("", entity="e2"), Mention("Josep Borrell"), "OPPOSE")],
        doc_stances=[DocStance("EU", "OPPOSE")],
        annotation=Annotation.all(ANNOTATED),
    )
    b = Document(
        id="b",
        text=TEXT_B,
        entities=[ent(TEXT_B, "Belarus", "GPE", 0)],
        annotation=Annotation.all(ANNOTATED),
    )
    return [a, b]


@pytest.fixture()
def gold_jsonl(tmp_path):
    path = tmp_path / "gold.jsonl"
    write_jsonl(gold_docs(), path)
    return path


def save_dataset(path, docs):
    """A goldwire dataset directory: the documents as the test split, the first as train."""
    from datasets import Dataset, DatasetDict

    from goldwire import SCHEMA_VERSION

    feats = features(LABELS)
    rows = [feats.encode_example(d.to_row()) for d in docs]
    DatasetDict(
        {
            "test": Dataset.from_list(rows, features=feats),
            "train": Dataset.from_list(rows[:1], features=feats),
        }
    ).save_to_disk(str(path))
    (path / "goldwire.json").write_text(
        json.dumps({"schema_version": SCHEMA_VERSION, "label_schema": LABELS.to_dict()}),
        encoding="utf-8",
    )
    return path


@pytest.fixture()
def dataset_dir(tmp_path):
    return save_dataset(tmp_path / "corpus", gold_docs())


def write_preds(path, *lines):
    path.write_text(
        "".join((json.dumps(x) if not isinstance(x, str) else x) + "\n" for x in lines),
        encoding="utf-8",
    )
    return path


def test_gold_from_a_dataset_split_with_its_label_schema(dataset_dir):
    gold = load_gold(dataset_dir, split="test")
    assert [d.id for d in gold.docs] == ["a", "b"]
    assert gold.docs[0].entities[2].label == "PER"
    assert gold.docs[0].stances[0].holder.entity == "e2"
    assert gold.labels == LABELS and gold.where == f"{dataset_dir} [test]"
    assert [d.id for d in load_gold(dataset_dir, split="train").docs] == ["a"]


def test_missing_split_and_missing_dataset_say_what_to_do(dataset_dir, tmp_path):
    with pytest.raises(UsageError) as err:
        load_gold(dataset_dir, split="dev")
    assert str(err.value) == (
        f"{dataset_dir}: has no split 'dev' (it has test, train); pass --split"
    )
    with pytest.raises(InputError, match="no such file or directory; give a goldwire dataset"):
        load_gold(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError) as err:
        load_gold(tmp_path / "empty")
    assert str(err.value) == (
        f"{tmp_path / 'empty'}: not a goldwire dataset (no goldwire.json); "
        "build one with `goldwire corpus build`"
    )


def test_predictions_without_text_use_the_gold_text(gold_jsonl, tmp_path):
    gold = load_gold(gold_jsonl)
    a = gold.docs[0]
    preds = load_predictions(
        write_preds(
            tmp_path / "p.jsonl",
            {
                "id": "a",
                "text_sha256": a.text_sha256,
                "entities": [
                    {"id": "x", "start": 23, "end": 36, "label": "PER"},
                    {"start": 0, "end": 6, "label": "GPE", "text": "MOSCOW"},
                ],
                "stances": [
                    {"holder": {"entity": "x"}, "target": "Josep Borrell", "label": "OPPOSE"}
                ],
                "doc_stances": [{"target": "EU", "label": "OPPOSE"}],
            },
        ),
        gold,
    )
    doc = preds.docs[0]
    assert doc.text == a.text and preds.docs[1] is None and preds.missing == [1]
    assert [(e.text, e.label) for e in doc.entities] == [
        ("Sergei Lavrov", "PER"),
        ("MOSCOW", "GPE"),
    ]
    assert doc.stances[0].holder == Mention("Sergei Lavrov", 23, 36, "x")
    assert doc.stances[0].target == Mention("Josep Borrell")


CASES = [
    (
        {"id": "zz", "text_sha256": "0"},
        SchemaError,
        "{p}:1: document zz is not in the gold ({g}); predictions must use the gold document ids "
        "(wrong --split?)",
    ),
    (
        {"id": "a", "text": TEXT_A.replace("May", "Jun")},
        SchemaError,
        "{p}:1: document a: text differs from the gold text at offset 8; predict on the gold "
        "text, or leave 'text' out and give 'text_sha256'",
    ),
    (
        {"id": "a", "text_sha256": "beef"},
        SchemaError,
        "{p}:1: document a: text_sha256 does not match the gold text's; the prediction was made "
        "on another version of the document",
    ),
    (
        {"id": "a"},
        SchemaError,
        "{p}:1: document a: has neither 'text' nor 'text_sha256', so its offsets cannot be "
        "checked against the gold text; add one of them",
    ),
    (
        {"id": "a", "text": TEXT_A, "entities": [{"start": 60, "end": 90, "label": "GPE"}]},
        SpanError,
        "{p}:1: document a: entity 0 [60:90] lies outside the text (length "
        + str(len(TEXT_A))
        + ") or is empty; "
        "offsets are code points, end exclusive",
    ),
    (
        {
            "id": "a",
            "text": TEXT_A,
            "entities": [{"start": 0, "end": 6, "label": "GPE", "text": "Moscow"}],
        },
        SpanError,
        "{p}:1: document a: entity 0 [0:6] has text 'Moscow' but the gold text has 'MOSCOW' "
        "there; fix the offsets (code points, end exclusive)",
    ),
    (
        {"id": "a", "text": TEXT_A, "entities": [{"start": 0, "end": 6, "label": "CITY"}]},
        SchemaError,
        "{p}:1: document a: entity 0 [0:6] has label 'CITY', which is not in the label schema "
        "(PER, ORG, GPE, LOC); map it to a schema label or drop it",
    ),
    (
        {
            "id": "a",
            "text": TEXT_A,
            "stances": [{"holder": {"entity": "nope"}, "target": "EU", "label": "SUPPORT"}],
        },
        SchemaError,
        "{p}:1: document a: stance 0 holder refers to entity 'nope', which this prediction does "
        "not have",
    ),
    (
        "{not json",
        SchemaError,
        "{p}:1: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
    ),
]


@pytest.mark.parametrize("line, error, message", CASES)
def test_bad_prediction_is_one_line_naming_file_document_and_span(
    dataset_dir, tmp_path, line, error, message
):
    gold = load_gold(dataset_dir)
    path = write_preds(tmp_path / "p.jsonl", line)
    with pytest.raises(error) as err:
        load_predictions(path, gold)
    assert type(err.value) is error
    assert str(err.value) == message.format(p=path, g=gold.where)


def test_a_document_predicted_twice_is_an_error(gold_jsonl, tmp_path):
    gold = load_gold(gold_jsonl)
    line = {"id": "b", "text": TEXT_B}
    path = write_preds(tmp_path / "p.jsonl", line, {"id": "a", "text": TEXT_A}, line)
    with pytest.raises(SchemaError) as err:
        load_predictions(path, gold)
    assert str(err.value) == (
        f"{path}:3: document b was already predicted on line 1; give one line per document"
    )


def test_lenient_skips_and_reports_what_it_left_out(dataset_dir, tmp_path):
    gold = load_gold(dataset_dir)
    path = write_preds(
        tmp_path / "p.jsonl",
        {
            "id": "a",
            "text": TEXT_A,
            "entities": [
                {"start": 0, "end": 6, "label": "GPE"},
                {"start": 0, "end": 6, "label": "CITY"},
                {"start": 60, "end": 90, "label": "GPE"},
            ],
        },
        {"id": "b", "text": "something else"},
        {"id": "zz", "text": "?"},
    )
    preds = load_predictions(path, gold, lenient=True)
    assert [(e.start, e.end) for e in preds.docs[0].entities] == [(0, 6)]
    assert preds.docs[1] is None and preds.missing == [1]
    assert len(preds.skipped) == 4
    assert preds.skipped[0].startswith(f"{path}:1: document a: entity 1 [0:6] has label 'CITY'")
    assert preds.skipped[2].startswith(f"{path}:2: document b: text differs")
    assert preds.skipped[3].startswith(f"{path}:3: document zz is not in the gold")


# --------------------------------------------------------------------------- gold per layer


def test_gold_knows_which_documents_hold_gold_on_each_layer(tmp_path):
    a, b = gold_docs()
    b.annotation = Annotation(entities="reader:conll")
    raw = Document(id="c", text="Raw text nobody annotated.")
    path = tmp_path / "gold.jsonl"
    write_jsonl([a, b, raw], path)
    gold = load_gold(path)
    assert [d.id for d in gold.docs] == ["a", "b", "c"]
    layers = gold.coverage.layers
    assert (layers["entities"].docs, layers["stances"].docs) == ((0, 1), (0,))
    assert gold.coverage.left_out == frozenset({2})
    assert gold.coverage.without_gold == {"none": 1}
    everything = load_gold(path, include_unannotated=True).coverage
    assert everything.left_out == frozenset() and everything.layers["stances"].docs == (0, 1, 2)


def test_gold_without_annotation_objects_is_gold_everywhere(tmp_path):
    path = tmp_path / "legacy.jsonl"
    lines = [{k: v for k, v in d.to_json().items() if k != "annotation"} for d in gold_docs()]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    coverage = load_gold(path).coverage
    assert all(layer.docs == (0, 1) for layer in coverage.layers.values())


def test_a_split_without_any_gold_is_one_line_naming_it_and_the_fix(tmp_path):
    raw = [Document(id=f"r{i}", text=f"Raw text {i}.") for i in range(3)]
    raw[2].annotation = Annotation(entities=UNCONFIRMED)
    path = tmp_path / "raw.jsonl"
    write_jsonl(raw, path)
    corpus = save_dataset(tmp_path / "corpus", raw)
    for where in (str(path), f"{corpus} [test]"):
        with pytest.raises(InputError) as err:
            load_gold(where.split(" [")[0], split="test")
        assert str(err.value) == (
            f"{where}: none of its 3 documents has gold on any layer (annotation status none: "
            "2, unconfirmed+none: 1); attach gold with `goldwire corpus attach-gold`, or pass "
            "--include-unannotated to use them as gold with no labels"
        )
    assert len(load_gold(path, include_unannotated=True).docs) == 3


def test_predictions_for_documents_without_gold_are_counted_not_read(tmp_path):
    a, b = gold_docs()
    b.annotation = Annotation()
    gold_path = tmp_path / "gold.jsonl"
    write_jsonl([a, b], gold_path)
    gold = load_gold(gold_path)
    path = write_preds(
        tmp_path / "p.jsonl",
        {"id": "b", "text": "not even the gold text"},
        {"id": "a", "text": TEXT_A},
    )
    preds = load_predictions(path, gold)
    assert preds.without_gold == ["b"] and preds.docs[1] is None and preds.docs[0] is not None
    unknown = write_preds(tmp_path / "q.jsonl", {"id": "zz", "text": "?"})
    with pytest.raises(SchemaError, match="document zz is not in the gold"):
        load_predictions(unknown, gold)
