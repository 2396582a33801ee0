"""The plan of an annotation campaign: who annotates which document, with a controlled overlap.

Doccano 1.8.4 shows every example of a project to every member, so a campaign is realised as
one project per annotator (:mod:`~goldwire.annotate.campaign`); this module decides what goes
where, and never talks to a server.

The rule (:func:`extend`), applied to the documents a round adds:

* exactly ``round(overlap x N)`` of the N new documents (halves rounded up) form the round's
  overlap share: the N documents ranked by ``sha256(seed + id)``, the first ones taken; each
  goes to ``per_document`` annotators, every other new document to one;
* documents are dealt in that ranked order, overlap first, each to the annotators with the
  fewest documents of this round so far (ties: fewest overlap documents, then the group whose
  members shared fewest overlap documents so far, then names), so that loads and overlap
  documents per annotator differ by at most one within a round. With two per document the
  least-loaded annotators (up to ten) are paired as a whole, by the pairing whose pairs met
  least, so that every pair meets on the overlap as evenly as the numbers allow (checked for
  3 to 10 annotators: the pairs' counts differ by at most one).

The plan depends only on the document ids, the seed and the annotators, never on the input
order. Extending a campaign (new documents, new annotators) deals only the new documents, to
every annotator old and new; nothing assigned before moves, and nobody leaves a campaign.
The plan is kept as JSON in goldwire's home (:func:`plan_path`), one file per server and
campaign, and copied into every pull folder of the campaign.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import combinations
from pathlib import Path
from typing import Any

from goldwire import files
from goldwire.annotate.settings import display_url, goldwire_home
from goldwire.errors import InputError, UsageError

PLAN_VERSION = 1
NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
#: What separates the campaign and the annotator in a project name: ``NAME--USER``.
PROJECT_JOIN = "--"


def check_name(name: str) -> str:
    """A campaign name becomes part of project and file names: letters, digits, ``. _ -``."""
    if not NAME_RULE.match(name):
        raise UsageError(
            f"campaign name {name!r} is not usable; use 1-60 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def project_name(campaign: str, annotator: str) -> str:
    """The Doccano project of one annotator of a campaign."""
    return f"{campaign}{PROJECT_JOIN}{annotator}"


def rank_key(seed: str, doc_id: str) -> str:
    """Where a document ranks for the overlap share: ``sha256(seed + id)``, hex."""
    return hashlib.sha256((seed + doc_id).encode("utf-8")).hexdigest()


def overlap_size(overlap: float, n: int) -> int:
    """``round(overlap x n)``, halves rounded up (``round`` would round 0.5 to even)."""
    return math.floor(overlap * n + 0.5 + 1e-9)


@dataclass
class Round:
    """One assignment: when, how many documents it dealt, to whom, who joined."""

    at: str
    documents: int
    overlap_documents: int
    annotators: list[str]
    joined: list[str] = field(default_factory=list)
    split: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Plan:
    """Who has which documents in one campaign on one server."""

    name: str
    url: str
    overlap: float
    per_document: int
    seed: str
    annotators: list[str] = field(default_factory=list)
    assigned: dict[str, list[str]] = field(default_factory=dict)  # doc id -> annotators
    projects: dict[str, str] = field(default_factory=dict)  # annotator -> project name
    rounds: list[Round] = field(default_factory=list)
    corpus: str = ""  # the corpus id (goldwire_corpus_id) or the input's file name
    # per annotator: the counts right after the assignment (their suggestions), so that
    # status can tell work from suggestions
    baseline: dict[str, dict[str, int]] = field(default_factory=dict)

    def documents_of(self, annotator: str) -> list[str]:
        """The ids assigned to ``annotator``, in assignment order."""
        return [gid for gid, who in self.assigned.items() if annotator in who]

    def suggested(self, annotator: str) -> int:
        """How many labels were made as ``annotator`` at assignment (their suggestions)."""
        return sum(int(n) for n in self.baseline.get(annotator, {}).values())

    def overlap_ids(self) -> list[str]:
        """The documents assigned to more than one annotator."""
        return [gid for gid, who in self.assigned.items() if len(who) > 1]

    def loads(self) -> dict[str, int]:
        counts = dict.fromkeys(self.annotators, 0)
        for who in self.assigned.values():
            for name in who:
                counts[name] += 1
        return counts

    def pair_counts(self) -> dict[tuple[str, str], int]:
        """How many overlap documents each pair of annotators shares (``a < b``)."""
        pairs = {p: 0 for p in combinations(sorted(self.annotators), 2)}
        for who in self.assigned.values():
            for p in combinations(sorted(who), 2):
                pairs[p] += 1
        return pairs

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": PLAN_VERSION,
            "name": self.name,
            "url": self.url,
            "overlap": self.overlap,
            "per_document": self.per_document,
            "seed": self.seed,
            "corpus": self.corpus,
            "annotators": list(self.annotators),
            "projects": dict(self.projects),
            "rounds": [r.to_dict() for r in self.rounds],
            "baseline": self.baseline,
            "documents": len(self.assigned),
            "overlap_documents": len(self.overlap_ids()),
            "assigned": self.assigned,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str) -> Plan:
        try:
            if data.get("version") != PLAN_VERSION:
                raise ValueError(f"version {data.get('version')!r}")
            plan = cls(
                name=str(data["name"]),
                url=str(data["url"]),
                overlap=float(data["overlap"]),
                per_document=int(data["per_document"]),
                seed=str(data["seed"]),
                annotators=[str(a) for a in data["annotators"]],
                assigned={str(k): [str(a) for a in v] for k, v in data["assigned"].items()},
                projects={str(k): str(v) for k, v in data["projects"].items()},
                rounds=[Round(**r) for r in data.get("rounds", [])],
                corpus=str(data.get("corpus", "")),
                baseline=dict(data.get("baseline") or {}),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                f"{origin}: not a goldwire campaign plan ({exc}); restore it from a pull "
                "folder's campaign.json or start a new campaign"
            ) from None
        return plan


# --------------------------------------------------------------------------- the rule


def new_plan(name: str, url: str, *, overlap: float, per_document: int, seed: str) -> Plan:
    return Plan(check_name(name), display_url(url), overlap, per_document, seed)


def check_settings(plan: Plan, overlap: float, per_document: int, seed: str) -> None:
    """An extension keeps the campaign's overlap, annotators per overlap document and seed."""
    asked = (overlap, per_document, seed)
    kept = (plan.overlap, plan.per_document, plan.seed)
    if not math.isclose(asked[0], kept[0]) or asked[1:] != kept[1:]:
        raise UsageError(
            f"campaign {plan.name!r} was planned with --overlap {plan.overlap:g} "
            f"--per-document {plan.per_document} --seed {plan.seed!r}; extend it with the same "
            "settings (or start a campaign under another name)"
        )


