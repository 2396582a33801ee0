"""Inter-annotator agreement over a pull folder: span F1, token kappa and alpha, stances; and
how often annotators accepted model suggestions unchanged.

Every figure is computed on **what counts** (:mod:`goldwire.annotate.annotations`): by
default only the layers an annotator confirmed, never a suggestion left unreviewed. Each
figure is per pair of annotators over the documents **both** annotated for that layer
(:meth:`AnnotationSet.shared`: entity figures over the documents whose entities count for
both, stance figures over those whose stances count for both; each pair says how many),
except Krippendorff's alpha, which takes all annotators at once with missing values.

* **Span F1** (pairwise, per label and overall) with the evaluate stage's matcher, the first
  annotator of the pair (alphabetically) as reference:

  - ``exact``: evaluate's ``strict`` schema: same offsets and same label;
  - ``overlap``: evaluate's ``type`` schema: same label and overlapping spans, paired one to
    one (identical spans first, then the overlapping span of the same label with the closest
    boundaries); an overlap counts when it covers at least ``min_overlap`` percent of the
    reference span (default 1.0, nervaluate's default, so in practice any shared character).

  Both are ``2 * COR / (spans of a + spans of b)``; ``exact`` is symmetric in a and b,
  ``overlap`` can depend on the direction only when a span overlaps several spans of the
  other annotator. Per label, each label is matched on its own (as evaluate does). Pooled
  figures sum the counts over pairs.
* **Token kappa** (Cohen's): tokens from :func:`goldwire.tokenize.tokenize` over each
  document's text; a token takes the label of the entity that overlaps it (several: the one
  starting first, then the longest) or ``O``. Per pair over the pooled tokens of the shared
  documents; the overall figure is the mean over pairs. Per label: one-vs-rest (the token has
  this label or not).
* **Krippendorff's alpha** (nominal), tokens x annotators, missing where an annotator did not
  annotate the document; overall and per label (one-vs-rest).
* **Stances**: mention level with evaluate's stance matching (``mention``: identical holder
  and target spans; ``mention_relaxed``: overlapping ones; the label must agree), and entity
  level on its (holder, target, label) triples of normalised names.

* **Suggestions** (the automation-bias figure, :class:`~goldwire.annotate.annotations.
  SuggestionUse`): per annotator over the layers that count, suggestions accepted unchanged,
  edited, rejected (deleted), orphaned (a suggested relation gone with a deleted span) and
  left unreviewed (not counted), and the **acceptance rate**
  ``accepted / (accepted + edited + rejected)``; pooled over annotators in the summary. A
  high rate with low human-human agreement is a warning that gold follows the model.

The empty case is decided explicitly: a figure with nothing to compare (no shared document,
no span on either side, a single category for kappa or alpha) is ``None``, shown as ``n/a``;
it is left out of means.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from goldwire.annotate.annotations import (
    AnnotationSet,
    Coverage,
    SuggestionUse,
    coverage_json,
    load_annotations,
    require_pairs,
    suggestion_use,
)
from goldwire.errors import InputError
from goldwire.evaluate.counts import Counts
from goldwire.evaluate.matching import Matcher, Scheme, encode_units
from goldwire.evaluate.stance import (
    StanceMode,
    match_stance_tuples,
    match_triples,
    stance_triples,
    stance_tuples,
)
from goldwire.provenance import LAYERS
from goldwire.schema import Document, LabelSchema
from goldwire.tokenize import token_offsets

OUTSIDE = "O"


class SpanLevel(str, Enum):
    EXACT = "exact"
    OVERLAP = "overlap"


SPAN_SCHEMES: dict[SpanLevel, Scheme] = {
    SpanLevel.EXACT: Scheme.STRICT,
    SpanLevel.OVERLAP: Scheme.TYPE,
}


class StanceLevel(str, Enum):
    MENTION = "mention"
    MENTION_RELAXED = "mention_relaxed"
    TRIPLE = "triple"


STANCE_MODES: dict[StanceLevel, StanceMode] = {
    StanceLevel.MENTION: StanceMode.STRICT,
    StanceLevel.MENTION_RELAXED: StanceMode.RELAXED,
}


# --------------------------------------------------------------------------- counts


def agreement_f1(counts: Counts) -> float | None:
    """F1 of two annotators' counts; ``None`` when neither marked anything."""
    if counts.possible + counts.actual == 0:
        return None
    return counts.scores().f1


