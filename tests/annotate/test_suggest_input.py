"""Pre-annotations (``annotate push --pre-annotate``) read as models write them."""

from __future__ import annotations

import json

import pytest

from goldwire.annotate.push import read_predictions
from goldwire.errors import InputError

TEXT = "Lavrov met Borrell in Brussels."


def test_model_output_without_ids_is_read_and_unknown_keys_noted(tmp_path):
    path = tmp_path / "pred.jsonl"
    line = {
        "id": "d1",
        "text": TEXT,
        "model": "ner-v1",
        "entities": [
            {"start": 0, "end": 6, "label": "PER", "confidence": 0.9},
            {"start": 11, "end": 18, "label": "PER", "confidence": 0.8},
            {"start": 22, "end": 30, "label": "GPE"},
        ],
    }
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    notes: list[str] = []
    preds = read_predictions(path, notes)
    got = [(e.id, e.start, e.end, e.label, e.text) for e in preds["d1"].entities]
    assert got == [
        ("T1", 0, 6, "PER", "Lavrov"),
        ("T2", 11, 18, "PER", "Borrell"),
        ("T3", 22, 30, "GPE", "Brussels"),
    ]
    assert notes == [
        f"{path}: unknown keys ignored: model (1 document), entities[].confidence (2 items)"
    ]


def test_a_doccano_export_as_pre_annotations_is_refused_by_name(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"id": 7, "text": TEXT, "label": [[0, 6, "PER"]]}) + "\n")
    with pytest.raises(InputError, match=r":1: a Doccano JSONL export \(`label: "):
        read_predictions(path)
