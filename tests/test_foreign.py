"""Foreign formats are refused with their name; unknown keys are one warning line."""

from __future__ import annotations

import json
import zlib

import pytest

from goldwire.errors import InputError
from goldwire.foreign import (
    CONVERT_HINT,
    UnknownKeys,
    UnknownKeysWarning,
    foreign_format,
    refuse_foreign_file,
)
from goldwire.schema import read_jsonl

TEXT = "Lavrov met Borrell."

FOREIGN = {
    "doccano sequence labelling": (
        {"id": 1, "text": TEXT, "label": [[0, 6, "PER"], [11, 18, "PER"]]},
        "a Doccano JSONL export (`label: [[start, end, label]]`)",
    ),
    "doccano nothing labelled": (
        {"id": 1, "text": TEXT, "label": []},
        "a Doccano JSONL export (`label: [[start, end, label]]`)",
    ),
    "doccano relations": (
        {
            "id": 1,
            "text": TEXT,
            "entities": [{"id": 5, "label": "PER", "start_offset": 0, "end_offset": 6}],
            "relations": [],
        },
        "a Doccano JSONL export (`entities: [{start_offset, end_offset, label}]`)",
    ),
    "label studio": (
        {"id": 3, "data": {"text": TEXT}, "annotations": [{"result": []}]},
        "a Label Studio task (`data` with `annotations`/`predictions` of `result`s)",
    ),
    "prodigy spans": (
        {"text": TEXT, "spans": [{"start": 0, "end": 6, "token_start": 0, "label": "PER"}]},
        "a Prodigy JSONL record (`spans` with `token_start`, or `answer`)",
    ),
    "prodigy answer": (
        {"text": TEXT, "answer": "accept"},
        "a Prodigy JSONL record (`spans` with `token_start`, or `answer`)",
    ),
    "spacy json": (
        [{"id": 0, "paragraphs": [{"raw": TEXT, "sentences": []}]}],
        "spaCy's JSON training format (`paragraphs` of `sentences`)",
    ),
    "spacy tuple": (
        [TEXT, {"entities": [[0, 6, "PER"]]}],
        "a spaCy training example (`[text, {entities: [[start, end, label]]}]`)",
    ),
}


@pytest.mark.parametrize("name", list(FOREIGN))
def test_each_foreign_format_is_named(name):
    data, expected = FOREIGN[name]
    assert foreign_format(data) == expected


def test_goldwire_documents_are_not_foreign():
    entity = {"start": 0, "end": 6, "label": "PER"}
    assert foreign_format({"id": "a", "text": TEXT, "entities": [entity]}) is None
    assert foreign_format({"id": "a", "text": TEXT}) is None
    paragraphs = [{"kind": "body", "start": 0, "end": 19}]
    assert foreign_format({"id": "a", "text": TEXT, "paragraphs": paragraphs}) is None


def test_a_doccano_export_read_as_goldwire_jsonl_is_one_error_naming_it(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(FOREIGN["doccano sequence labelling"][0]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(read_jsonl(path, strict=False))  # not a skipped line: the whole file is refused
    assert str(err.value) == (
        f"{path}:1: a Doccano JSONL export (`label: [[start, end, label]]`), not goldwire "
        f"JSONL; {CONVERT_HINT}"
    )


def test_whole_file_formats_spacy_docbin_and_label_studio_array(tmp_path):
    docbin = tmp_path / "train.spacy"
    docbin.write_bytes(zlib.compress(b"\x85\xa5attrs\x90"))
    with pytest.raises(InputError, match=r"train.spacy: a spaCy DocBin \(`.spacy`, binary\)"):
        refuse_foreign_file(docbin)
    renamed = tmp_path / "train.jsonl"  # the same bytes under another name
    renamed.write_bytes(docbin.read_bytes())
    with pytest.raises(InputError, match="a spaCy DocBin"):
        list(read_jsonl(renamed))
    export = tmp_path / "ls.json"
    tasks = [FOREIGN["label studio"][0], FOREIGN["label studio"][0]]
    export.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    with pytest.raises(InputError, match=r"ls.json line 1: a Label Studio task"):
        list(read_jsonl(export))


def test_unknown_keys_are_one_line_with_counts():
    unknown = UnknownKeys()
    entity = {"start": 0, "end": 6, "label": "PER", "confidence": 0.9}
    for _ in range(2):
        unknown.see({"id": "a", "text": TEXT, "model": "m", "entities": [entity, entity]})
    unknown.see({"id": "b", "text": TEXT, "entities": [{"start": 0, "end": 6, "label": "PER"}]})
    assert unknown.note("pred.jsonl") == (
        "pred.jsonl: unknown keys ignored: model (2 documents), entities[].confidence (4 items)"
    )
    assert UnknownKeys().note("x") is None


def test_read_jsonl_reads_model_output_and_notes_unknown_keys_once(tmp_path):
    path = tmp_path / "model.jsonl"
    lines = [
        {"id": "a", "text": TEXT, "entities": [{"start": 0, "end": 6, "label": "PER", "p": 1}]},
        {"id": "b", "text": TEXT, "entities": [{"start": 11, "end": 18, "label": "PER"}]},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    notes: list[str] = []
    docs = list(read_jsonl(path, notes=notes))
    found = [(e.id, e.text) for d in docs for e in d.entities]
    assert found == [("T1", "Lavrov"), ("T1", "Borrell")]
    assert notes == [f"{path}: unknown keys ignored: entities[].p (1 item)"]
    with pytest.warns(UnknownKeysWarning, match=r"unknown keys ignored: entities\[\].p \(1 item\)"):
        list(read_jsonl(path))  # a caller without notes still hears it
