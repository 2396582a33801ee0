"""Adjudication: several annotators' documents -> one gold document each, with provenance.

Votes are counted per document among the annotators who annotated it (``n``); an annotator
marking the same thing twice votes once. What is voted on:

* an **entity**: its exact offsets and label;
* a **stance**: the exact offsets of its holder and target and its label (mentions naming an
  entity id are resolved to that entity's offsets); stances without offsets on both ends
  cannot be voted on and are listed as conflicts of kind ``no-span``;
* a **document stance**: its target string and label.

Strategies (:func:`parse_strategy`):

* ``majority``: accepted when more than half of the ``n`` annotators voted for it and at
  least ``min_agree`` did (default 1). Exactly half is a tie, never resolved silently.
* ``prefer:USER``: in documents USER annotated, USER's annotations are accepted; in the
  others, the majority rule among the annotators who did annotate them.
* ``single``: every document must have exactly one annotator, whose annotations are accepted.

At most one label is accepted per span (per holder/target pair, per document-stance target):
when two labels pass, neither enters gold. A stance enters gold only when its holder and
target spans are the offsets of gold entities. Gold entities are renumbered ``T1``, ``T2``,
... in (start, end) order, and stances refer to the new ids; ``annotators`` on each entity
and stance lists who marked it; ``meta`` gets ``annotators`` (who annotated the document)
and ``adjudication`` (the strategy).

Conflicts (``conflicts.jsonl`` beside the gold file) are the things a reviewer should look
at, one record per span (per holder/target pair, per target) with a ``kind``:

* ``label``: annotators gave the same span different labels (``labels``: label -> who);
* ``tie``: exactly half of the annotators marked it;
* ``minority``: fewer than half marked it;
* ``below-min-agree``: a majority marked it but fewer than ``min_agree`` annotators;
* ``overridden``: a majority marked it but the preferred annotator did not;
* ``endpoint``: a stance that won its vote but whose holder or target is not a gold entity;
* ``no-span``: a stance without offsets.

``gold`` says which label entered gold (``null``: none); an accepted minority (prefer:USER)
is still listed. ``unmarked`` names the annotators of the document who did not mark the span
at all, ``overlapping`` the other candidate spans that overlap it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from goldwire import files
from goldwire.annotate.annotations import AnnotationSet, load_annotations
from goldwire.errors import InputError, UsageError
from goldwire.schema import DocStance, Document, Entity, LabelSchema, Mention, Stance, write_jsonl

CONFLICTS_FILE = "conflicts.jsonl"
_SHOWN = 5


class Strategy(str, Enum):
    MAJORITY = "majority"
    PREFER = "prefer"
    SINGLE = "single"


# --------------------------------------------------------------------------- strategies


class Adjudicator:
    """A strategy: which voted items enter gold. Arguments are checked in the constructor."""

    kind: Strategy
    rejected_kind = "below-min-agree"

    def accepts(self, voters: frozenset[str], annotators: tuple[str, ...]) -> bool:
        raise NotImplementedError

    def check(self, annotations: AnnotationSet) -> None:
        """Raise when the strategy cannot work on this folder."""

    def describe(self) -> str:
        return self.kind.value


def _majority(voters: frozenset[str], n: int, min_agree: int = 1) -> bool:
    return 2 * len(voters) > n and len(voters) >= min_agree


class Majority(Adjudicator):
    kind = Strategy.MAJORITY

    def __init__(self, min_agree: int = 1) -> None:
        if not isinstance(min_agree, int) or min_agree < 1:
            raise UsageError(f"--min-agree must be a whole number of at least 1, got {min_agree!r}")
        self.min_agree = min_agree

    def accepts(self, voters: frozenset[str], annotators: tuple[str, ...]) -> bool:
        return _majority(voters, len(annotators), self.min_agree)

    def describe(self) -> str:
        return "majority" if self.min_agree == 1 else f"majority (min-agree {self.min_agree})"


class Prefer(Adjudicator):
    kind = Strategy.PREFER
    rejected_kind = "overridden"

    def __init__(self, user: str) -> None:
        if not user:
            raise UsageError("--strategy prefer needs a user: prefer:USERNAME, e.g. prefer:alice")
        self.user = user

    def accepts(self, voters: frozenset[str], annotators: tuple[str, ...]) -> bool:
        if self.user in annotators:
            return self.user in voters
        return _majority(voters, len(annotators))

    def check(self, annotations: AnnotationSet) -> None:
        if self.user not in annotations.annotators:
            raise UsageError(
                f"{annotations.folder}: prefer:{self.user} names no annotator of this folder; "
                f"its annotators are {', '.join(annotations.annotators)}"
            )

    def describe(self) -> str:
        return f"prefer:{self.user}"


class Single(Adjudicator):
    kind = Strategy.SINGLE

    def accepts(self, voters: frozenset[str], annotators: tuple[str, ...]) -> bool:
        return bool(voters)

    def check(self, annotations: AnnotationSet) -> None:
        several = [(i, tuple(c)) for i, c in annotations.documents.items() if len(c) > 1]
        if not several:
            return
        shown = "; ".join(f"{i} ({', '.join(who)})" for i, who in several[:_SHOWN])
        more = f"; and {len(several) - _SHOWN} more" if len(several) > _SHOWN else ""
        count = f"{len(several)} documents have" if len(several) > 1 else "1 document has"
        raise InputError(
            f"{annotations.folder}: --strategy single needs exactly one annotator per document, "
            f"but {count} several: {shown}{more}; use --strategy majority or prefer:USER"
        )


def parse_strategy(value: str | Adjudicator, *, min_agree: int = 1) -> Adjudicator:
    """``majority``, ``prefer:USER`` or ``single`` as a strategy object."""
    if isinstance(value, Adjudicator):
        return value
    name, sep, user = str(value).partition(":")
    if name == Strategy.MAJORITY.value and not sep:
        return Majority(min_agree)
    if min_agree != 1:
        raise UsageError(f"--min-agree applies to --strategy majority only, not {value!r}")
    if name == Strategy.PREFER.value:
        return Prefer(user)
    if name == Strategy.SINGLE.value and not sep:
        return Single()
    raise UsageError(f"unknown strategy {value!r}; use majority, prefer:USER or single")


# --------------------------------------------------------------------------- votes

Votes = dict[Any, dict[str, set[str]]]  # key -> label -> voters


def _vote(votes: Votes, key: Any, label: str, who: str) -> None:
    votes.setdefault(key, {}).setdefault(label, set()).add(who)


def _decide(votes: Mapping[str, set[str]], annotators: tuple[str, ...],
            strategy: Adjudicator) -> str | None:  # fmt: skip
    """The one label accepted for a key, or None (none, or several, passed)."""
    passed = [lab for lab, who in votes.items() if strategy.accepts(frozenset(who), annotators)]
    return passed[0] if len(passed) == 1 else None


def _kind(votes: Mapping[str, set[str]], gold: str | None, n: int,
          strategy: Adjudicator) -> str | None:  # fmt: skip
    """The conflict kind of one voted key, or None when there is nothing to review."""
    if len(votes) > 1:
        return "label"
    share = 2 * len(next(iter(votes.values())))
    if share == n:
        return "tie"
    if share < n:
        return "minority"
    return None if gold is not None else strategy.rejected_kind


def _labels(votes: Mapping[str, set[str]]) -> dict[str, list[str]]:
    return {lab: sorted(who) for lab, who in sorted(votes.items())}


def _unmarked(votes: Mapping[str, set[str]], annotators: tuple[str, ...]) -> list[str]:
    marked = set().union(*votes.values())
    return [a for a in annotators if a not in marked]


# --------------------------------------------------------------------------- one document


@dataclass
class _DocResult:
    document: Document
    conflicts: list[dict[str, Any]]


def _entities(doc_id: str, text: str, copies: Mapping[str, Document], strategy: Adjudicator,
              conflicts: list[dict[str, Any]]) -> dict[tuple[int, int], Entity]:  # fmt: skip
    annotators = tuple(copies)
    votes: Votes = {}
    for who, doc in copies.items():
        for e in doc.entities:
            _vote(votes, (e.start, e.end), e.label, who)
    gold: dict[tuple[int, int], Entity] = {}
    for (start, end), by_label in sorted(votes.items()):
        label = _decide(by_label, annotators, strategy)
        if label is not None:
            gold[(start, end)] = Entity("", start, end, label, text[start:end],
                                        sorted(by_label[label]))  # fmt: skip
        kind = _kind(by_label, label, len(annotators), strategy)
        if kind is not None:
            conflicts.append({
                "document": doc_id, "what": "entity", "kind": kind,
                "start": start, "end": end, "text": text[start:end],
                "labels": _labels(by_label), "gold": label,
                "annotators": list(annotators), "unmarked": _unmarked(by_label, annotators),
                "overlapping": _overlapping(votes, start, end, text),
            })  # fmt: skip
    for i, key in enumerate(sorted(gold), 1):
        gold[key].id = f"T{i}"
    return gold


def _overlapping(votes: Votes, start: int, end: int, text: str) -> list[dict[str, Any]]:
    return [
        {"start": s, "end": e, "text": text[s:e], "label": lab, "annotators": sorted(who)}
        for (s, e), by_label in sorted(votes.items())
        if (s, e) != (start, end) and s < end and start < e
        for lab, who in sorted(by_label.items())
    ]


def _stances(doc_id: str, text: str, copies: Mapping[str, Document], strategy: Adjudicator,
             gold_entities: Mapping[tuple[int, int], Entity],
             conflicts: list[dict[str, Any]]) -> list[Stance]:  # fmt: skip
    annotators = tuple(copies)
    votes: Votes = {}
    for who, doc in copies.items():
        for s in doc.stances:
            h, t = doc.resolve(s.holder), doc.resolve(s.target)
            if not (h.has_span and t.has_span):
                conflicts.append({
                    "document": doc_id, "what": "stance", "kind": "no-span",
                    "holder": {"text": h.text, "start": h.start, "end": h.end},
                    "target": {"text": t.text, "start": t.start, "end": t.end},
                    "labels": {s.label: [who]}, "gold": None, "annotators": list(annotators),
                })  # fmt: skip
                continue
            _vote(votes, (h.start, h.end, t.start, t.end), s.label, who)
    gold: list[Stance] = []
    for (hs, he, ts, te), by_label in sorted(votes.items()):
        label = _decide(by_label, annotators, strategy)
        kind = _kind(by_label, label, len(annotators), strategy)
        holder, target = gold_entities.get((hs, he)), gold_entities.get((ts, te))
        if label is not None and (holder is None or target is None):
            label, kind = None, "endpoint"
        if label is not None:
            gold.append(Stance(_ref(holder), _ref(target), label, sorted(by_label[label])))
        if kind is not None:
            conflicts.append({
                "document": doc_id, "what": "stance", "kind": kind,
                "holder": {"start": hs, "end": he, "text": text[hs:he],
                           "in_gold": holder is not None},
                "target": {"start": ts, "end": te, "text": text[ts:te],
                           "in_gold": target is not None},
                "labels": _labels(by_label), "gold": label,
                "annotators": list(annotators), "unmarked": _unmarked(by_label, annotators),
            })  # fmt: skip
    return gold


def _ref(entity: Entity | None) -> Mention:
    assert entity is not None
    return Mention(entity.text, entity.start, entity.end, entity.id)


def _doc_stances(doc_id: str, copies: Mapping[str, Document], strategy: Adjudicator,
                 conflicts: list[dict[str, Any]]) -> list[DocStance]:  # fmt: skip
    annotators = tuple(copies)
    votes: Votes = {}
    for who, doc in copies.items():
        for d in doc.doc_stances:
            _vote(votes, d.target, d.label, who)
    gold: list[DocStance] = []
    for target, by_label in sorted(votes.items()):
        label = _decide(by_label, annotators, strategy)
        if label is not None:
            gold.append(DocStance(target, label, sorted(by_label[label])))
        kind = _kind(by_label, label, len(annotators), strategy)
        if kind is not None:
            conflicts.append({
                "document": doc_id, "what": "doc_stance", "kind": kind, "target": target,
                "labels": _labels(by_label), "gold": label,
                "annotators": list(annotators), "unmarked": _unmarked(by_label, annotators),
            })  # fmt: skip
    return gold


def adjudicate_document(doc_id: str, copies: Mapping[str, Document],
                        strategy: Adjudicator) -> _DocResult:  # fmt: skip
    """Gold for one document from its annotators' copies (annotators in sorted order)."""
    copies = dict(sorted(copies.items()))
    base = next(iter(copies.values()))
    conflicts: list[dict[str, Any]] = []
    entities = _entities(doc_id, base.text, copies, strategy, conflicts)
    stances = _stances(doc_id, base.text, copies, strategy, entities, conflicts)
    doc_stances = _doc_stances(doc_id, copies, strategy, conflicts)
    meta = {**base.meta, "annotators": ",".join(copies), "adjudication": strategy.describe()}
    gold = dataclasses.replace(
        base, entities=sorted(entities.values(), key=lambda e: (e.start, e.end)),
        stances=stances, doc_stances=doc_stances, meta=meta,
        paragraphs=list(base.paragraphs),
    )  # fmt: skip
    gold.validate()
    return _DocResult(gold, conflicts)


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class Adjudication:
    """Gold documents and the conflicts to review."""

    folder: str
    strategy: str
    annotators: tuple[str, ...]
    documents: list[Document]
    conflicts: list[dict[str, Any]]

    def conflict_counts(self) -> dict[str, int]:
        """Conflicts by ``what:kind`` (``entity:tie``, ``stance:endpoint``, ...)."""
        out: dict[str, int] = {}
        for c in self.conflicts:
            key = f"{c['what']}:{c['kind']}"
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))

    def summary(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "strategy": self.strategy,
            "annotators": list(self.annotators),
            "documents": len(self.documents),
            "entities": sum(len(d.entities) for d in self.documents),
            "stances": sum(len(d.stances) for d in self.documents),
            "doc_stances": sum(len(d.doc_stances) for d in self.documents),
            "conflicts": len(self.conflicts),
            "conflicts_by_kind": self.conflict_counts(),
        }