def _check_annotators(plan: Plan, annotators: Sequence[str], per_document: int) -> list[str]:
    """The annotators after this round (earlier ones first); nobody may leave."""
    names = list(dict.fromkeys(annotators))
    if len(names) != len(annotators):
        twice = sorted({a for a in annotators if annotators.count(a) > 1})
        raise UsageError(f"--annotators names {', '.join(twice)} twice; name each once")
    gone = [a for a in plan.annotators if a not in names]
    if gone:
        raise UsageError(
            f"campaign {plan.name!r} has annotators {', '.join(gone)} that --annotators leaves "
            "out; nobody leaves a campaign (their documents stay assigned): list every earlier "
            f"annotator ({', '.join(plan.annotators)}) plus the new ones"
        )
    everyone = plan.annotators + sorted(set(names) - set(plan.annotators))
    if not everyone:
        raise UsageError("--annotators is empty; name at least one annotator")
    if per_document > len(everyone) and plan.overlap > 0:
        raise UsageError(
            f"--per-document {per_document} needs at least {per_document} annotators; "
            f"--annotators names {len(everyone)}"
        )
    return everyone


def check_overlap(overlap: float, per_document: int) -> None:
    if not 0.0 <= overlap <= 1.0:
        raise UsageError(f"--overlap {overlap:g} is not a share; give a number from 0 to 1")
    if overlap > 0 and per_document < 2:
        raise UsageError(
            f"--per-document {per_document}: an overlap document goes to at least 2 annotators"
        )


def extend(
    plan: Plan,
    doc_ids: Iterable[str],
    annotators: Sequence[str],
    *,
    split: str | None = None,
    now: str | None = None,
) -> Round:
    """Deal the documents of ``doc_ids`` not yet assigned (see the module docstring); adds
    the new annotators and their project names; returns the round (``documents`` 0 when
    nothing was new)."""
    check_overlap(plan.overlap, plan.per_document)
    everyone = _check_annotators(plan, annotators, plan.per_document)
    joined = everyone[len(plan.annotators) :]
    new = list(dict.fromkeys(gid for gid in doc_ids if gid not in plan.assigned))
    ranked = sorted(new, key=lambda gid: (rank_key(plan.seed, gid), gid))
    n_overlap = overlap_size(plan.overlap, len(ranked)) if len(everyone) > 1 else 0
    dealer = _Dealer(everyone)
    for i, gid in enumerate(ranked):
        plan.assigned[gid] = dealer.deal(plan.per_document if i < n_overlap else 1)
    plan.annotators = everyone
    for name in joined:
        plan.projects[name] = project_name(plan.name, name)
    stamp = now or datetime.now(timezone.utc).isoformat(timespec="seconds")
    round_ = Round(stamp, len(ranked), n_overlap, list(everyone), list(joined), split)
    if ranked or joined:
        plan.rounds.append(round_)
    return round_


