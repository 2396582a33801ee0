"""Merge a review round into an adjudication (``goldwire annotate adjudicate --review DIR``).

A review round puts disputed documents into a separate Doccano project for one named
reviewer, every candidate pre-loaded as a suggestion; the reviewer's work comes back as a
pull folder with one file, ``DIR/annotators/<reviewer>.jsonl`` (overlapping spans are
allowed in that project). What the reviewer's copy says counts by the same rule as any
annotator's (:mod:`goldwire.annotate.annotations`: confirmed layers only).

For every document and layer the reviewer **confirmed**, the reviewer's final items are that
layer's gold:

* an item equal to one the adjudication kept (entities: same offsets and label; stances:
  same holder and target offsets and label; document stances: same target and label) stays
  as it was, ``provenance "adjudicated"`` with its votes (**kept**);
* any other item gets ``provenance "reviewed"``, ``adjudicated_by`` = the reviewer,
  ``votes`` = the annotators' votes at its key and ``annotators`` = those who gave its
  label (**changed**: the key had votes; **added**: nobody had marked it, no votes);
* an item the adjudication kept that the reviewer deleted leaves gold (**removed**);
* what the reviewer left undecided stays out of gold and is listed in ``conflicts.jsonl`` as
  kind ``unresolved`` (**unresolved**), never guessed: entity spans that still overlap each
  other (``candidates``, each with the votes at its offsets), stances with the same holder
  and target offsets and different labels, document stances with the same target and
  different labels.

The reviewed gold document gets ``annotation.reviewers = [reviewer]`` and ``reviewed_at``
(the review pull's ``pulled_at`` in ``DIR/summary.json``); a reviewed layer's status is
``adjudicated``. The adjudication's conflicts of a reviewed layer are resolved: they are
**not** written again to ``conflicts.jsonl`` (which lists what is still pending) and are
counted by kind in the review summary (``conflicts_resolved``); the votes they held stay
on the gold items. A document or layer the reviewer did not confirm keeps the plain
adjudication and its conflicts (``documents_unconfirmed``).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.annotate.adjudicate import Adjudication
from goldwire.annotate.annotations import AnnotationSet, load_annotations
from goldwire.annotate.ballots import (
    WHAT,
    Ballots,
    Tally,
    link_stances,
    mention,
    number_entities,
    voters,
    votes,
    votes_json,
)
from goldwire.errors import InputError
from goldwire.provenance import ADJUDICATED, LAYERS, Provenance
from goldwire.schema import DocStance, Document, Entity, LabelSchema, Stance

OUTCOMES = ("kept", "changed", "added", "removed", "unresolved")
REVIEW_HINT = "pull the review project alone into its own folder with `goldwire annotate pull`"

DEFINITIONS = {
    "review kept": "an item the adjudication kept and the reviewer left as it was",
    "review changed": "an item the reviewer left that the adjudication had not kept, at a key "
    "the annotators had voted on (another label, or a disputed candidate decided); provenance "
    "'reviewed'",
    "review added": "an item the reviewer added where no annotator had marked anything; "
    "provenance 'reviewed', no votes",
    "review removed": "an item the adjudication kept that the reviewer deleted",
    "review unresolved": "items the reviewer left undecided (overlapping entity spans; one "
    "stance pair or document-stance target with several labels): out of gold, listed in "
    "conflicts.jsonl as kind 'unresolved'",
    "conflicts_resolved": "conflicts of the layers the reviewer confirmed: no longer pending, "
    "not written to conflicts.jsonl",
}


@dataclass
class ReviewReport:
    """What a review round did: per layer and label, items kept, changed, added, removed
    and left unresolved; the conflicts it resolved."""

    folder: str
    reviewer: str
    reviewed_at: str
    documents: int = 0  # documents the reviewer confirmed (at least one layer)
    unconfirmed: int = 0  # documents of the review left unconfirmed: plain adjudication
    layers: Counter[str] = field(default_factory=Counter)
    tally: Tally = field(default_factory=lambda: Tally(OUTCOMES))
    resolved: Counter[str] = field(default_factory=Counter)  # by what:kind

    def summary(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "reviewer": self.reviewer,
            "reviewed_at": self.reviewed_at,
            "documents_reviewed": self.documents,
            "documents_unconfirmed": self.unconfirmed,
            "layers_reviewed": {layer: self.layers[layer] for layer in LAYERS},
            "outcomes": self.tally.to_json(),
            "conflicts_resolved": sum(self.resolved.values()),
            "conflicts_resolved_by_kind": dict(sorted(self.resolved.items())),
        }

    def definitions(self) -> dict[str, str]:
        return dict(DEFINITIONS)


# --------------------------------------------------------------------------- one layer


@dataclass(frozen=True)
class _Spec:
    """How one layer is merged: the key of an item, how the reviewer's items group (a group
    of several, or ``unresolved``, is left out), how a reviewed item and an unresolved
    record are made."""

    layer: str
    key: Callable[[Any], Hashable]
    groups: Callable[[Sequence[Any]], list[tuple[list[Any], bool]]]
    reviewed: Callable[[str, Any, Ballots, str], Any]
    record: Callable[[str, list[Any], Ballots], dict[str, Any]]


def _entity_key(e: Entity) -> Hashable:
    return (e.start, e.end)


def _stance_key(s: Stance) -> Hashable:
    if not (s.holder.has_span and s.target.has_span):
        return None
    return (s.holder.start, s.holder.end, s.target.start, s.target.end)


def _doc_stance_key(d: DocStance) -> Hashable:
    return d.target


def _overlap_groups(entities: Sequence[Entity]) -> list[tuple[list[Entity], bool]]:
    """Clusters of entity spans that overlap one another (directly or through a chain)."""
    out: list[list[Entity]] = []
    reach = -1  # the end of the current cluster
    for e in sorted(entities, key=lambda e: (e.start, e.end, e.label)):
        if out and e.start < reach:
            out[-1].append(e)
            reach = max(reach, e.end)
        else:
            out.append([e])
            reach = e.end
    return [(group, len(group) > 1) for group in out]


def _same_key_groups(key: Callable[[Any], Hashable]):
    def groups(items: Sequence[Any]) -> list[tuple[list[Any], bool]]:
        by_key: dict[Hashable, list[Any]] = {}
        for item in items:
            by_key.setdefault(key(item), []).append(item)
        return [(group, len(group) > 1 or k is None) for k, group in by_key.items()]

    return groups


def _reviewed_entity(text: str, e: Entity, ballots: Ballots, reviewer: str) -> Entity:
    ballot = ballots.get(_entity_key(e))
    return Entity("", e.start, e.end, e.label, text[e.start : e.end], voters(ballot, e.label),
                  provenance=Provenance.REVIEWED, votes=votes(ballot),
                  adjudicated_by=reviewer)  # fmt: skip


def _reviewed_stance(text: str, s: Stance, ballots: Ballots, reviewer: str) -> Stance:
    ballot = ballots.get(_stance_key(s))
    hs, he, ts, te = _stance_key(s)  # type: ignore[misc]
    return Stance(mention(text, hs, he), mention(text, ts, te), s.label,
                  voters(ballot, s.label), provenance=Provenance.REVIEWED, votes=votes(ballot),
                  adjudicated_by=reviewer)  # fmt: skip


def _reviewed_doc_stance(text: str, d: DocStance, ballots: Ballots, reviewer: str) -> DocStance:
    ballot = ballots.get(d.target)
    return DocStance(d.target, d.label, voters(ballot, d.label), provenance=Provenance.REVIEWED,
                     votes=votes(ballot), adjudicated_by=reviewer)  # fmt: skip


def _entity_record(text: str, group: list[Entity], ballots: Ballots) -> dict[str, Any]:
    start, end = min(e.start for e in group), max(e.end for e in group)
    return {"start": start, "end": end, "text": text[start:end], "candidates": [
        {"start": e.start, "end": e.end, "text": e.text, "label": e.label,
         "votes": votes_json(ballots.get(_entity_key(e)))} for e in group]}  # fmt: skip


def _mention_json(m) -> dict[str, Any]:
    return {"start": m.start, "end": m.end, "text": m.text}


def _stance_record(text: str, group: list[Stance], ballots: Ballots) -> dict[str, Any]:
    first = group[0]
    return {"holder": _mention_json(first.holder), "target": _mention_json(first.target),
            "labels": sorted({s.label for s in group}),
            "votes": votes_json(ballots.get(_stance_key(first)))}  # fmt: skip


def _doc_stance_record(text: str, group: list[DocStance], ballots: Ballots) -> dict[str, Any]:
    target = group[0].target
    return {"target": target, "labels": sorted({d.label for d in group}),
            "votes": votes_json(ballots.get(target))}  # fmt: skip


SPECS = {
    "entities": _Spec("entities", _entity_key, _overlap_groups, _reviewed_entity,
                      _entity_record),
    "stances": _Spec("stances", _stance_key, _same_key_groups(_stance_key), _reviewed_stance,
                     _stance_record),
    "doc_stances": _Spec("doc_stances", _doc_stance_key, _same_key_groups(_doc_stance_key),
                         _reviewed_doc_stance, _doc_stance_record),
}  # fmt: skip


@dataclass
class _Merge:
    """One reviewed document: the gold before review, the reviewer's copy, the ballots."""

    gold: Document
    review: Document
    ballots: dict[str, Ballots]
    reviewer: str
    tally: Tally
    unresolved: list[dict[str, Any]]

    def layer(self, spec: _Spec) -> list[Any]:
        """The reviewer's items of one layer merged with what the adjudication kept."""
        items = _unique(getattr(self.review, spec.layer), spec.key)
        kept = {(spec.key(i), i.label): i for i in getattr(self.gold, spec.layer)}
        ballots = self.ballots.get(spec.layer, {})
        seen: set[tuple[Hashable, str]] = set()
        out: list[Any] = []
        for group, unresolved in spec.groups(items):
            seen.update((spec.key(i), i.label) for i in group)
            if unresolved:
                self._unresolved(spec, group, ballots)
                continue
            (item,) = group
            key = (spec.key(item), item.label)
            if key in kept:
                out.append(_copy(kept[key]))
                self.tally.add(spec.layer, item.label, "kept")
            else:
                out.append(spec.reviewed(self.gold.text, item, ballots, self.reviewer))
                outcome = "changed" if ballots.get(key[0]) else "added"
                self.tally.add(spec.layer, item.label, outcome)
        for (k, label), _ in kept.items():
            if (k, label) not in seen:
                self.tally.add(spec.layer, label, "removed")
        return out

    def _unresolved(self, spec: _Spec, group: list[Any], ballots: Ballots) -> None:
        for item in group:
            self.tally.add(spec.layer, item.label, "unresolved")
        self.unresolved.append({
            "document": self.gold.id, "what": WHAT[spec.layer], "kind": "unresolved",
            "decision": "review", "reviewer": self.reviewer, "gold": None,
            **spec.record(self.gold.text, group, ballots),
        })  # fmt: skip


