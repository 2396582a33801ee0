"""Adjudication: several annotators' documents -> one gold document each, with provenance.

**What votes.** Only what counts (:mod:`goldwire.annotate.annotations`): by default the
layers an annotator confirmed (``--include-unconfirmed``: unconfirmed ones too), never a
suggestion left unreviewed. Votes are counted **per layer**: in each document, ``n`` is the
number of annotators whose copy of that layer counts. What is voted on (a **key**):

* an **entity**: its exact offsets (the candidates are the labels given to them);
* a **stance**: the exact offsets of its holder and target (mentions naming an entity id
  are resolved to that entity's offsets); stances without offsets on both ends cannot be
  voted on and are listed as conflicts of kind ``no-span``;
* a **document stance**: its target string.

A stance is judged on itself: when its vote passes it enters gold even if the label of an
endpoint entity is disputed or that entity is not in gold; its mentions then carry offsets
and text, and link to a gold entity id only where that span is in gold (same offsets). The
summary counts such stances (``stances_endpoint_not_in_gold``); they are not conflicts.

**Decisions** (:mod:`goldwire.annotate.adjudicators`): every candidate is ``kept`` (in
gold), ``dropped`` (outvoted: a strict majority did not mark it, another label was kept,
below ``--min-agree``, overridden by ``prefer:USER``) or left for ``review`` (a tie, most
marked it but no label has a majority, several labels passed). Counted per layer and label
(:attr:`Adjudication.outcomes`).

**Gold items** carry ``provenance = "adjudicated"``, ``annotators`` (who gave the gold
label) and ``votes`` (one :class:`~goldwire.provenance.Vote` per annotator who marked the
key: their label and their item's provenance). Gold entities are renumbered ``T1``, ``T2``,
... in (start, end) order. The gold document's ``annotation``: status ``adjudicated`` for
every layer with at least one counting copy, ``none`` for the others; ``annotators``: whose
copies counted; ``adjudication``: the strategy; ``tool`` and ``guidelines``: the copies'
common value (several joined with ``"; "``). ``meta`` is the first counting copy's, without
that copy's Doccano bookkeeping (``doccano_example``, ``doccano_confirmed``). A document no copy of
which counts is left out of gold (``documents_left_out``).

**Conflicts** (``conflicts.jsonl`` beside the gold file): one record per key with a
candidate not kept, with ``kind``:

* ``label``: the key was given different labels (``labels``: label -> who);
* ``tie``: one label, exactly half of the annotators marked it;
* ``minority``: one label, fewer than half marked it;
* ``below-min-agree``: a majority marked it but fewer than ``min_agree`` annotators;
* ``overridden``: the preferred annotator did not mark it (prefer:USER);
* ``no-span``: a stance without offsets;
* ``unresolved``: left unresolved by a review round (:mod:`~goldwire.annotate.review_merge`).

``decision`` says what became of the candidates not kept (``dropped`` or ``review``;
``kept`` for an accepted minority under prefer:USER, listed for information), ``gold`` which
label entered gold (``null``: none), ``votes`` every vote at the key with its provenance,
``unmarked`` the annotators who did not mark the key, ``overlapping`` (entities) the other
candidate spans that overlap it, ``in_gold`` (stances) whether an endpoint span is a gold
entity. The former ``endpoint`` kind is gone: a stance is no longer dropped for its
endpoints.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldwire import files
from goldwire.annotate.adjudicators import (
    Adjudicator,
    Decision,
    Fate,
    Majority,
    Prefer,
    Single,
    Strategy,
    parse_strategy,
)
from goldwire.annotate.annotations import (
    AnnotationSet,
    Coverage,
    coverage_json,
    load_annotations,
)
from goldwire.annotate.ballots import (
    WHAT,
    Ballot,
    Ballots,
    Tally,
    candidates,
    cast,
    doc_stance_ballots,
    entity_ballots,
    labels_json,
    link_stances,
    mention,
    number_entities,
    voters,
    votes,
    votes_json,
)
from goldwire.errors import UsageError
from goldwire.provenance import ADJUDICATED, LAYERS, NONE, Annotation
from goldwire.schema import DocStance, Document, Entity, LabelSchema, Stance, write_jsonl

if TYPE_CHECKING:
    from goldwire.annotate.review_merge import ReviewReport

CONFLICTS_FILE = "conflicts.jsonl"
#: meta keys of a pulled copy that describe that copy only (its Doccano example, its state)
PULL_META = frozenset({"doccano_example", "doccano_confirmed"})
OUTCOMES = tuple(f.value for f in Fate)

DEFINITIONS = {
    "kept": "the candidate's label entered gold",
    "dropped": "outvoted: a strict majority of the annotators did not mark the key, another "
    "label of the key was kept, its majority was below --min-agree, or prefer:USER overrode "
    "it; listed in conflicts.jsonl with decision 'dropped'",
    "review": "no decision: a tie (exactly half marked the key; always the case when two "
    "annotators disagree), most marked it but no label has a strict majority, several labels "
    "passed, or a stance without offsets; listed in conflicts.jsonl with decision 'review'",
    "candidate": "one label given to one key (entity offsets; stance holder and target "
    "offsets; document-stance target), with its voters among the annotators whose copy of "
    "that layer counts",
    "stances_endpoint_not_in_gold": "gold stances whose holder or target span is not a gold "
    "entity (judged on the stance itself; the mention keeps offsets and text, no entity id)",
    "provenance": "gold items: 'adjudicated' (by the rule; annotators = who gave the gold "
    "label, votes = every annotator's label at the key) or 'reviewed' (decided in a review "
    "round; adjudicated_by = the reviewer)",
    "documents_left_out": "documents no copy of which counts for any layer: not in gold",
    "layers_left_out": "annotator copies x layers that did not count (coverage left_out)",
    "outcomes": "candidates per layer and label by fate (kept, dropped, review), as the "
    "adjudication rule decided them, before any review round",
    "decision": "in a conflict record: what became of the candidates not kept (dropped or "
    "review; kept for an accepted minority under prefer:USER, listed for information)",
    "kind label": "the key was given different labels",
    "kind tie": "one label, exactly half of the annotators marked the key",
    "kind minority": "one label, fewer than half of the annotators marked the key",
    "kind below-min-agree": "a majority marked the key, fewer than --min-agree annotators",
    "kind overridden": "the annotator preferred by prefer:USER did not mark it",
    "kind no-span": "a stance without offsets on both ends: cannot be voted on",
    "kind unresolved": "a review round left it undecided (overlapping spans, several labels)",
}

__all__ = [
    "CONFLICTS_FILE",
    "Adjudication",
    "Adjudicator",
    "Decision",
    "Fate",
    "Majority",
    "Prefer",
    "Single",
    "Strategy",
    "adjudicate",
    "adjudicate_document",
    "adjudicate_set",
    "conflicts_path",
    "parse_strategy",
    "write_adjudication",
]


def outcome_tally() -> Tally:
    return Tally(OUTCOMES)


# --------------------------------------------------------------------------- one document


@dataclass
class _Voting:
    """One document being adjudicated: what is found is appended here."""

    doc_id: str
    text: str
    strategy: Adjudicator
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    tally: Tally = field(default_factory=outcome_tally)
    ballots: dict[str, Ballots] = field(default_factory=dict)

    def decide(self, layer: str, ballot: Ballot, annotators: tuple[str, ...],
               where: dict[str, Any]) -> Decision:  # fmt: skip
        """Decide one key, count its candidates, list it when something was not kept."""
        decision = self.strategy.decide(candidates(ballot), annotators)
        for label in ballot:
            self.tally.add(layer, label, decision.fate_of(label).value)
        if decision.kind is not None:
            self.conflicts.append({
                "document": self.doc_id, "what": WHAT[layer], "kind": decision.kind,
                "decision": decision.decision, **where, "labels": labels_json(ballot),
                "gold": decision.gold, "votes": votes_json(ballot),
                "annotators": list(annotators), "unmarked": _unmarked(ballot, annotators),
            })  # fmt: skip
        return decision


def _unmarked(ballot: Ballot, annotators: tuple[str, ...]) -> list[str]:
    marked = set().union(*map(set, ballot.values()))
    return [a for a in annotators if a not in marked]


def _entities(voting: _Voting, copies: Mapping[str, Document]) -> list[Entity]:
    annotators, text = tuple(copies), voting.text
    ballots = entity_ballots(copies)
    voting.ballots["entities"] = ballots
    gold: list[Entity] = []
    for (start, end), ballot in sorted(ballots.items()):
        where = {"start": start, "end": end, "text": text[start:end],
                 "overlapping": _overlapping(ballots, start, end, text)}  # fmt: skip
        label = voting.decide("entities", ballot, annotators, where).gold
        if label is not None:
            gold.append(Entity("", start, end, label, text[start:end], voters(ballot, label),
                               provenance=ADJUDICATED, votes=votes(ballot)))  # fmt: skip
    return number_entities(gold)


def _overlapping(ballots: Ballots, start: int, end: int, text: str) -> list[dict[str, Any]]:
    return [
        {"start": s, "end": e, "text": text[s:e], "label": lab, "annotators": sorted(who)}
        for (s, e), ballot in sorted(ballots.items())
        if (s, e) != (start, end) and s < end and start < e
        for lab, who in sorted(ballot.items())
    ]


def _stances(voting: _Voting, copies: Mapping[str, Document],
             gold_entities: list[Entity]) -> list[Stance]:  # fmt: skip
    annotators, text = tuple(copies), voting.text
    ballots: Ballots = {}
    for who, doc in copies.items():
        for s in doc.stances:
            h, t = doc.resolve(s.holder), doc.resolve(s.target)
            if h.has_span and t.has_span:
                cast(ballots, (h.start, h.end, t.start, t.end), s.label, who, s.provenance)
                continue
            voting.tally.add("stances", s.label, Fate.REVIEW.value)
            voting.conflicts.append({
                "document": voting.doc_id, "what": "stance", "kind": "no-span",
                "decision": Fate.REVIEW.value,
                "holder": {"text": h.text, "start": h.start, "end": h.end},
                "target": {"text": t.text, "start": t.start, "end": t.end},
                "labels": {s.label: [who]}, "gold": None,
                "votes": [{"annotator": who, "label": s.label, "provenance": s.provenance}],
                "annotators": list(annotators),
            })  # fmt: skip
    voting.ballots["stances"] = ballots
    spans = {(e.start, e.end) for e in gold_entities}
    gold: list[Stance] = []
    for (hs, he, ts, te), ballot in sorted(ballots.items()):
        where = {
            "holder": {"start": hs, "end": he, "text": text[hs:he], "in_gold": (hs, he) in spans},
            "target": {"start": ts, "end": te, "text": text[ts:te], "in_gold": (ts, te) in spans},
        }
        label = voting.decide("stances", ballot, annotators, where).gold
        if label is not None:
            gold.append(Stance(mention(text, hs, he), mention(text, ts, te), label,
                               voters(ballot, label), provenance=ADJUDICATED,
                               votes=votes(ballot)))  # fmt: skip
    return link_stances(gold, gold_entities)


def _doc_stances(voting: _Voting, copies: Mapping[str, Document]) -> list[DocStance]:
    annotators = tuple(copies)
    ballots = doc_stance_ballots(copies)
    voting.ballots["doc_stances"] = ballots
    gold: list[DocStance] = []
    for target, ballot in sorted(ballots.items()):
        label = voting.decide("doc_stances", ballot, annotators, {"target": target}).gold
        if label is not None:
            gold.append(DocStance(target, label, voters(ballot, label),
                                  provenance=ADJUDICATED, votes=votes(ballot)))  # fmt: skip
    return gold


@dataclass
class DocAdjudication:
    """One gold document, its conflicts, the tally of its candidates and its ballots
    (layer -> key -> ballot, for a review merge)."""

    document: Document
    conflicts: list[dict[str, Any]]
    tally: Tally
    ballots: dict[str, Ballots]


def common(values: list[str]) -> str:
    """The value all copies share; several joined with ``"; "`` (sorted); empty ones
    ignored."""
    return "; ".join(sorted({v for v in values if v}))


def adjudicate_document(doc_id: str, by_layer: Mapping[str, Mapping[str, Document]],
                        strategy: Adjudicator) -> DocAdjudication:  # fmt: skip
    """Gold for one document from the copies that count, per layer (``{layer: {annotator:
    copy}}``; a layer missing or empty had no counting copy)."""
    layers = {layer: dict(sorted((by_layer.get(layer) or {}).items())) for layer in LAYERS}
    everyone = {who: doc for copies in layers.values() for who, doc in copies.items()}
    if not everyone:
        raise ValueError(f"document {doc_id}: no copy counts for any layer")
    copies = dict(sorted(everyone.items()))
    base = next(iter(copies.values()))
    voting = _Voting(doc_id, base.text, strategy)
    entities = _entities(voting, layers["entities"])
    stances = _stances(voting, layers["stances"], entities)
    doc_stances = _doc_stances(voting, layers["doc_stances"])
    annotation = Annotation(
        *(ADJUDICATED if layers[layer] else NONE for layer in LAYERS),
        annotators=list(copies), adjudication=strategy.describe(),
        tool=common([d.annotation.tool for d in copies.values()]),
        guidelines=common([d.annotation.guidelines for d in copies.values()]),
    )  # fmt: skip
    # one annotator's Doccano bookkeeping is not the gold's; who and how are in annotation
    meta = {k: v for k, v in base.meta.items() if k not in PULL_META}
    gold = dataclasses.replace(
        base, entities=entities, stances=stances, doc_stances=doc_stances, meta=meta,
        paragraphs=list(base.paragraphs), annotation=annotation,
    )  # fmt: skip
    gold.validate()
    return DocAdjudication(gold, voting.conflicts, voting.tally, voting.ballots)


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class Adjudication:
    """Gold documents, the conflicts still to review, and the counts of what happened."""

    folder: str
    strategy: str
    annotators: tuple[str, ...]
    documents: list[Document]
    conflicts: list[dict[str, Any]]
    outcomes: Tally = field(default_factory=outcome_tally)
    counting: str = ""
    coverage: dict[str, Coverage] = field(default_factory=dict)
    left_out: tuple[str, ...] = ()
    ballots: dict[str, dict[str, Ballots]] = field(default_factory=dict, repr=False,
                                                   compare=False)  # fmt: skip
    review: ReviewReport | None = None

    def conflict_counts(self) -> dict[str, int]:
        """Conflicts by ``what:kind`` (``entity:tie``, ``stance:label``, ...)."""
        out: dict[str, int] = {}
        for c in self.conflicts:
            key = f"{c['what']}:{c['kind']}"
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))

    def stances_endpoint_not_in_gold(self) -> int:
        return sum(1 for d in self.documents for s in d.stances
                   if s.holder.entity is None or s.target.entity is None)  # fmt: skip

    def summary(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "strategy": self.strategy,
            "counting": self.counting,
            "annotators": list(self.annotators),
            "documents": len(self.documents),
            "documents_left_out": len(self.left_out),
            "layers_left_out": sum(c.layers_left_out for c in self.coverage.values()),
            "entities": sum(len(d.entities) for d in self.documents),
            "stances": sum(len(d.stances) for d in self.documents),
            "doc_stances": sum(len(d.doc_stances) for d in self.documents),
            "stances_endpoint_not_in_gold": self.stances_endpoint_not_in_gold(),
            "outcomes": self.outcomes.to_json(),
            "conflicts": len(self.conflicts),
            "conflicts_by_kind": self.conflict_counts(),
            "review": self.review.summary() if self.review is not None else None,
        }

    def to_json(self) -> dict[str, Any]:
        """The summary, what every count means, and what the counting left out."""
        definitions = dict(DEFINITIONS)
        if self.review is not None:
            definitions.update(self.review.definitions())
        return {
            "summary": self.summary(),
            "definitions": definitions,
            "coverage": coverage_json(self.counting, self.coverage, self.left_out),
        }


def adjudicate_set(annotations: AnnotationSet, strategy: str | Adjudicator,
                   *, min_agree: int = 1) -> Adjudication:  # fmt: skip
    """Adjudicate a loaded pull folder (what counts of it)."""
    chosen = parse_strategy(strategy, min_agree=min_agree)
    chosen.check(annotations)
    docs: list[Document] = []
    conflicts: list[dict[str, Any]] = []
    tally = outcome_tally()
    ballots: dict[str, dict[str, Ballots]] = {}
    for doc_id in annotations.documents:
        by_layer = {layer: annotations.copies(doc_id, layer) for layer in LAYERS}
        result = adjudicate_document(doc_id, by_layer, chosen)
        docs.append(result.document)
        conflicts.extend(result.conflicts)
        tally = tally + result.tally
        ballots[doc_id] = result.ballots
    counting = annotations.counting.describe() if annotations.layers is not None else ""
    return Adjudication(str(annotations.folder), chosen.describe(), annotations.annotators,
                        docs, conflicts, tally, counting, dict(annotations.coverage),
                        annotations.left_out, ballots)  # fmt: skip


def adjudicate(folder: str | Path, strategy: str | Adjudicator = "majority", *,
               min_agree: int = 1, labels: LabelSchema | None = None,
               include_unconfirmed: bool = False,
               review: str | Path | None = None) -> Adjudication:  # fmt: skip
    """Load a pull folder (``DIR/annotators/<username>.jsonl``), keep what counts,
    adjudicate it; with ``review`` (the pull folder of a review round) merge the reviewer's
    decisions (:func:`goldwire.annotate.review_merge.merge_review`)."""
    chosen = parse_strategy(strategy, min_agree=min_agree)  # bad options fail before reading
    annotations = load_annotations(folder, labels, include_unconfirmed=include_unconfirmed)
    result = adjudicate_set(annotations, chosen)
    if review is None:
        return result
    from goldwire.annotate.review_merge import merge_review

    return merge_review(result, review, labels=labels)


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