@dataclass(frozen=True)
class CountTable:
    """Counts overall and per label; addable, ratios computed last."""

    overall: Counts = field(default_factory=Counts)
    by_label: Mapping[str, Counts] = field(default_factory=dict)

    def __add__(self, other: CountTable) -> CountTable:
        labels = sorted(set(self.by_label) | set(other.by_label))
        merged = {lab: self.by_label.get(lab, Counts()) + other.by_label.get(lab, Counts())
                  for lab in labels}  # fmt: skip
        return CountTable(self.overall + other.overall, merged)

    @classmethod
    def from_labels(cls, by_label: Mapping[str, Counts]) -> CountTable:
        return cls(sum(by_label.values(), Counts()), dict(sorted(by_label.items())))

    def f1(self, label: str | None = None) -> float | None:
        if label is None:
            return agreement_f1(self.overall)
        return agreement_f1(self.by_label.get(label, Counts()))

    def to_json(self) -> dict[str, Any]:
        def one(c: Counts) -> dict[str, Any]:
            return {**c.to_dict(), "f1": agreement_f1(c)}

        return {"overall": one(self.overall),
                "by_label": {lab: one(c) for lab, c in self.by_label.items()}}  # fmt: skip


def _sum_tables(tables: Sequence[CountTable]) -> CountTable:
    total = CountTable()
    for t in tables:
        total = total + t
    return total


