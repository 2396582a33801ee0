"""A pull folder: every annotator's documents, matched across annotators by document id, and
what of them counts as a judgement.

``goldwire annotate pull`` writes one goldwire JSONL per annotator::

    DIR/annotators/<username>.jsonl

(a username that is not a safe file name gets a slug with a hash instead; ``summary.json``
maps every annotator to their file, :mod:`~goldwire.annotate.annotator_names`; annotators
are known by their real names). Documents are matched by ``id``; every copy of a document
must have the same ``text_sha256``, since offsets only agree when the texts do.

**What counts** (:class:`Counting`, used by agreement and adjudication alike). An
annotator's copy of a document counts **per layer** (``entities``, ``stances``,
``doc_stances``): by default a layer counts when its status holds gold
(:func:`goldwire.provenance.has_gold`: ``annotated``, i.e. the annotator marked the example
done); with ``include_unconfirmed`` an ``unconfirmed`` layer counts too. A layer that counts
is an annotation even when empty ("nothing to mark here"); a layer that does not count is
left out and its items emptied. Files written before goldwire recorded statuses (no
``annotation`` key) read as fully annotated and count as they always did. An item whose
provenance is ``suggestion-unreviewed`` (a model suggestion nobody looked at), or
``unknown`` (the record that would tell could not be read), is never a judgement
(:func:`goldwire.provenance.is_judgement`): it is removed from every copy before any figure
or vote. A copy with no counting layer is not in :attr:`AnnotationSet.documents`;
a document with no counting copy at all is listed in :attr:`AnnotationSet.left_out`. What was
left out, and why, is counted per annotator in :class:`Coverage`.

Stance mentions of a counting copy carry their offsets and text (resolved from the entity
they name); they keep the entity id only while that entity is in the copy.

How an annotator used model suggestions on what counts (the automation-bias figure) is
:class:`SuggestionUse`, per annotator (:func:`suggestion_use`).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import Any

from goldwire.annotate.annotator_names import read_file_names
from goldwire.errors import InputError, UsageError
from goldwire.provenance import LAYERS, NONE, UNCONFIRMED, Provenance, has_gold, is_judgement
from goldwire.schema import Document, LabelSchema, Mention, Stance, read_jsonl

ANNOTATORS_DIR = "annotators"
PULL_HINT = "pull annotations with `goldwire annotate pull`"


# --------------------------------------------------------------------------- what counts


@dataclass(frozen=True)
class Counting:
    """Which statuses make an annotator's copy of a layer count."""

    include_unconfirmed: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.include_unconfirmed, bool):
            raise UsageError(f"include_unconfirmed must be true or false, "
                             f"got {self.include_unconfirmed!r}")  # fmt: skip

    def counts(self, status: str) -> bool:
        return has_gold(status) or (self.include_unconfirmed and status == UNCONFIRMED)

    def describe(self) -> str:
        if self.include_unconfirmed:
            return "confirmed and unconfirmed layers (--include-unconfirmed)"
        return "confirmed layers only"


@dataclass
class Coverage:
    """What of one annotator's copies counted, per layer; addable.

    ``copies``: documents in the annotator's file; ``counted[layer]``: copies whose layer
    counts; ``left_out[(layer, status)]``: copies whose layer does not, by status;
    ``removed[(layer, provenance)]``: items that are no judgement (unreviewed suggestions,
    unknown provenance) removed from layers that count.
    """

    copies: int = 0
    counted: Counter[str] = field(default_factory=Counter)
    left_out: Counter[tuple[str, str]] = field(default_factory=Counter)
    removed: Counter[tuple[str, str]] = field(default_factory=Counter)

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(self.copies + other.copies, self.counted + other.counted,
                        self.left_out + other.left_out,
                        self.removed + other.removed)  # fmt: skip

    @property
    def layers_left_out(self) -> int:
        return sum(self.left_out.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "copies": self.copies,
            "counted": {layer: self.counted[layer] for layer in LAYERS},
            "left_out": _by_layer(self.left_out),
            "items_removed": _by_layer(self.removed),
        }


