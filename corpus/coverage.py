"""Gold coverage: how many documents carry gold, per split and per layer, and their statuses.

A document's layer carries gold when its status says so (:func:`goldwire.provenance.has_gold`:
not ``none``, ``unconfirmed`` or empty). :class:`Coverage` counts one split (or several, added
together): documents, documents with gold on at least one layer, and per layer the documents
by status. It is what ``corpus info``, the data card, ``attach-gold`` and ``migrate`` report;
the counts come from the dataset's ``annotation`` column only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from goldwire.provenance import LAYERS, has_gold


def _layers() -> dict[str, Counter]:
    return {layer: Counter() for layer in LAYERS}


@dataclass
class Coverage:
    """Documents, documents with gold on any layer, and per layer the documents by status."""

    documents: int = 0
    with_gold: int = 0
    statuses: dict[str, Counter] = field(default_factory=_layers)

    def add(self, annotation: Mapping[str, Any]) -> None:
        """Count one document from its ``annotation`` (a dataset row's or ``to_json()``)."""
        self.documents += 1
        found = False
        for layer in LAYERS:
            status = annotation.get(layer) or ""
            self.statuses[layer][status] += 1
            found = found or has_gold(status)
        self.with_gold += found

    def gold(self, layer: str) -> int:
        """Documents whose ``layer`` carries gold."""
        return sum(n for status, n in self.statuses[layer].items() if has_gold(status))

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(
            self.documents + other.documents,
            self.with_gold + other.with_gold,
            {layer: self.statuses[layer] + other.statuses[layer] for layer in LAYERS},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "with_gold": self.with_gold,
            "layers": {
                layer: {
                    "with_gold": self.gold(layer),
                    "statuses": dict(sorted(self.statuses[layer].items())),
                }
                for layer in LAYERS
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Coverage:
        layers = data.get("layers") or {}
        return cls(
            int(data.get("documents") or 0),
            int(data.get("with_gold") or 0),
            {layer: Counter((layers.get(layer) or {}).get("statuses") or {}) for layer in LAYERS},
        )


def count(annotations: Iterable[Mapping[str, Any]]) -> Coverage:
    cov = Coverage()
    for annotation in annotations:
        cov.add(annotation)
    return cov


def annotations(ds, batch_size: int = 1000) -> Iterator[Mapping[str, Any]]:
    """The ``annotation`` of every row of a ``datasets.Dataset`` of goldwire rows, in order
    (read in batches of that column alone)."""
    for batch in ds.select_columns(["annotation"]).iter(batch_size=batch_size):
        yield from (annotation or {} for annotation in batch["annotation"])


def split_coverage(ds, batch_size: int = 1000) -> Coverage:
    """The coverage of one ``datasets.Dataset`` of goldwire rows (its ``annotation`` column)."""
    return count(annotations(ds, batch_size))


def corpus_coverage(dd) -> dict[str, Any]:
    """``{"splits": {split: coverage}, "total": coverage}`` of a DatasetDict, as JSON."""
    splits = {split: split_coverage(ds) for split, ds in dd.items()}
    total = sum(splits.values(), Coverage())
    return {"splits": {s: c.to_json() for s, c in splits.items()}, "total": total.to_json()}


def status_text(statuses: Mapping[str, int]) -> str:
    """``adjudicated 5, none 25``: the documents by status, most first."""
    ranked = sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{status or '(empty)'} {n}" for status, n in ranked if n) or "-"


def coverage_rows(coverage: Mapping[str, Any]) -> list[tuple[str, str, int, int, str]]:
    """``(split, layer, with gold, documents, statuses)`` per split (with documents) and
    layer of :func:`corpus_coverage`'s JSON: the rows of the card's and ``corpus info``'s
    table."""
    rows = []
    for split, cov in coverage["splits"].items():
        for layer in LAYERS if cov["documents"] else ():
            info = cov["layers"][layer]
            rows.append((split, layer, info["with_gold"], cov["documents"],
                         status_text(info["statuses"])))  # fmt: skip
    return rows


__all__ = [
    "Coverage",
    "annotations",
    "corpus_coverage",
    "count",
    "coverage_rows",
    "split_coverage",
    "status_text",
]
