"""Votes on one document's keys, the tallies of what became of them, and the finishing of a
gold document (entity ids, stance mentions linked to gold entities), shared by
:mod:`~goldwire.annotate.adjudicate` and :mod:`~goldwire.annotate.review_merge`.

A **ballot** is what the annotators said about one key (an entity's offsets, a stance's
holder/target offsets, a document stance's target): label -> annotator -> the provenance of
that annotator's item. An annotator marking the same thing twice votes once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from goldwire.provenance import LAYERS, Vote
from goldwire.schema import Document, Entity, Mention, Stance

Ballot = dict[str, dict[str, str]]  # label -> annotator -> provenance of their item
Ballots = dict[Hashable, Ballot]  # key -> ballot

#: the ``what`` of a conflict record, per layer
WHAT = {"entities": "entity", "stances": "stance", "doc_stances": "doc_stance"}


def cast(ballots: Ballots, key: Hashable, label: str, who: str, provenance: str) -> None:
    ballots.setdefault(key, {}).setdefault(label, {}).setdefault(who, provenance)


def entity_ballots(copies: Mapping[str, Document]) -> Ballots:
    """The annotators' entities, keyed by their offsets."""
    ballots: Ballots = {}
    for who, doc in copies.items():
        for e in doc.entities:
            cast(ballots, (e.start, e.end), e.label, who, e.provenance)
    return ballots


def doc_stance_ballots(copies: Mapping[str, Document]) -> Ballots:
    """The annotators' document stances, keyed by their target."""
    ballots: Ballots = {}
    for who, doc in copies.items():
        for d in doc.doc_stances:
            cast(ballots, d.target, d.label, who, d.provenance)
    return ballots


def candidates(ballot: Ballot) -> dict[str, frozenset[str]]:
    """label -> who gave it."""
    return {label: frozenset(by) for label, by in ballot.items()}


def votes(ballot: Ballot | None) -> list[Vote]:
    """One :class:`Vote` per annotator and label of a ballot, by annotator then label."""
    if not ballot:
        return []
    return sorted((Vote(who, label, prov) for label, by in ballot.items()
                   for who, prov in by.items()),
                  key=lambda v: (v.annotator, v.label))  # fmt: skip


def votes_json(ballot: Ballot | None) -> list[dict[str, Any]]:
    return [v.to_json() for v in votes(ballot)]


def labels_json(ballot: Ballot) -> dict[str, list[str]]:
    return {label: sorted(by) for label, by in sorted(ballot.items())}


def voters(ballot: Ballot | None, label: str) -> list[str]:
    return sorted((ballot or {}).get(label, {}))


# --------------------------------------------------------------------------- tallies


@dataclass
class Tally:
    """Items per layer, label and outcome (``kept``, ``dropped``, ``review``; or what a
    review did: ``kept``, ``changed``, ``added``, ``removed``, ``unresolved``); addable."""

    outcomes: tuple[str, ...]
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(self, layer: str, label: str, outcome: str, n: int = 1) -> None:
        if outcome not in self.outcomes:
            raise ValueError(f"unknown outcome {outcome!r}; outcomes are {self.outcomes}")
        self.counts[(layer, label, outcome)] += n

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.outcomes, self.counts + other.counts)

    def total(self, layer: str, outcome: str) -> int:
        return sum(n for (lay, _, out), n in self.counts.items() if (lay, out) == (layer, outcome))

    def by_label(self, layer: str) -> dict[str, dict[str, int]]:
        labels = sorted({lab for lay, lab, _ in self.counts if lay == layer})
        return {lab: {out: self.counts[(layer, lab, out)] for out in self.outcomes}
                for lab in labels}  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {layer: {**{out: self.total(layer, out) for out in self.outcomes},
                        "by_label": self.by_label(layer)} for layer in LAYERS}  # fmt: skip


# --------------------------------------------------------------------------- finishing


def number_entities(entities: Iterable[Entity]) -> list[Entity]:
    """Entities in (start, end, label) order, renumbered ``T1``, ``T2``, ..."""
    out = sorted(entities, key=lambda e: (e.start, e.end, e.label))
    for i, e in enumerate(out, 1):
        e.id = f"T{i}"
    return out


def link_stances(stances: Sequence[Stance], entities: Sequence[Entity]) -> list[Stance]:
    """Stances sorted by offsets and label, each mention carrying its offsets and text and
    the id of the gold entity with the same offsets (none when that span is not in gold)."""
    ids: Mapping[tuple[int, int], str] = {(e.start, e.end): e.id for e in entities}
    for s in stances:
        for m in (s.holder, s.target):
            m.entity = ids.get((m.start, m.end)) if m.has_span else None  # type: ignore[arg-type]
    return sorted(stances, key=stance_sort_key)


def stance_sort_key(s: Stance) -> tuple:
    return (s.holder.start, s.holder.end, s.target.start, s.target.end, s.label)


def mention(text: str, start: int, end: int) -> Mention:
    return Mention(text[start:end], start, end)