#: More groups than this per overlap document and the dealer picks one annotator at a time.
MAX_GROUPS = 5000
#: Up to this many equally loaded annotators are paired as a whole (945 pairings of 10).
MAX_MATCHED = 10


class _Dealer:
    """Deals one round's documents: each to the least-loaded annotators; an overlap document
    to the group of ``k`` with the fewest documents, then the fewest overlap documents, then
    the fewest overlap documents already shared within the group (so pairs meet evenly)."""

    def __init__(self, annotators: Sequence[str]) -> None:
        self.names = list(annotators)
        self.load = dict.fromkeys(self.names, 0)
        self.shared = dict.fromkeys(self.names, 0)  # overlap documents so far
        self.pairs: dict[tuple[str, str], int] = {}

    def deal(self, k: int) -> list[str]:
        if k == 1:
            chosen = [min(self.names, key=lambda n: (self.load[n], n))]
        elif k == 2 and (pair := self._matched_pair()) is not None:
            chosen = list(pair)
        elif math.comb(len(self.names), k) <= MAX_GROUPS:
            chosen = list(min(combinations(sorted(self.names), k), key=self._cost))
        else:
            chosen = self._one_by_one(k)
        for name in chosen:
            self.load[name] += 1
            if k > 1:
                self.shared[name] += 1
        for pair in combinations(sorted(chosen), 2):
            self.pairs[pair] = self.pairs.get(pair, 0) + 1
        return chosen

    def _matched_pair(self) -> tuple[str, str] | None:
        """With two per document: the least-loaded annotators (when at least two, at most
        :data:`MAX_MATCHED`) are paired as a whole, by the pairing whose pairs met least so far,
        and its least-met pair is dealt. Choosing pairs one at a time would leave the last pair
        of a cycle forced, however often it met (6 annotators: 3 to 8 per pair, now even)."""
        low = min(self.load.values())
        level = sorted(n for n in self.names if self.load[n] == low)
        if not 2 <= len(level) <= MAX_MATCHED:
            return None
        best = min(_pairings(level), key=lambda pairs: (sum(self._met(p) for p in pairs), pairs))
        return min(best, key=lambda p: (self._met(p), p))

    def _met(self, group: Sequence[str]) -> int:
        return sum(self.pairs.get(pair, 0) for pair in combinations(sorted(group), 2))

    def _cost(self, group: Sequence[str]) -> tuple:
        load = sum(self.load[n] for n in group)
        return (load, sum(self.shared[n] for n in group), self._met(group), tuple(group))

    def _one_by_one(self, k: int) -> list[str]:
        chosen: list[str] = []
        for _ in range(k):
            rest = [n for n in sorted(self.names) if n not in chosen]
            chosen.append(min(rest, key=lambda n: self._cost([*chosen, n])))
        return chosen


def _pairings(names: Sequence[str]) -> Iterator[tuple[tuple[str, str], ...]]:
    """Every way to pair off ``names`` (sorted); with an odd count, one is left out."""
    if len(names) < 2:
        yield ()
        return
    if len(names) % 2:
        for i in range(len(names)):
            yield from _pairings([*names[:i], *names[i + 1 :]])
        return
    first, rest = names[0], names[1:]
    for i, other in enumerate(rest):
        for tail in _pairings([*rest[:i], *rest[i + 1 :]]):
            yield ((first, other), *tail)


# --------------------------------------------------------------------------- storage


def plan_path(url: str, name: str, home: Path | None = None) -> Path:
    """Where the plan of campaign ``name`` on the server at ``url`` is kept."""
    key = hashlib.sha1(display_url(url).encode()).hexdigest()[:12]
    return (home or goldwire_home()) / "campaigns" / f"{key}-{check_name(name)}.json"


def load_plan(url: str, name: str, home: Path | None = None) -> Plan | None:
    path = plan_path(url, name, home)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable campaign plan ({exc}); restore it") from None
    return Plan.from_dict(data, str(path))


def require_plan(url: str, name: str, home: Path | None = None) -> Plan:
    plan = load_plan(url, name, home)
    if plan is None:
        raise UsageError(
            f"no campaign {name!r} for doccano at {display_url(url)} here "
            f"({plan_path(url, name, home)}); start it with `goldwire annotate assign CORPUS "
            f"--campaign {name} --annotators ...`"
        )
    return plan


def save_plan(plan: Plan, home: Path | None = None) -> Path:
    return files.write_json(plan_path(plan.url, plan.name, home), plan.to_dict())


__all__ = [
    "Plan",
    "Round",
    "check_name",
    "check_overlap",
    "check_settings",
    "extend",
    "load_plan",
    "new_plan",
    "overlap_size",
    "plan_path",
    "project_name",
    "rank_key",
    "require_plan",
    "save_plan",
]