def _mean(values: Sequence[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


# --------------------------------------------------------------------------- spans


def span_agreement(
    a_docs: Sequence[Document], b_docs: Sequence[Document], level: SpanLevel | str,
    *, min_overlap: float = 1.0,
) -> CountTable:  # fmt: skip
    """Counts of ``b``'s entities against ``a``'s (aligned document lists) at ``level``."""
    scheme = SPAN_SCHEMES[SpanLevel(level)]
    gold, pred, labels = encode_units([d.entities for d in a_docs], [d.entities for d in b_docs])
    overall = Matcher(scheme, min_overlap=min_overlap).assign(gold, pred).total()
    per_label = Matcher(scheme, min_overlap=min_overlap, per_label=True).assign(gold, pred)
    table = per_label.unit_label_counts(len(a_docs), len(labels)).sum(axis=0)
    return CountTable(overall, {lab: Counts.from_row(table[i]) for i, lab in enumerate(labels)})


# --------------------------------------------------------------------------- stances


def stance_agreement(
    a_docs: Sequence[Document], b_docs: Sequence[Document]
) -> tuple[dict[StanceLevel, CountTable], int]:
    """Stance counts per level, and how many stances lack spans (left out at mention level)."""
    per_level: dict[StanceLevel, list[dict[str, Counts]]] = {lvl: [] for lvl in StanceLevel}
    excluded = 0
    for da, db in zip(a_docs, b_docs, strict=True):
        ta, xa = stance_tuples(da)
        tb, xb = stance_tuples(db)
        excluded += xa + xb
        for level, mode in STANCE_MODES.items():
            per_level[level].append(match_stance_tuples(ta, tb, mode))
        per_level[StanceLevel.TRIPLE].append(match_triples(stance_triples(da), stance_triples(db)))
    tables = {
        level: _sum_tables([CountTable.from_labels(d) for d in docs])
        for level, docs in per_level.items()
    }
    return tables, excluded


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class TokenTable:
    """Token labels: one row per token of every document, one column per annotator.

    ``values`` holds codes into ``categories`` (``O`` is 0), ``-1`` where the annotator did
    not annotate the token's document.
    """

    annotators: tuple[str, ...]
    categories: tuple[str, ...]
    values: np.ndarray


def token_labels(doc: Document, starts: np.ndarray, ends: np.ndarray,
                 code: Mapping[str, int]) -> np.ndarray:  # fmt: skip
    """Code of the entity label covering each token (0 for ``O``).

    A token is covered by an entity it shares a character with; when several cover it, the
    entity starting first wins, then the longer one, then the smaller label.
    """
    out = np.zeros(len(starts), dtype=np.int64)
    for e in sorted(doc.entities, key=lambda e: (e.start, -e.end, e.label), reverse=True):
        lo = np.searchsorted(ends, e.start, side="right")
        hi = np.searchsorted(starts, e.end, side="left")
        out[lo:hi] = code[e.label]
    return out


def token_table(annotations: AnnotationSet, labels: Sequence[str]) -> TokenTable:
    """The tokens x annotators label table of a pull folder."""
    categories = (OUTSIDE, *labels)
    code = {lab: i for i, lab in enumerate(categories)}
    column = {name: j for j, name in enumerate(annotations.annotators)}
    blocks = []
    for doc_id in annotations.documents:
        copies = annotations.copies(doc_id, "entities")
        if not copies:
            continue
        text = next(iter(copies.values())).text
        offsets = np.array(token_offsets(text), dtype=np.int64).reshape(-1, 2)
        block = np.full((len(offsets), len(column)), -1, dtype=np.int64)
        for name, doc in copies.items():
            block[:, column[name]] = token_labels(doc, offsets[:, 0], offsets[:, 1], code)
        blocks.append(block)
    values = np.concatenate(blocks) if blocks else np.zeros((0, len(column)), dtype=np.int64)
    return TokenTable(annotations.annotators, categories, values)


def cohen_kappa(a: np.ndarray, b: np.ndarray, n_categories: int) -> float | None:
    """Cohen's kappa of two equal-length code arrays; ``None`` when chance agreement is 1."""
    n = len(a)
    if n == 0:
        return None
    k = n_categories
    confusion = np.bincount(a * k + b, minlength=k * k).reshape(k, k)
    observed = int(np.trace(confusion))
    chance = int(confusion.sum(axis=1) @ confusion.sum(axis=0))  # n^2 * p_e, exact integers
    if chance == n * n:
        return None
    return (n * observed - chance) / (n * n - chance)


def krippendorff_alpha(values: np.ndarray, n_categories: int) -> float | None:
    """Nominal Krippendorff's alpha of a units x coders code table (-1 = missing).

    Through the coincidence matrix: only units with at least two values count;
    ``alpha = 1 - (n - 1) * D_o / (n^2 - sum_c n_c^2)``, with ``D_o`` the off-diagonal sum
    of the coincidences. ``None`` when no unit is pairable or only one category occurs.
    """
    units, coders = values.shape
    present = values >= 0
    rows = np.repeat(np.arange(units), coders)[present.ravel()]
    counts = np.bincount(rows * n_categories + values[present],
                         minlength=units * n_categories).reshape(units, n_categories)  # fmt: skip
    m = counts.sum(axis=1)
    pairable = m >= 2
    counts, m = counts[pairable], m[pairable]
    n = int(m.sum())
    if n == 0:
        return None
    disagreement = float(np.sum((m * m - (counts * counts).sum(axis=1)) / (m - 1)))
    n_c = counts.sum(axis=0)
    expected = n * n - int(n_c @ n_c)
    if expected == 0:
        return None
    return 1.0 - (n - 1) * disagreement / expected


def pairable_units(values: np.ndarray) -> int:
    """Units (tokens) that at least two coders labelled."""
    return int(np.count_nonzero((values >= 0).sum(axis=1) >= 2))


# --------------------------------------------------------------------------- result

DEFINITIONS = {
    "counting": "an annotator's copy of a layer counts when its status holds gold (the "
    "annotator marked the example done), or is unconfirmed with --include-unconfirmed; an "
    "unreviewed suggestion (or an item of unknown provenance) is never counted; coverage "
    "says what was left out and why (left_out: layer -> status -> copies left out; "
    "items_removed: layer -> provenance -> items removed from counting layers).",
    "exact": "evaluate schema strict: same offsets and label",
    "reference": "the alphabetically first annotator of each pair",
    "pooled": "counts summed over pairs; kappa averaged over pairs",
    "pair documents": "entity figures over the documents whose entities count for both "
    "annotators of the pair (documents), stance figures over those whose stances count for "
    "both (stance_documents)",
    "suggestions": "per annotator over the layers that count: accepted = suggestions kept "
    "unchanged, edited = suggestions changed (label or offsets), rejected = suggestions "
    "deleted, orphaned = suggested relations gone with a deleted span, unreviewed = "
    "suggestions left untouched (removed, never counted), human = items made without a "
    "suggestion; rejected and orphaned are counted on documents whose entities or stances "
    "count",
    "acceptance_rate": "accepted / (accepted + edited + rejected): how often a reviewed "
    "suggestion was taken unchanged (the automation-bias figure); null when no suggestion "
    "was reviewed",
    "span_f1_exact": "span F1 at the exact level, counts pooled over pairs: 2 * COR / (spans "
    "of a + spans of b)",
    "span_f1_overlap": "span F1 at the overlap level, counts pooled over pairs",
    "token_kappa": "Cohen's kappa of token labels (O or the covering entity's label), per "
    "pair over the tokens of the documents both annotated, averaged over pairs",
    "token_alpha": "Krippendorff's alpha (nominal) of token labels, all annotators at once, "
    "missing where an annotator's entities do not count",
    "stance_f1_mention": "stance F1, identical holder and target spans and the same label",
    "stance_f1_mention_relaxed": "stance F1, overlapping holder and target spans and the same "
    "label",
    "stance_f1_triple": "stance F1 on (holder, target, label) triples of normalised names",
    "suggestion_acceptance_rate": "acceptance_rate of the annotators' suggestion counts summed",
    "suggestions_reviewed": "accepted + edited + rejected, summed over annotators",
    "documents_left_out": "documents no copy of which counts for any layer",
    "layers_left_out": "annotator copies x layers that do not count (coverage left_out summed)",
    "unreviewed_suggestions_removed": "suggestion-unreviewed items removed from the layers "
    "that count, summed over annotators",
}


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of annotators ``a`` and ``b`` over the documents both annotated:
    ``documents`` for the entity figures, ``stance_documents`` for the stance figures."""

    a: str
    b: str
    documents: int
    tokens: int
    spans: dict[SpanLevel, CountTable]
    stances: dict[StanceLevel, CountTable]
    stances_without_spans: int
    kappa: float | None
    kappa_by_label: dict[str, float | None]
    stance_documents: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "documents": self.documents,
            "stance_documents": self.stance_documents,
            "tokens": self.tokens,
            "kappa": self.kappa,
            "kappa_by_label": self.kappa_by_label,
            "spans": {lvl.value: t.to_json() for lvl, t in self.spans.items()},
            "stances": {lvl.value: t.to_json() for lvl, t in self.stances.items()},
            "stances_without_spans": self.stances_without_spans,
        }


@dataclass(frozen=True)
class AgreementResult:
    folder: str
    annotators: tuple[str, ...]
    documents: int
    documents_by_annotator: dict[str, int]
    multiply_annotated: int
    labels: tuple[str, ...]
    pairs: tuple[PairAgreement, ...]
    alpha: float | None
    alpha_by_label: dict[str, float | None]
    alpha_tokens: int
    min_overlap: float = 1.0
    counting: str = ""
    coverage: dict[str, Coverage] = field(default_factory=dict)
    left_out: tuple[str, ...] = ()
    suggestions: dict[str, SuggestionUse] = field(default_factory=dict)
    documents_by_layer: dict[str, dict[str, int]] = field(default_factory=dict)
    campaign: dict[str, Any] | None = None  # a campaign pull: which documents were used

    @property
    def suggestions_pooled(self) -> SuggestionUse:
        return sum(self.suggestions.values(), SuggestionUse())

    def spans(self, level: SpanLevel | str) -> CountTable:
        """Span counts summed over all pairs."""
        return _sum_tables([p.spans[SpanLevel(level)] for p in self.pairs])

    def stances(self, level: StanceLevel | str) -> CountTable:
        """Stance counts summed over all pairs."""
        return _sum_tables([p.stances[StanceLevel(level)] for p in self.pairs])

    @property
    def stance_labels(self) -> tuple[str, ...]:
        return tuple(sorted({lab for lvl in StanceLevel for lab in self.stances(lvl).by_label}))

    @property
    def kappa(self) -> float | None:
        """Mean of the pairs' kappas (pairs where it is defined)."""
        return _mean([p.kappa for p in self.pairs])

    def kappa_for(self, label: str) -> float | None:
        return _mean([p.kappa_by_label.get(label) for p in self.pairs])

    def summary(self) -> dict[str, Any]:
        """The headline figures (what a data card shows)."""
        return {
            "annotators": len(self.annotators),
            "documents": self.documents,
            "documents_multiply_annotated": self.multiply_annotated,
            "span_f1_exact": self.spans(SpanLevel.EXACT).f1(),
            "span_f1_overlap": self.spans(SpanLevel.OVERLAP).f1(),
            "token_kappa": self.kappa,
            "token_alpha": self.alpha,
            "stance_f1_mention": self.stances(StanceLevel.MENTION).f1(),
            "stance_f1_mention_relaxed": self.stances(StanceLevel.MENTION_RELAXED).f1(),
            "stance_f1_triple": self.stances(StanceLevel.TRIPLE).f1(),
            "suggestion_acceptance_rate": self.suggestions_pooled.acceptance_rate,
            "suggestions_reviewed": self.suggestions_pooled.reviewed,
            "documents_left_out": len(self.left_out),
            "layers_left_out": sum(c.layers_left_out for c in self.coverage.values()),
            "unreviewed_suggestions_removed": self.suggestions_pooled.unreviewed,
        }

    def definitions(self) -> dict[str, str]:
        """What every figure means (the data card copies these)."""
        return {
            **DEFINITIONS,
            "counting": f"{DEFINITIONS['counting']} Here: {self.counting or 'every layer'}.",
            "overlap": "evaluate schema type: same label, spans overlap by at least "
            f"{self.min_overlap:g}% of the reference span, one to one",
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "annotators": list(self.annotators),
            "documents": self.documents,
            "documents_by_annotator": self.documents_by_annotator,
            "documents_multiply_annotated": self.multiply_annotated,
            "labels": list(self.labels),
            "documents_by_layer": self.documents_by_layer,
            "definitions": self.definitions(),
            "summary": self.summary(),
            "coverage": coverage_json(self.counting, self.coverage, self.left_out),
            "suggestions": {
                "by_annotator": {n: u.to_json() for n, u in sorted(self.suggestions.items())},
                "pooled": self.suggestions_pooled.to_json(),
            },
            "kappa": self.kappa,
            "kappa_by_label": {lab: self.kappa_for(lab) for lab in self.labels},
            "alpha": self.alpha,
            "alpha_by_label": self.alpha_by_label,
            "alpha_tokens": self.alpha_tokens,
            "spans": {lvl.value: self.spans(lvl).to_json() for lvl in SpanLevel},
            "stances": {lvl.value: self.stances(lvl).to_json() for lvl in StanceLevel},
            "pairs": [p.to_json() for p in self.pairs],
            "campaign": self.campaign,
        }


# --------------------------------------------------------------------------- computing


def entity_labels(annotations: AnnotationSet, schema: LabelSchema | None = None) -> tuple[str, ...]:
    """Labels in the schema's order (if given) then any others seen, sorted."""
    seen = {e.label for copies in annotations.documents.values()
            for doc in copies.values() for e in doc.entities}  # fmt: skip
    first = list(schema.entity_labels) if schema is not None else []
    return tuple(first + sorted(seen - set(first)))


def pair_agreement(annotations: AnnotationSet, a: str, b: str, tokens: TokenTable,
                   *, min_overlap: float = 1.0) -> PairAgreement:  # fmt: skip
    """Agreement of one pair over the documents both annotated (per layer)."""

    def docs(layer: str) -> tuple[list[Document], list[Document]]:
        ids = annotations.shared(a, b, layer)
        return ([annotations.documents[i][a] for i in ids],
                [annotations.documents[i][b] for i in ids])  # fmt: skip

    a_docs, b_docs = docs("entities")
    spans = {lvl: span_agreement(a_docs, b_docs, lvl, min_overlap=min_overlap)
             for lvl in SpanLevel}  # fmt: skip
    a_stances, b_stances = docs("stances")
    stances, excluded = stance_agreement(a_stances, b_stances)
    ja, jb = tokens.annotators.index(a), tokens.annotators.index(b)
    both = (tokens.values[:, ja] >= 0) & (tokens.values[:, jb] >= 0)
    ta, tb = tokens.values[both, ja], tokens.values[both, jb]
    k = len(tokens.categories)
    by_label = {lab: cohen_kappa((ta == c).astype(np.int64), (tb == c).astype(np.int64), 2)
                for c, lab in enumerate(tokens.categories) if c > 0}  # fmt: skip
    return PairAgreement(a, b, len(a_docs), int(both.sum()), spans, stances, excluded,
                         cohen_kappa(ta, tb, k), by_label, len(a_stances))  # fmt: skip


def compute_agreement(
    annotations: AnnotationSet, *, labels: LabelSchema | None = None, min_overlap: float = 1.0
) -> AgreementResult:
    """Every agreement figure of a loaded pull folder (see the module docstring)."""
    require_pairs(annotations)
    names = entity_labels(annotations, labels)
    tokens = token_table(annotations, names)
    pairs = tuple(pair_agreement(annotations, a, b, tokens, min_overlap=min_overlap)
                  for a, b in annotations.pairs())  # fmt: skip
    values = tokens.values
    alpha_by_label = {}
    for c, lab in enumerate(tokens.categories):
        if c > 0:
            binary = np.where(values < 0, -1, (values == c).astype(np.int64))
            alpha_by_label[lab] = krippendorff_alpha(binary, 2)
    return AgreementResult(
        folder=str(annotations.folder),
        annotators=annotations.annotators,
        documents=len(annotations),
        documents_by_annotator=annotations.documents_by_annotator(),
        multiply_annotated=annotations.multiply_annotated(),
        labels=names,
        pairs=pairs,
        alpha=krippendorff_alpha(values, len(tokens.categories)),
        alpha_by_label=alpha_by_label,
        alpha_tokens=pairable_units(values),
        min_overlap=min_overlap,
        counting=annotations.counting.describe() if annotations.layers is not None else "",
        coverage=dict(annotations.coverage),
        left_out=annotations.left_out,
        suggestions=suggestion_use(annotations),
        documents_by_layer={
            layer: annotations.documents_by_annotator(layer) for layer in LAYERS
        },  # fmt: skip
    )


def agreement(
    folder: str | Path, *, labels: LabelSchema | None = None, min_overlap: float = 1.0,
    include_unconfirmed: bool = False,
) -> AgreementResult:  # fmt: skip
    """Load a pull folder (``DIR/annotators/<username>.jsonl``), keep what counts
    (confirmed layers; with ``include_unconfirmed`` unconfirmed ones too; never an
    unreviewed suggestion) and compute its agreement. A campaign's pull folder
    (``campaign.json``) is measured on the documents assigned to more than one annotator."""
    scope = campaign_scope(folder)
    only = scope["overlap_ids"] if scope else None
    annotations = load_annotations(folder, labels, include_unconfirmed=include_unconfirmed,
                                   only=only)  # fmt: skip
    result = compute_agreement(annotations, labels=labels, min_overlap=min_overlap)
    if scope is None:
        return result
    campaign = {
        "name": scope["name"],
        "documents_assigned": scope["documents"],
        "assigned_to_several": len(only or ()),
        "annotated_by_several": result.multiply_annotated,
    }
    return dataclasses.replace(result, campaign=campaign)


def campaign_scope(folder: str | Path) -> dict[str, Any] | None:
    """A campaign pull folder's name, document count and overlap ids (None: not one)."""
    from goldwire.annotate.pull_folder import CAMPAIGN

    path = Path(folder) / CAMPAIGN
    if not path.is_file():
        return None
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
        assigned = plan["assigned"]
        overlap = [str(i) for i, who in assigned.items() if len(who) > 1]
        return {"name": str(plan["name"]), "documents": len(assigned), "overlap_ids": overlap}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            f"{path}: not a campaign plan ({exc}); pull the campaign again to rewrite it"
        ) from None
