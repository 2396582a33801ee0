"""Who made each label: the annotation status of a document's layers and the provenance of
each item.

**Layers and their status.** A document has three layers of annotation, :data:`LAYERS`:
``entities``, ``stances`` and ``doc_stances``. Each has its own status in the document's
:class:`Annotation` (CoNLL-2003 brings entities only, FNC-1 document stances only). A status
is an open string; goldwire writes:

* ``none``: nobody annotated this layer; its empty list means "unknown", not "nothing here";
* ``reader:<format>``: gold that came with a public corpus (``reader:conll``,
  ``reader:basil``, ``reader:fnc1``);
* ``annotated``: a person's finished annotation (one annotator's confirmed document, or gold
  JSONL written without status, which counts as fully annotated);
* ``unconfirmed``: an annotator's work on a document they did not mark done;
* ``adjudicated``: gold merged from several annotators (:mod:`goldwire.annotate.adjudicate`),
  possibly after a review round (``reviewers``, ``reviewed_at``).

Other strings (a later ``imported:<tool>``) are gold unless listed in :data:`NO_GOLD`. Only
layers with gold are scored, trained on and exported (:func:`has_gold`).

**Item provenance.** Each entity, stance and document stance may carry:

* ``provenance``: :class:`Provenance` (``human``, ``suggestion-accepted``,
  ``suggestion-edited``, ``suggestion-unreviewed`` for one annotator's items, ``unknown`` when
  the record that would tell could not be read; ``adjudicated`` or ``reviewed`` for gold
  decided by the adjudication rule or by a reviewer; empty when not recorded, as for a
  reader's gold, whose status says where it came from, or labels pulled before goldwire
  recorded provenance);
* ``suggested``: :class:`Suggested`, what a model suggested (label, offsets, source) when the
  item came from a suggestion;
* ``votes``: :class:`Vote` per annotator who marked the item's span (or pair, or target):
  their label and the provenance of their item;
* ``adjudicated_by``: the reviewer who decided a disputed item.

A suggestion an annotator deleted (``suggestion-rejected``) is not an item: it is counted in
the document's :attr:`Annotation.rejected_suggestions` (and a suggested relation that vanished
because one of its spans was deleted, in :attr:`Annotation.orphaned_suggestions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LAYERS = ("entities", "stances", "doc_stances")

NONE = "none"
ANNOTATED = "annotated"
UNCONFIRMED = "unconfirmed"
ADJUDICATED = "adjudicated"
READER = "reader"
#: Statuses that are not gold: the layer is left out of scoring, training and export.
NO_GOLD = frozenset({NONE, UNCONFIRMED, ""})


def reader_status(reader: str) -> str:
    """The status of gold a corpus reader brings: ``reader:<format>``."""
    return f"{READER}:{reader}"


def has_gold(status: str) -> bool:
    """Whether a layer with this status holds gold."""
    return status not in NO_GOLD


class Provenance:
    """The provenance classes of an item (open strings, like the statuses)."""

    HUMAN = "human"
    ACCEPTED = "suggestion-accepted"
    EDITED = "suggestion-edited"
    REJECTED = "suggestion-rejected"  # counted on the document, never an item
    UNREVIEWED = "suggestion-unreviewed"
    ADJUDICATED = "adjudicated"
    REVIEWED = "reviewed"
    UNKNOWN = "unknown"  # the record that would tell could not be read (a reported problem)

    #: one annotator's items that are their judgement (an unreviewed suggestion is not)
    JUDGED = frozenset({HUMAN, ACCEPTED, EDITED})
    #: items that came from a suggestion
    SUGGESTED = frozenset({ACCEPTED, EDITED, UNREVIEWED})
    #: what a pull reports per annotator, in this order
    PULLED = (HUMAN, ACCEPTED, EDITED, REJECTED, UNREVIEWED)


def is_judgement(provenance: str) -> bool:
    """Whether an item counts as its annotator's judgement: anything but an unreviewed
    suggestion or an item whose provenance could not be told (items without provenance, from
    before goldwire recorded it, count)."""
    return provenance not in (Provenance.UNREVIEWED, Provenance.UNKNOWN)


@dataclass(slots=True)
class Suggested:
    """What a suggestion said: its label, offsets (code points; entities only) and source
    (the model or predictions file it came from)."""

    label: str
    start: int | None = None
    end: int | None = None
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "start": self.start, "end": self.end, "source": self.source}

    @classmethod
    def from_json(cls, data: Any) -> Suggested | None:
        if data is None:
            return None
        start, end = data.get("start"), data.get("end")
        return cls(
            str(data["label"]),
            None if start is None else int(start),
            None if end is None else int(end),
            str(data.get("source") or ""),
        )


@dataclass(slots=True)
class Vote:
    """One annotator's say on an item: the label they gave its span (pair, target) and the
    provenance of their item."""

    annotator: str
    label: str
    provenance: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"annotator": self.annotator, "label": self.label, "provenance": self.provenance}

    @classmethod
    def from_json(cls, data: Any) -> Vote:
        return cls(str(data["annotator"]), str(data["label"]), str(data.get("provenance") or ""))


@dataclass(slots=True)
class Annotation:
    """A document's annotation status: per layer, who annotated it, how it was adjudicated
    and reviewed, with which tool and guidelines; suggestions deleted by the annotator."""

    entities: str = NONE
    stances: str = NONE
    doc_stances: str = NONE
    annotators: list[str] = field(default_factory=list)
    adjudication: str = ""  # the strategy, e.g. "majority"
    reviewers: list[str] = field(default_factory=list)
    reviewed_at: str = ""  # ISO time of the review pull
    tool: str = ""  # e.g. "doccano 1.8.4"
    guidelines: str = ""  # e.g. "goldwire guidelines.md sha256:0123abcd..."
    rejected_suggestions: int = 0
    orphaned_suggestions: int = 0

    @classmethod
    def all(cls, status: str, **kwargs: Any) -> Annotation:
        """Every layer with the same status (a layer named in ``kwargs`` takes its own)."""
        return cls(**{**dict.fromkeys(LAYERS, status), **kwargs})

    def status(self, layer: str) -> str:
        return getattr(self, layer)

    def set_status(self, layer: str, status: str) -> None:
        if layer not in LAYERS:
            raise ValueError(f"unknown layer {layer!r}; layers are {', '.join(LAYERS)}")
        setattr(self, layer, status)

    def gold_layers(self) -> tuple[str, ...]:
        """The layers that hold gold."""
        return tuple(layer for layer in LAYERS if has_gold(getattr(self, layer)))

    @property
    def has_any_gold(self) -> bool:
        return any(has_gold(getattr(self, layer)) for layer in LAYERS)

    def to_json(self) -> dict[str, Any]:
        return {
            "entities": self.entities,
            "stances": self.stances,
            "doc_stances": self.doc_stances,
            "annotators": list(self.annotators),
            "adjudication": self.adjudication,
            "reviewers": list(self.reviewers),
            "reviewed_at": self.reviewed_at,
            "tool": self.tool,
            "guidelines": self.guidelines,
            "rejected_suggestions": self.rejected_suggestions,
            "orphaned_suggestions": self.orphaned_suggestions,
        }

    @classmethod
    def from_json(cls, data: Any) -> Annotation:
        """From JSON; ``None`` (no ``annotation`` key: goldwire JSONL from before statuses, or
        written by hand) is fully annotated, as goldwire has always read such files."""
        if data is None:
            return cls.all(ANNOTATED)
        if not isinstance(data, dict):
            raise TypeError(f"'annotation' must be an object, got {type(data).__name__}")
        return cls(
            *(_status(data.get(layer), layer) for layer in LAYERS),
            annotators=[str(a) for a in data.get("annotators") or []],
            adjudication=str(data.get("adjudication") or ""),
            reviewers=[str(a) for a in data.get("reviewers") or []],
            reviewed_at=str(data.get("reviewed_at") or ""),
            tool=str(data.get("tool") or ""),
            guidelines=str(data.get("guidelines") or ""),
            rejected_suggestions=int(data.get("rejected_suggestions") or 0),
            orphaned_suggestions=int(data.get("orphaned_suggestions") or 0),
        )


def _status(value: Any, layer: str) -> str:
    if value is None:
        return NONE
    if not isinstance(value, str):
        raise TypeError(f"annotation status of {layer} must be a string, got {value!r}")
    return value


#: An item's provenance fields when nothing is recorded (every dataset row has them all).
ITEM_DEFAULTS: dict[str, Any] = {"provenance": "", "suggested": None, "votes": [],
                                 "adjudicated_by": ""}  # fmt: skip


def item_provenance_json(item: Any) -> dict[str, Any]:
    """The provenance keys of an entity, stance or document stance that are set."""
    out: dict[str, Any] = {}
    if item.provenance:
        out["provenance"] = item.provenance
    if item.suggested is not None:
        out["suggested"] = item.suggested.to_json()
    if item.votes:
        out["votes"] = [v.to_json() for v in item.votes]
    if item.adjudicated_by:
        out["adjudicated_by"] = item.adjudicated_by
    return out


def item_provenance(data: dict[str, Any]) -> dict[str, Any]:
    """The provenance fields of a JSON item as keyword arguments."""
    return {
        "provenance": str(data.get("provenance") or ""),
        "suggested": Suggested.from_json(data.get("suggested")),
        "votes": [Vote.from_json(v) for v in data.get("votes") or []],
        "adjudicated_by": str(data.get("adjudicated_by") or ""),
    }


def provenance_features() -> dict[str, Any]:
    """The ``datasets`` features of an item's provenance fields."""
    from datasets import List, Value

    return {
        "provenance": Value("string"),
        "suggested": {
            "label": Value("string"),
            "start": Value("int32"),
            "end": Value("int32"),
            "source": Value("string"),
        },
        "votes": List(
            {
                "annotator": Value("string"),
                "label": Value("string"),
                "provenance": Value("string"),
            }
        ),
        "adjudicated_by": Value("string"),
    }


def annotation_features() -> dict[str, Any]:
    """The ``datasets`` features of a document's :class:`Annotation`."""
    from datasets import List, Value

    return {
        **{layer: Value("string") for layer in LAYERS},
        "annotators": List(Value("string")),
        "adjudication": Value("string"),
        "reviewers": List(Value("string")),
        "reviewed_at": Value("string"),
        "tool": Value("string"),
        "guidelines": Value("string"),
        "rejected_suggestions": Value("int32"),
        "orphaned_suggestions": Value("int32"),
    }


__all__ = [
    "ADJUDICATED",
    "ANNOTATED",
    "ITEM_DEFAULTS",
    "LAYERS",
    "NONE",
    "NO_GOLD",
    "READER",
    "UNCONFIRMED",
    "Annotation",
    "Provenance",
    "Suggested",
    "Vote",
    "annotation_features",
    "has_gold",
    "is_judgement",
    "item_provenance",
    "item_provenance_json",
    "provenance_features",
    "reader_status",
]
