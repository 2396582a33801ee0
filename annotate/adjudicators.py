"""Adjudication strategies: which label of a voted key enters gold, and what becomes of the
others (:mod:`goldwire.annotate.adjudicate` does the voting).

A **key** is what annotators vote on (an entity's offsets, a stance's holder and target
offsets, a document stance's target); its **candidates** are the labels given to it, each
with its voters. ``n`` is the number of annotators whose copy of the layer counts in that
document. Every candidate ends in one :class:`Fate`:

* ``kept``: its label enters gold;
* ``dropped``: outvoted: a strict majority of the ``n`` annotators did not mark the key at
  all (``2 * voters < n``), or another label of the key was kept, or its majority is below
  ``--min-agree``, or ``prefer:USER`` overrode it;
* ``review``: no decision: exactly half marked the key (a tie; always the case when two
  annotators disagree), or most marked it but no label has a strict majority, or several
  labels passed. Never dropped silently: it waits for a review round.

Strategies (:func:`parse_strategy`):

* ``majority``: a label passes when more than half of the ``n`` annotators gave it and at
  least ``min_agree`` did (default 1);
* ``prefer:USER``: in documents USER annotated, USER's labels pass and everything else is
  dropped (overridden); in the others, the majority rule;
* ``single``: every document must have exactly one annotator, whose labels pass.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import Enum

from goldwire.annotate.annotations import AnnotationSet
from goldwire.errors import InputError, UsageError

_SHOWN = 5

Candidates = Mapping[str, Collection[str]]  # label -> who gave it


class Strategy(str, Enum):
    MAJORITY = "majority"
    PREFER = "prefer"
    SINGLE = "single"


class Fate(str, Enum):
    KEPT = "kept"
    DROPPED = "dropped"
    REVIEW = "review"


@dataclass(frozen=True)
class Decision:
    """The outcome of one key: the gold label (or none), the conflict ``kind`` to list (none
    when there is nothing to review), and the fate of every candidate not kept (``kept``
    when the gold label is the only candidate)."""

    gold: str | None
    kind: str | None
    fate: Fate

    def fate_of(self, label: str) -> Fate:
        return Fate.KEPT if label == self.gold else self.fate

    @property
    def decision(self) -> str:
        """What a conflict record says happened to the candidates not kept (``kept`` when
        there are none: an accepted minority under prefer:USER, listed for information)."""
        return self.fate.value


def _voters(candidates: Candidates) -> set[str]:
    return set().union(*map(set, candidates.values())) if candidates else set()


def _majority(voters: Collection[str], n: int, min_agree: int = 1) -> bool:
    return 2 * len(voters) > n and len(voters) >= min_agree


def majority_fate(candidates: Candidates, n: int) -> Fate:
    """The fate of a key no label of which passed, under the majority rule."""
    marked = 2 * len(_voters(candidates))
    if marked < n:
        return Fate.DROPPED  # a strict majority did not mark it
    if marked == n:
        return Fate.REVIEW  # a tie
    if any(_majority(who, n) for who in candidates.values()):
        return Fate.DROPPED  # a majority label below --min-agree
    return Fate.REVIEW  # marked by most, no label with a majority


def conflict_kind(candidates: Candidates, gold: str | None, n: int,
                  rejected_kind: str) -> str | None:  # fmt: skip
    """The conflict kind of one key, or None when there is nothing to list."""
    if len(candidates) > 1:
        return "label"
    share = 2 * len(next(iter(candidates.values())))
    if share == n:
        return "tie"
    if share < n:
        return "minority"
    return None if gold is not None else rejected_kind


class Adjudicator:
    """A strategy: which voted labels pass. Arguments are checked in the constructor."""

    kind: Strategy
    rejected_kind = "below-min-agree"

    def accepts(self, voters: frozenset[str], annotators: tuple[str, ...]) -> bool:
        raise NotImplementedError

    def unresolved_fate(self, candidates: Candidates, annotators: tuple[str, ...]) -> Fate:
        """The fate of a key no label of which passed."""
        return majority_fate(candidates, len(annotators))

    def decide(self, candidates: Candidates, annotators: tuple[str, ...]) -> Decision:
        """The decision on one key whose labels ``candidates`` were given by some of the
        document's ``annotators`` (those whose copy of the layer counts)."""
        passed = [lab for lab, who in candidates.items()
                  if self.accepts(frozenset(who), annotators)]  # fmt: skip
        if len(passed) > 1:
            return Decision(None, "label", Fate.REVIEW)
        gold = passed[0] if passed else None
        kind = conflict_kind(candidates, gold, len(annotators), self.rejected_kind)
        if gold is not None:
            return Decision(gold, kind, Fate.DROPPED if len(candidates) > 1 else Fate.KEPT)
        return Decision(None, kind, self.unresolved_fate(candidates, annotators))

    def check(self, annotations: AnnotationSet) -> None:
        """Raise when the strategy cannot work on this folder."""

    def describe(self) -> str:
        return self.kind.value


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

    def unresolved_fate(self, candidates: Candidates, annotators: tuple[str, ...]) -> Fate:
        if self.user in annotators:
            return Fate.DROPPED  # USER did not mark it: overridden
        return majority_fate(candidates, len(annotators))

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

    def unresolved_fate(self, candidates: Candidates, annotators: tuple[str, ...]) -> Fate:
        return Fate.DROPPED

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