def _by_layer(counts: Mapping[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (layer, key), n in sorted(counts.items()):
        out.setdefault(layer, {})[key] = n
    return out


# --------------------------------------------------------------------------- the set

Layers = Mapping[str, Mapping[str, frozenset[str]]]  # doc id -> annotator -> counting layers


@dataclass(frozen=True)
class AnnotationSet:
    """Every annotator's counting copy of every document of one pull folder.

    ``documents`` maps a document id to ``{annotator: Document}``, ids in the order they
    first appear (annotators read in sorted order), annotators sorted within each document.
    ``layers`` says which layers of each copy count; ``None`` (a set built in memory) means
    every layer of every copy counts. ``coverage`` (per annotator) and ``left_out`` (ids of
    documents no copy of which counts) say what the counting left out.
    """

    folder: Path
    annotators: tuple[str, ...]
    files: dict[str, Path]
    documents: dict[str, dict[str, Document]]
    layers: Layers | None = None
    coverage: dict[str, Coverage] = field(default_factory=dict)
    left_out: tuple[str, ...] = ()
    counting: Counting = field(default_factory=Counting)

    def __len__(self) -> int:
        return len(self.documents)

    def counts(self, doc_id: str, annotator: str, layer: str) -> bool:
        """Whether ``annotator``'s copy of ``doc_id`` counts for ``layer``."""
        if annotator not in self.documents.get(doc_id, {}):
            return False
        return self.layers is None or layer in self.layers[doc_id][annotator]

    def copies(self, doc_id: str, layer: str | None = None) -> dict[str, Document]:
        """The counting copies of a document (for ``layer``, or for any layer)."""
        copies = self.documents.get(doc_id, {})
        if layer is None:
            return dict(copies)
        return {who: doc for who, doc in copies.items() if self.counts(doc_id, who, layer)}

    def annotated_by(self, doc_id: str, layer: str | None = None) -> tuple[str, ...]:
        return tuple(self.copies(doc_id, layer))

    def shared(self, a: str, b: str, layer: str | None = None) -> list[str]:
        """Ids of the documents both ``a`` and ``b`` annotated (for ``layer``)."""
        if layer is None:
            return [i for i, copies in self.documents.items() if a in copies and b in copies]
        return [i for i in self.documents if self.counts(i, a, layer) and self.counts(i, b, layer)]

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every pair of annotators, ``a < b``."""
        return combinations(self.annotators, 2)

    def documents_by_annotator(self, layer: str | None = None) -> dict[str, int]:
        return {name: sum(1 for i in self.documents if name in self.copies(i, layer))
                for name in self.annotators}  # fmt: skip

    def multiply_annotated(self, layer: str | None = None) -> int:
        """How many documents at least two annotators annotated (for ``layer``)."""
        return sum(1 for i in self.documents if len(self.copies(i, layer)) >= 2)

    def coverage_json(self) -> dict[str, Any]:
        """What counted and what was left out, for the JSON reports."""
        return coverage_json(self.counting.describe(), self.coverage, self.left_out)


def coverage_json(counting: str, coverage: Mapping[str, Coverage],
                  left_out: Sequence[str]) -> dict[str, Any]:  # fmt: skip
    """What counted (``counting`` describes the rule) and what was left out."""
    return {
        "counting": counting,
        "documents_left_out": len(left_out),
        "documents_left_out_ids": list(left_out),
        "total": sum(coverage.values(), Coverage()).to_json(),
        "by_annotator": {name: c.to_json() for name, c in sorted(coverage.items())},
    }


# --------------------------------------------------------------------------- reading


def annotator_files(folder: str | Path) -> dict[str, Path]:
    """``{username: path}`` of ``folder/annotators/*.jsonl``: the files ``summary.json`` maps
    to their annotators' real names, then any other visible file under its stem
    (:func:`~goldwire.annotate.annotator_names.read_file_names`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; {PULL_HINT} --out {folder}")
    sub = folder / ANNOTATORS_DIR
    if not sub.is_dir():
        raise InputError(
            f"{folder}: no {ANNOTATORS_DIR}/ folder; a pull folder holds "
            f"{ANNOTATORS_DIR}/<username>.jsonl, one file per annotator ({PULL_HINT})"
        )
    files = read_file_names(folder, sub)
    if not files:
        raise InputError(
            f"{sub}: no <username>.jsonl files; {PULL_HINT} or copy one JSONL per annotator here"
        )
    return files


def read_annotations(folder: str | Path, labels: LabelSchema | None = None) -> AnnotationSet:
    """Read a pull folder as it is (every copy, every item); every span is checked, and with
    ``labels`` every label too.

    Raises :class:`InputError` for a missing folder, a document id used twice in one file,
    or copies of one document whose ``text_sha256`` differ between annotators.
    """
    folder = Path(folder)
    files = annotator_files(folder)
    documents: dict[str, dict[str, Document]] = {}
    for name, path in files.items():
        seen: set[str] = set()
        for doc in read_jsonl(path):
            if doc.id in seen:
                raise InputError(
                    f"{path}: document {doc.id} appears twice; keep one copy per annotator"
                )
            seen.add(doc.id)
            if labels is not None:
                try:
                    doc.validate(labels)
                except InputError as exc:
                    raise type(exc)(f"{path}: {exc}") from None
            copies = documents.setdefault(doc.id, {})
            if copies:
                _check_same_text(doc, path, copies, files)
            copies[name] = doc
    return AnnotationSet(folder, tuple(files), files, documents)


def load_annotations(folder: str | Path, labels: LabelSchema | None = None, *,
                     include_unconfirmed: bool = False,
                     only: Collection[str] | None = None) -> AnnotationSet:  # fmt: skip
    """Read a pull folder and keep what counts (see the module docstring); with ``only``,
    the documents with those ids alone (a campaign's overlap)."""
    raw = read_annotations(folder, labels)
    if only is not None:
        keep = set(only)
        raw = replace(raw, documents={i: c for i, c in raw.documents.items() if i in keep})
    return count_judgements(raw, Counting(include_unconfirmed))


def count_judgements(raw: AnnotationSet, counting: Counting) -> AnnotationSet:
    """The counting copies of a set read as it is: layers that do not count emptied,
    items that are no judgement removed, what was left out counted."""
    documents: dict[str, dict[str, Document]] = {}
    layers: dict[str, dict[str, frozenset[str]]] = {}
    coverage = {name: Coverage() for name in raw.annotators}
    left_out: list[str] = []
    for doc_id, copies in raw.documents.items():
        for who, doc in copies.items():
            counted = frozenset(layer for layer in LAYERS
                                if counting.counts(doc.annotation.status(layer)))  # fmt: skip
            _cover(coverage[who], doc, counted)
            if counted:
                judged, removed = judged_copy(doc, counted)
                coverage[who].removed.update(removed)
                documents.setdefault(doc_id, {})[who] = judged
                layers.setdefault(doc_id, {})[who] = counted
        if doc_id not in documents:
            left_out.append(doc_id)
    return AnnotationSet(raw.folder, raw.annotators, raw.files, documents, layers, coverage,
                         tuple(left_out), counting)  # fmt: skip


def _cover(coverage: Coverage, doc: Document, counted: frozenset[str]) -> None:
    coverage.copies += 1
    for layer in LAYERS:
        if layer in counted:
            coverage.counted[layer] += 1
        else:
            coverage.left_out[(layer, doc.annotation.status(layer) or NONE)] += 1


def judged_copy(doc: Document, counted: frozenset[str]) -> tuple[Document, Counter[str]]:
    """``doc`` with only the judgements of its counting layers; and how many items were
    removed, per layer and provenance."""
    removed: Counter[tuple[str, str]] = Counter()

    def judged(layer: str, items: list) -> list:
        if layer not in counted:
            return []
        removed.update((layer, item.provenance) for item in items
                       if not is_judgement(item.provenance))  # fmt: skip
        return [item for item in items if is_judgement(item.provenance)]

    entities = judged("entities", doc.entities)
    ids = {e.id for e in entities}
    stances = [_resolved(doc, s, ids) for s in judged("stances", doc.stances)]
    doc_stances = judged("doc_stances", doc.doc_stances)
    copy = dataclasses.replace(doc, entities=entities, stances=stances, doc_stances=doc_stances,
                               paragraphs=list(doc.paragraphs), meta=dict(doc.meta))  # fmt: skip
    return copy, removed


def _resolved(doc: Document, stance: Stance, ids: set[str]) -> Stance:
    def mention(m: Mention) -> Mention:
        m = doc.resolve(m)
        return Mention(m.text, m.start, m.end, m.entity if m.entity in ids else None)

    return dataclasses.replace(stance, holder=mention(stance.holder), target=mention(stance.target))


def _check_same_text(
    doc: Document, path: Path, copies: dict[str, Document], files: dict[str, Path]
) -> None:
    other_name, other = next(iter(copies.items()))
    if other.text_sha256 != doc.text_sha256:
        raise InputError(
            f"{path}: document {doc.id} has text_sha256 {doc.text_sha256[:12]}… but "
            f"{files[other_name].name} has {other.text_sha256[:12]}… for the same id; the "
            "annotators saw different texts: pull both from the same project or drop the "
            "stale file"
        )


def require_pairs(annotations: AnnotationSet) -> None:
    """Raise unless at least two annotators share at least one document."""
    if len(annotations.annotators) < 2:
        raise UsageError(
            f"{annotations.folder}: agreement needs at least two annotators, found "
            f"{len(annotations.annotators)} ({', '.join(annotations.annotators)}); "
            f"assign documents to a second annotator and pull again"
        )


# --------------------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class SuggestionUse:
    """How one annotator (or everyone, pooled) used model suggestions; addable.

    Over the layers that count: items the annotator made themselves (``human``), suggestions
    accepted unchanged (``accepted``) or edited (``edited``); suggestions the annotator
    deleted (``rejected``) and suggested relations that vanished with a deleted span
    (``orphaned``), counted per document where its entities or stances count (the pull
    records them per document, not per layer); ``unreviewed``: suggestions left untouched,
    removed from the counting layers and never a judgement. Items without provenance (files
    from before goldwire recorded it) are in none of these.
    """

    human: int = 0
    accepted: int = 0
    edited: int = 0
    rejected: int = 0
    orphaned: int = 0
    unreviewed: int = 0

    def __add__(self, other: SuggestionUse) -> SuggestionUse:
        return SuggestionUse(*(getattr(self, f.name) + getattr(other, f.name)
                               for f in dataclasses.fields(self)))  # fmt: skip

    @property
    def reviewed(self) -> int:
        """Suggestions the annotator decided on: accepted, edited or rejected."""
        return self.accepted + self.edited + self.rejected

    @property
    def acceptance_rate(self) -> float | None:
        """accepted / (accepted + edited + rejected); ``None`` when no suggestion was
        reviewed."""
        return self.accepted / self.reviewed if self.reviewed else None

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "reviewed": self.reviewed,
                "acceptance_rate": self.acceptance_rate}  # fmt: skip


_ITEM_USE = {Provenance.HUMAN: "human", Provenance.ACCEPTED: "accepted",
             Provenance.EDITED: "edited"}  # fmt: skip


def copy_suggestion_use(doc: Document, counted: frozenset[str]) -> SuggestionUse:
    """One counting copy's use of suggestions (``doc`` already holds judgements only)."""
    tally: Counter[str] = Counter()
    for layer in counted:
        for item in getattr(doc, layer):
            if item.provenance in _ITEM_USE:
                tally[_ITEM_USE[item.provenance]] += 1
    if counted & {"entities", "stances"}:
        tally["rejected"] += doc.annotation.rejected_suggestions
        tally["orphaned"] += doc.annotation.orphaned_suggestions
    return SuggestionUse(**tally)


def suggestion_use(annotations: AnnotationSet) -> dict[str, SuggestionUse]:
    """Per annotator, how they used suggestions on the documents that count."""
    out = {name: SuggestionUse() for name in annotations.annotators}
    for doc_id, copies in annotations.documents.items():
        for who, doc in copies.items():
            counted = frozenset(layer for layer in LAYERS if annotations.counts(doc_id, who, layer))
            out[who] = out[who] + copy_suggestion_use(doc, counted)
    for who, cov in annotations.coverage.items():
        unreviewed = sum(n for (_, prov), n in cov.removed.items() if prov == Provenance.UNREVIEWED)
        out[who] = out[who] + SuggestionUse(unreviewed=unreviewed)
    return out
