"""The typed ``datasets.Features`` of a goldwire dataset: one home for the column types of a
corpus (Arrow and Parquet layouts, the engines, attach-gold, migrate and the card alike)."""

from __future__ import annotations

from typing import Any

from goldwire.provenance import annotation_features, provenance_features
from goldwire.schema import PARAGRAPH_KINDS, LabelSchema


def _mention() -> dict[str, Any]:
    from datasets import Value

    return {
        "entity": Value("string"),
        "start": Value("int32"),
        "end": Value("int32"),
        "text": Value("string"),
    }


def _made_by() -> dict[str, Any]:
    """Who made a label, its score, where it came from."""
    from datasets import List, Value

    return {"annotators": List(Value("string")), "score": Value("float32"),
            **provenance_features()}  # fmt: skip


def _items(labels: LabelSchema) -> dict[str, Any]:
    """The entity, stance and document-stance columns."""
    from datasets import ClassLabel, List, Value

    entity = {"id": Value("string"), "start": Value("int32"), "end": Value("int32"),
              "label": ClassLabel(names=labels.entity_labels), "text": Value("string")}  # fmt: skip
    stance = {"holder": _mention(), "target": _mention(),
              "label": ClassLabel(names=labels.stance_labels or ["NONE"])}  # fmt: skip
    doc_stance = {"target": Value("string"),
                  "label": ClassLabel(names=labels.doc_stance_labels or ["NONE"])}  # fmt: skip
    return {
        "entities": List({**entity, **_made_by()}),
        "stances": List({**stance, **_made_by()}),
        "doc_stances": List({**doc_stance, **_made_by()}),
    }


def features(labels: LabelSchema | None = None):
    """The typed ``datasets.Features`` of a goldwire dataset for a label schema."""
    from datasets import ClassLabel, Features, List, Value

    labels = labels or LabelSchema.default()
    strings = ("id", "source", "agency", "dateline", "published", "published_raw", "title",
               "lead", "text")  # fmt: skip
    paragraph = {"kind": ClassLabel(names=list(PARAGRAPH_KINDS)), "start": Value("int32"),
                 "end": Value("int32")}  # fmt: skip
    return Features(
        {
            **{key: Value("string") for key in strings},
            "paragraphs": List(paragraph),
            "language": Value("string"),
            "text_sha256": Value("string"),
            "meta": List({"key": Value("string"), "value": Value("string")}),
            **_items(labels),
            "annotation": annotation_features(),
        }
    )
