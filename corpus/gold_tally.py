"""What attached gold is made of: statuses, annotators, tools, guidelines, adjudication,
review, and how much of it came from model suggestions accepted unchanged.

:class:`GoldTally` counts the documents ``attach-gold`` attached, one at a time
(:meth:`GoldTally.add`: the new version of the document and the layers the gold brought);
its JSON goes into the ``gold`` section of ``goldwire.json`` and from there into the data
card. :class:`SuggestedItems` counts, per kind of item, the gold items that were model
suggestions accepted unchanged:

* **accepted unchanged**: every vote for the item's gold label has provenance
  ``suggestion-accepted`` (an item without such votes: its own provenance is
  ``suggestion-accepted``);
* **with an accepted vote**: at least one vote for the gold label has that provenance (an
  item without such votes: as above).

Ratios are computed last, from the counts; with no items they are ``None``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from goldwire.provenance import LAYERS, Annotation, Provenance
from goldwire.schema import Document

NOT_RECORDED = "not recorded"


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class SuggestedItems:
    """Gold items of one kind, and those that came from suggestions accepted unchanged."""

    items: int = 0
    accepted_unchanged: int = 0
    with_accepted_vote: int = 0

    def add(self, item: Any) -> None:
        votes = [v.provenance for v in item.votes if v.label == item.label]
        accepted = [p == Provenance.ACCEPTED for p in votes or [item.provenance]]
        self.items += 1
        self.accepted_unchanged += all(accepted)
        self.with_accepted_vote += any(accepted)

    def __add__(self, other: SuggestedItems) -> SuggestedItems:
        return SuggestedItems(
            self.items + other.items,
            self.accepted_unchanged + other.accepted_unchanged,
            self.with_accepted_vote + other.with_accepted_vote,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "accepted_unchanged": self.accepted_unchanged,
            "with_accepted_vote": self.with_accepted_vote,
            "accepted_unchanged_share": _ratio(self.accepted_unchanged, self.items),
            "with_accepted_vote_share": _ratio(self.with_accepted_vote, self.items),
        }


def _layer_counters() -> dict[str, Counter]:
    return {layer: Counter() for layer in LAYERS}


def _suggested() -> dict[str, SuggestedItems]:
    return {layer: SuggestedItems() for layer in LAYERS}


@dataclass
class GoldTally:
    """Counts over the attached documents (see the module docstring)."""

    documents: int = 0
    items: Counter = field(default_factory=Counter)  # layer -> attached gold items
    statuses: dict[str, Counter] = field(default_factory=_layer_counters)
    annotators_per_document: Counter = field(default_factory=Counter)
    annotators: dict[str, Counter] = field(default_factory=dict)
    tools: Counter = field(default_factory=Counter)
    guidelines: Counter = field(default_factory=Counter)
    strategies: Counter = field(default_factory=Counter)
    reviewers: Counter = field(default_factory=Counter)
    reviewed_documents: int = 0
    suggested: dict[str, SuggestedItems] = field(default_factory=_suggested)

    def add(self, doc: Document, layers: tuple[str, ...]) -> None:
        """Count a document of the new version; ``layers``: those the gold brought."""
        a: Annotation = doc.annotation
        self.documents += 1
        for layer in LAYERS:
            self.statuses[layer][a.status(layer)] += 1
        self.annotators_per_document[len(a.annotators)] += 1
        self.tools[a.tool or NOT_RECORDED] += 1
        self.guidelines[a.guidelines or NOT_RECORDED] += 1
        self.strategies[a.adjudication or NOT_RECORDED] += 1
        self.reviewers.update(a.reviewers)
        self.reviewed_documents += bool(a.reviewers or a.reviewed_at)
        for name in a.annotators:
            self.annotators.setdefault(name, Counter())["documents"] += 1
        for layer in layers:
            items = getattr(doc, layer)
            self.items[layer] += len(items)
            for item in items:
                self.suggested[layer].add(item)
                if layer != "doc_stances":
                    for name in item.annotators:
                        self.annotators.setdefault(name, Counter())[layer] += 1

    def to_json(self) -> dict[str, Any]:
        total = sum(self.suggested.values(), SuggestedItems())
        keys = ("documents", "entities", "stances")
        per_annotator = {name: {k: c[k] for k in keys} for name, c in self.annotators.items()}
        return {
            **{layer: self.items[layer] for layer in LAYERS},
            "statuses": {layer: dict(sorted(c.items())) for layer, c in self.statuses.items()},
            "annotators": dict(sorted(per_annotator.items())),
            "annotators_per_document": {
                str(n): c for n, c in sorted(self.annotators_per_document.items())
            },
            "tools": dict(self.tools.most_common()),
            "guidelines": dict(self.guidelines.most_common()),
            "adjudication": dict(sorted(self.strategies.items())),
            "reviewers": dict(sorted(self.reviewers.items())),
            "reviewed_documents": self.reviewed_documents,
            "suggested_items": {
                **{layer: s.to_json() for layer, s in self.suggested.items()},
                "total": total.to_json(),
            },
        }


__all__ = ["NOT_RECORDED", "GoldTally", "SuggestedItems"]