def _unique(items: Iterable[Any], key: Callable[[Any], Hashable]) -> list[Any]:
    """The reviewer's items, one per key and label (a duplicate says nothing new)."""
    out: dict[tuple[Hashable, str], Any] = {}
    for item in items:
        out.setdefault((key(item), item.label), item)
    return list(out.values())


def _copy(item: Any) -> Any:
    if isinstance(item, Stance):
        h, t = item.holder, item.target
        return dataclasses.replace(item, holder=dataclasses.replace(h),
                                   target=dataclasses.replace(t))  # fmt: skip
    return dataclasses.replace(item)


# --------------------------------------------------------------------------- one document


def merge_document(gold: Document, review: Document, layers: frozenset[str],
                   ballots: dict[str, Ballots], report: ReviewReport,
                   unresolved: list[dict[str, Any]]) -> Document:  # fmt: skip
    """The gold document after the reviewer's confirmed ``layers``."""
    merge = _Merge(gold, review, ballots, report.reviewer, report.tally, unresolved)
    items = {layer: merge.layer(SPECS[layer]) if layer in layers
             else [_copy(i) for i in getattr(gold, layer)] for layer in LAYERS}  # fmt: skip
    entities = number_entities(items["entities"])
    annotation = dataclasses.replace(gold.annotation, reviewers=[report.reviewer],
                                     reviewed_at=report.reviewed_at)  # fmt: skip
    for layer in layers:
        annotation.set_status(layer, ADJUDICATED)
    merged = dataclasses.replace(
        gold, entities=entities, stances=link_stances(items["stances"], entities),
        doc_stances=sorted(items["doc_stances"], key=lambda d: (d.target, d.label)),
        annotation=annotation, meta=dict(gold.meta), paragraphs=list(gold.paragraphs),
    )  # fmt: skip
    merged.validate()
    return merged


