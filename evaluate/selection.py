"""Which documents hold gold, layer by layer: the one selection that scoring and training use.

A goldwire document records an annotation status per layer (:mod:`goldwire.provenance`). A
layer without gold (status ``none`` or ``unconfirmed``) has an empty list that means
"unknown", not "nothing here": scored as gold, every prediction on it would count as
spurious. So by default each layer is scored (and trained on) only on the documents with
gold on it, and a document with gold on no layer is left out entirely. With
``include_unannotated`` every document is used on every layer, one without gold as gold with
no labels (what goldwire did before it recorded statuses).

:func:`select` decides, :class:`Coverage` is its answer (kept on the
:class:`~goldwire.evaluate.inputs.GoldSet`), :meth:`Coverage.notes` says it in words and
:func:`documents_section` writes it, with what became of a run's predictions, into the
``documents`` section of the results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from goldwire.provenance import LAYERS, has_gold
from goldwire.schema import Document

if TYPE_CHECKING:
    from goldwire.evaluate.inputs import GoldSet, PredictionSet

T = TypeVar("T")
FIRST_IDS = 20  # ids of left-out documents kept for the results
NOUNS = {"entities": "entities", "stances": "stances", "doc_stances": "document stances"}


@dataclass(frozen=True)
class LayerCoverage:
    """One layer: the documents used on it, and those without gold on it by status."""

    name: str
    docs: tuple[int, ...]  # positions of the documents used on this layer
    without_gold: dict[str, int] = field(default_factory=dict)  # status -> documents
    without_gold_ids: tuple[str, ...] = ()  # the first FIRST_IDS

    @property
    def n_without_gold(self) -> int:
        return sum(self.without_gold.values())

    @property
    def noun(self) -> str:
        return NOUNS.get(self.name, self.name)

    def take(self, items: Sequence[T]) -> list[T]:
        """The items at this layer's positions (``items`` aligned with the documents)."""
        if len(self.docs) == len(items):
            return list(items)
        return [items[i] for i in self.docs]


