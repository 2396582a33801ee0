"""The typed ``datasets.Features`` of a goldwire dataset: one home for the column types of a
corpus (Arrow and Parquet layouts, the engines, attach-gold, migrate and the card alike)."""

from __future__ import annotations

from collections.abc import Callable
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


def row_encoder(labels: LabelSchema | None = None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function giving exactly ``features(labels).encode_example(row)`` for the rows
    :meth:`~goldwire.schema.Document.to_row` makes, about ten times faster: the features'
    tree compiled once into nested closures (ClassLabel names to integers through a dict;
    anything unexpected, such as a label outside the schema, goes to the feature's own
    ``encode_example`` and fails as it would)."""
    schema = features(labels)
    fields = [(key, _compiled(feature)) for key, feature in schema.items()]

    def encode(row: dict[str, Any]) -> dict[str, Any]:
        if row is None:  # as Features.encode_example
            raise ValueError("Got None but expected a dictionary instead")
        return {key: enc(row.get(key)) for key, enc in fields}

    return encode


def _compiled(feature: Any) -> Callable[[Any], Any]:
    """One feature's encoder (``datasets.features.encode_nested_example`` for it)."""
    from datasets import ClassLabel, LargeList, List, Value

    if isinstance(feature, dict):
        items = [(key, _compiled(sub)) for key, sub in feature.items()]
        return lambda obj: None if obj is None else {k: enc(obj.get(k)) for k, enc in items}
    if isinstance(feature, (List, LargeList)):
        return _list_encoder(feature.feature)
    if isinstance(feature, ClassLabel):
        return _label_encoder(feature)
    if isinstance(feature, Value):
        return _value_encoder(feature)
    from datasets.features.features import encode_nested_example

    return lambda obj: encode_nested_example(feature, obj, level=1)


def _list_encoder(item: Any) -> Callable[[Any], Any]:
    """As ``encode_nested_example``: a list is encoded item by item when encoding changes its
    first non-empty item, else kept as it is."""
    from datasets.features.features import _check_non_null_non_empty_recursive as non_empty

    enc = _compiled(item)

    def encode(obj: Any) -> Any:
        if obj is None:
            return None
        if not obj:
            return list(obj)
        first = next((o for o in obj if non_empty(o, item)), obj[-1])
        try:
            changed = enc(first) != first
        except ValueError:  # as the reference: the list is then kept as it is
            changed = False
        if not changed:
            return list(obj)
        return [enc(o) for o in obj]

    return encode


def _label_encoder(feature: Any) -> Callable[[Any], Any]:
    index = {name: i for i, name in enumerate(feature.names)}
    slow = feature.encode_example

    def encode(obj: Any) -> Any:
        if obj is None:
            return None
        got = index.get(obj) if type(obj) is str else None
        return got if got is not None else slow(obj)

    return encode


def _value_encoder(feature: Any) -> Callable[[Any], Any]:
    import pyarrow as pa

    kind = feature.pa_type
    cast: type | None = None
    if pa.types.is_boolean(kind):
        cast = bool
    elif pa.types.is_integer(kind):
        cast = int
    elif pa.types.is_floating(kind):
        cast = float
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind) or _is_view(kind):
        cast = str
    if cast is None:
        return lambda obj: obj

    def encode(obj: Any) -> Any:
        return obj if obj is None or type(obj) is cast else cast(obj)

    return encode


def _is_view(kind: Any) -> bool:
    import pyarrow as pa

    return bool(getattr(pa.types, "is_string_view", lambda _: False)(kind))