# --------------------------------------------------------------------------- the round


def load_review(folder: str | Path,
                labels: LabelSchema | None = None) -> tuple[str, AnnotationSet, str]:  # fmt: skip
    """The reviewer, what of their copy counts, and when the review was pulled."""
    review = load_annotations(folder, labels)
    if len(review.annotators) != 1:
        raise InputError(
            f"{folder}: a review pull folder holds one reviewer's file, found "
            f"{len(review.annotators)} ({', '.join(review.annotators)}); {REVIEW_HINT}"
        )
    return review.annotators[0], review, pulled_at(folder)


def pulled_at(folder: str | Path) -> str:
    """``pulled_at`` of a pull folder's ``summary.json``."""
    from goldwire.annotate.pull_folder import SUMMARY

    path = Path(folder) / SUMMARY
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the pull summary ({exc}); {REVIEW_HINT}") from exc
    when = data.get("pulled_at") if isinstance(data, dict) else None
    if not when:
        raise InputError(f"{path}: no 'pulled_at' in the pull summary; {REVIEW_HINT}")
    return str(when)


def merge_review(result: Adjudication, folder: str | Path, *,
                 labels: LabelSchema | None = None) -> Adjudication:  # fmt: skip
    """``result`` with the review round of ``folder`` merged (see the module docstring)."""
    reviewer, review, when = load_review(folder, labels)
    report = ReviewReport(str(folder), reviewer, when, unconfirmed=len(review.left_out))
    gold = {d.id: d for d in result.documents}
    _check_documents(result, review, gold, reviewer)
    unresolved: dict[str, list[dict[str, Any]]] = {}
    resolved: set[tuple[str, str]] = set()  # (document, what)
    for doc_id, copies in review.documents.items():
        layers = frozenset(layer for layer in LAYERS if review.counts(doc_id, reviewer, layer))
        gold[doc_id] = merge_document(gold[doc_id], copies[reviewer], layers,
                                      result.ballots.get(doc_id, {}), report,
                                      unresolved.setdefault(doc_id, []))  # fmt: skip
        report.documents += 1
        report.layers.update(layers)
        resolved.update((doc_id, WHAT[layer]) for layer in layers)
    pending: dict[str, list[dict[str, Any]]] = {}
    for c in result.conflicts:
        if (c["document"], c["what"]) in resolved:
            report.resolved[f"{c['what']}:{c['kind']}"] += 1
        else:
            pending.setdefault(c["document"], []).append(c)
    conflicts = [c for d in result.documents
                 for c in (*pending.get(d.id, []), *unresolved.get(d.id, []))]  # fmt: skip
    documents = [gold[d.id] for d in result.documents]
    return dataclasses.replace(result, documents=documents, conflicts=conflicts, review=report)


def _check_documents(result: Adjudication, review: AnnotationSet, gold: dict[str, Document],
                     reviewer: str) -> None:  # fmt: skip
    path = review.files.get(reviewer, review.folder)
    for doc_id in [*review.documents, *review.left_out]:
        if doc_id not in gold:
            raise InputError(
                f"{path}: document {doc_id} is not in the adjudication of {result.folder} (no "
                "copy of it counts there); review the conflicts of this pull folder, adjudicated "
                "with the options the review round was built from"
            )
    for doc_id, copies in review.documents.items():
        if copies[reviewer].text_sha256 != gold[doc_id].text_sha256:
            raise InputError(
                f"{path}: document {doc_id} has another text than in {result.folder}; the "
                "review saw a different text: push the review round from this adjudication"
            )