@dataclass(frozen=True)
class Coverage:
    """Per layer, the documents used; the documents with gold on no layer, by status.

    Positions refer to the document list :func:`select` was given. ``left_out`` holds the
    positions of the documents not used at all (none with ``include_unannotated``)."""

    n_docs: int
    layers: dict[str, LayerCoverage]
    without_gold: dict[str, int] = field(default_factory=dict)  # statuses -> documents
    without_gold_ids: tuple[str, ...] = ()
    left_out: frozenset[int] = frozenset()
    include_unannotated: bool = False

    @classmethod
    def everything(cls, n_docs: int) -> Coverage:
        """Every document on every layer (gold built in memory carries no statuses)."""
        docs = tuple(range(n_docs))
        return cls(n_docs, {layer: LayerCoverage(layer, docs) for layer in LAYERS})

    @property
    def n_without_gold(self) -> int:
        return sum(self.without_gold.values())

    @property
    def used(self) -> list[int]:
        """Positions of the documents used on at least one layer, in order."""
        if not self.left_out:
            return list(range(self.n_docs))
        return [i for i in range(self.n_docs) if i not in self.left_out]

    def only(self, layer: str) -> Coverage:
        """The coverage of one layer alone (a benchmark task's view of the gold)."""
        one = self.layers[layer]
        used = set(one.docs)
        return Coverage(
            self.n_docs,
            {layer: one},
            dict(one.without_gold),
            one.without_gold_ids,
            frozenset(i for i in range(self.n_docs) if i not in used),
            self.include_unannotated,
        )

    def notes(self, verb: str = "scored") -> list[str]:
        """What was left out and why, one sentence each (empty when nothing was); ``verb``
        says what is done with the documents (``scored``, ``trained on``)."""
        out = []
        if self.n_without_gold:
            nouns = [layer.noun for layer in self.layers.values()]
            what = f"gold {nouns[0]}" if len(nouns) == 1 else "gold"
            out.append(
                without_gold_note(
                    self.n_without_gold,
                    self.n_docs,
                    self.without_gold,
                    what=what,
                    verb=verb,
                    included=self.include_unannotated,
                )
            )
        if self.include_unannotated:
            return out
        for layer in self.layers.values():  # a layer without any gold: see the runs' notes
            if layer.docs and layer.n_without_gold != self.n_without_gold:
                out.append(
                    f"{layer.noun} scored on {len(layer.docs)} of {self.n_docs} documents, "
                    f"{layer.n_without_gold} without gold {layer.noun} "
                    f"({status_words(layer.without_gold)})"
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        """The coverage keys of the results' ``documents`` section."""
        return {
            "in_gold": self.n_docs,
            "left_out": len(self.left_out),
            "without_gold": _without(self.without_gold, self.without_gold_ids),
            "include_unannotated": self.include_unannotated,
            "layers": {
                name: {
                    "scored": len(layer.docs),
                    "left_out": self.n_docs - len(layer.docs),
                    "without_gold": _without(layer.without_gold, layer.without_gold_ids),
                }
                for name, layer in self.layers.items()
            },
        }


def _without(reasons: dict[str, int], ids: tuple[str, ...]) -> dict[str, Any]:
    return {"count": sum(reasons.values()), "statuses": dict(reasons), "first_ids": list(ids)}


def without_gold_note(
    n: int,
    total: int,
    statuses: dict[str, int],
    *,
    what: str = "gold",
    verb: str = "scored",
    included: bool = False,
) -> str:
    """``25 of 30 documents left out: no gold (annotation status none); --include-unannotated
    scores them as gold with no labels`` (or, ``included``, that they were used so)."""
    why = f"no {what} ({status_words(statuses)})"
    if included:
        return (
            f"{n} of {total} documents have {why}; {verb} as gold with no labels "
            "(--include-unannotated)"
        )
    verbs = {"scored": "scores", "trained on": "trains on"}
    return (
        f"{n} of {total} documents left out: {why}; --include-unannotated "
        f"{verbs.get(verb, verb)} them as gold with no labels"
    )


def status_words(reasons: dict[str, int]) -> str:
    """``annotation status none`` or ``annotation status none: 20, unconfirmed: 5``."""
    names = {s: s or "(empty)" for s in reasons}
    if len(reasons) == 1:
        return f"annotation status {names[next(iter(reasons))]}"
    return "annotation status " + ", ".join(f"{names[s]}: {n}" for s, n in reasons.items())


def select(
    docs: Sequence[Document], layers: Sequence[str] = LAYERS, *, include_unannotated: bool = False
) -> Coverage:
    """Which of ``docs`` are used on each of ``layers``: those whose status there has gold
    (all of them with ``include_unannotated``). A document with gold on none of ``layers`` is
    left out (counted by its statuses: ``none``, or ``unconfirmed+none`` when they differ)."""
    used: dict[str, list[int]] = {layer: [] for layer in layers}
    reasons: dict[str, Counter[str]] = {layer: Counter() for layer in layers}
    ids: dict[str, list[str]] = {layer: [] for layer in layers}
    none_reasons: Counter[str] = Counter()
    none_ids: list[str] = []
    left_out: list[int] = []
    for i, doc in enumerate(docs):
        statuses = [doc.annotation.status(layer) for layer in layers]
        gold = [has_gold(s) for s in statuses]
        for layer, status, is_gold in zip(layers, statuses, gold, strict=True):
            if is_gold or include_unannotated:
                used[layer].append(i)
            if not is_gold:
                reasons[layer][status] += 1
                if len(ids[layer]) < FIRST_IDS:
                    ids[layer].append(doc.id)
        if not any(gold):
            none_reasons["+".join(dict.fromkeys(statuses))] += 1
            if len(none_ids) < FIRST_IDS:
                none_ids.append(doc.id)
            if not include_unannotated:
                left_out.append(i)
    return Coverage(
        len(docs),
        {
            layer: LayerCoverage(layer, tuple(used[layer]), dict(reasons[layer]), tuple(ids[layer]))
            for layer in layers
        },
        dict(none_reasons),
        tuple(none_ids),
        frozenset(left_out),
        include_unannotated,
    )


def documents_section(gold: GoldSet, preds: PredictionSet) -> dict[str, Any]:
    """A run's ``documents`` section: documents scored (``gold``), without a prediction,
    left out (per layer, by status), predictions not scored; ``notes`` say what was left out
    of the gold, ``prediction_notes`` what was left out of the run."""
    cov = gold.coverage
    used = cov.used
    missing = [i for i in used if preds.docs[i] is None]
    unscored = _unscored_items(cov, preds)
    run_notes = list(preds.notes)
    if preds.without_gold:
        run_notes.append(
            f"predictions for {len(preds.without_gold)} documents without gold not scored"
        )
    for name, n in unscored.items():
        layer = cov.layers[name]
        predictions = f"{n} prediction{'' if n == 1 else 's'}"
        if layer.docs:
            run_notes.append(
                f"{predictions} of {layer.noun} on documents without gold {layer.noun} not scored"
            )
        else:
            run_notes.append(
                f"{layer.noun} not scored: no document has gold {layer.noun} "
                f"({status_words(layer.without_gold)}); {predictions} of {layer.noun} ignored"
            )
    return {
        "gold": len(used),
        "predicted": len(used) - len(missing),
        "without_prediction": len(missing),
        "without_prediction_ids": [gold.docs[i].id for i in missing[:FIRST_IDS]],
        "skipped": list(preds.skipped),
        "unit": "document",
        **cov.to_dict(),
        "predictions_without_gold": {
            "count": len(preds.without_gold),
            "first_ids": preds.without_gold[:FIRST_IDS],
            "items_not_scored": unscored,
        },
        "notes": gold.notes + cov.notes(),
        "prediction_notes": run_notes,
    }


def _unscored_items(cov: Coverage, preds: PredictionSet) -> dict[str, int]:
    """Per layer, the predicted items on documents scored on other layers only (those on
    documents left out entirely are counted as documents)."""
    out = {}
    for name, layer in cov.layers.items():
        if len(layer.docs) == cov.n_docs:
            continue
        skip = cov.left_out.union(layer.docs)
        n = sum(
            len(getattr(p, name))
            for i, p in enumerate(preds.docs)
            if p is not None and i not in skip
        )
        if n:
            out[name] = n
    return out


def with_gold(
    docs: Sequence[Document], layer: str, *, include_unannotated: bool = False
) -> tuple[list[Document], Coverage]:
    """The documents with gold on one layer (all with ``include_unannotated``), and the
    coverage that says which were left out (what training uses)."""
    coverage = select(docs, (layer,), include_unannotated=include_unannotated)
    return coverage.layers[layer].take(docs), coverage