def adjudicate_set(annotations: AnnotationSet, strategy: str | Adjudicator,
                   *, min_agree: int = 1) -> Adjudication:  # fmt: skip
    """Adjudicate a loaded pull folder."""
    chosen = parse_strategy(strategy, min_agree=min_agree)
    chosen.check(annotations)
    docs: list[Document] = []
    conflicts: list[dict[str, Any]] = []
    for doc_id, copies in annotations.documents.items():
        result = adjudicate_document(doc_id, copies, chosen)
        docs.append(result.document)
        conflicts.extend(result.conflicts)
    return Adjudication(str(annotations.folder), chosen.describe(), annotations.annotators,
                        docs, conflicts)  # fmt: skip


def adjudicate(folder: str | Path, strategy: str | Adjudicator = "majority", *,
               min_agree: int = 1, labels: LabelSchema | None = None) -> Adjudication:  # fmt: skip
    """Load a pull folder (``DIR/annotators/<username>.jsonl``) and adjudicate it."""
    chosen = parse_strategy(strategy, min_agree=min_agree)  # bad options fail before reading
    return adjudicate_set(load_annotations(folder, labels), chosen)


def conflicts_path(out: str | Path) -> Path:
    return Path(out).with_name(CONFLICTS_FILE)


def write_adjudication(result: Adjudication, out: str | Path) -> tuple[Path, Path]:
    """Write the gold JSONL to ``out`` and the conflicts beside it; returns both paths."""
    out = Path(out)
    if out.name == CONFLICTS_FILE:
        raise UsageError(f"{out}: the conflicts go to {CONFLICTS_FILE} beside the gold file; "
                         "give the gold file another name")  # fmt: skip
    write_jsonl(result.documents, out)
    path = conflicts_path(out)
    files.write_jsonl(path, result.conflicts)
    return out, path
