"""Scoring runs: goldwire documents or CoNLL files in, one :class:`ScoreResult` out.

A result is a set of sections (entities under each schema, conlleval views, stance mentions,
stance triples, document stance), each a :class:`~goldwire.evaluate.bootstrap.Block` of
per-document counts plus the figures and confidence intervals the bootstrap gives it. The
blocks stay on the result, so two results on the same gold can be compared with the paired
test (:func:`compare`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np

from goldwire import __version__
from goldwire.errors import UsageError
from goldwire.evaluate import bootstrap as bs
from goldwire.evaluate.analysis import Analysis, DocLocator, TokenLocator, analyse
from goldwire.evaluate.conll import ConllFile, FlatTags, check_aligned
from goldwire.evaluate.counts import N_COUNTS, Counts
from goldwire.evaluate.docstance import (
    DocStanceSetup,
    doc_stance_counts,
    pair_doc_stances,
    sklearn_view,
    statistic_for,
)
from goldwire.evaluate.inputs import GoldSet, PredictionSet
from goldwire.evaluate.matching import (
    SCHEMES,
    Alignment,
    Scheme,
    SpanArrays,
    check_min_overlap,
)
from goldwire.evaluate.metrics import labelled_statistic
from goldwire.evaluate.selection import documents_section
from goldwire.evaluate.stance import (
    AliasTable,
    StanceMode,
    match_stance_tuples,
    match_triples,
    stance_triples,
    stance_tuples,
)
from goldwire.schema import Document

TITLES = {
    "entities.strict": "Entities, strict: span and label exact",
    "entities.exact": "Entities, exact: span exact, any label",
    "entities.partial": "Entities, partial: span overlaps (half credit), any label",
    "entities.type": "Entities, type: label exact, span overlaps",
    "conll.conlleval": "CoNLL, conlleval (seqeval default mode)",
    "conll.iob2_strict": "CoNLL, strict IOB2 (seqeval mode='strict', scheme=IOB2)",
    "stances.mention_strict": "Stances, mention level strict: both spans and label exact",
    "stances.mention_relaxed": "Stances, mention level relaxed: both spans overlap, label exact",
    "stances.entity": "Stances, entity level: (holder, target, label) name triples",
    "doc_stances": "Document stance",
}
HEADLINE = {
    "labelled": ("micro.precision", "micro.recall", "micro.f1", "macro.f1"),
    "classification": ("accuracy", "macro_f1", "semeval2016", "fnc1"),
}


@dataclass(frozen=True)
class ScoreOptions:
    resamples: int = 1000
    seed: int | None = 0
    confidence: float = 0.95
    min_overlap: float = 1.0
    alias: AliasTable | None = None
    opinion: tuple[str, str] | None = None
    analysis: bool = True

    def __post_init__(self) -> None:  # fail before any file is read
        bs.check_settings(self.resamples, self.confidence)
        check_min_overlap(self.min_overlap)


@dataclass
class Section:
    """One family of figures: a block of per-document counts and what it scores to."""

    name: str
    kind: str  # "labelled" (P/R/F1 per label) or "classification" (document stance)
    labels: list[str]
    block: bs.Block
    weighted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, bs.Estimate] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return TITLES.get(self.name, self.name)

    def headline(self) -> list[str]:
        return [f for f in HEADLINE[self.kind] if f in self.figures]

    def counts(self) -> dict[str, Counts]:
        """Labelled sections: ``micro`` and per-label counts summed over documents."""
        totals = self.block.counts.sum(axis=0).reshape(-1, N_COUNTS)
        out = {"micro": Counts.from_row(totals[0])}
        out.update({lab: Counts.from_row(totals[i + 1]) for i, lab in enumerate(self.labels)})
        return out

    def to_dict(self) -> dict[str, Any]:
        fig = {k: v.to_dict() for k, v in self.figures.items()}
        out: dict[str, Any] = {"title": self.title, "kind": self.kind, "labels": self.labels}
        if self.kind == "labelled":
            counts = self.counts()
            averages = ("micro", "macro", "weighted") if self.weighted else ("micro", "macro")
            for avg in averages:
                out[avg] = {m: fig[f"{avg}.{m}"] for m in ("precision", "recall", "f1")}
            out["micro"]["counts"] = counts["micro"].to_dict()
            out["per_label"] = {
                lab: {
                    **{m: fig[f"label.{lab}.{m}"] for m in ("precision", "recall", "f1")},
                    "counts": counts[lab].to_dict(),
                }
                for lab in self.labels
            }
        else:
            out["figures"] = {k: v for k, v in fig.items() if not k.startswith("class.")}
            out["per_class"] = {
                c: {m: fig[f"class.{c}.{m}"] for m in ("precision", "recall", "f1")}
                for c in self.labels
            }
        out.update(self.extra)
        return out


@dataclass
class ScoreResult:
    source: dict[str, Any]
    documents: dict[str, Any]
    sections: dict[str, Section]
    options: ScoreOptions
    analysis: Analysis | None = None

    def blocks(self) -> list[bs.Block]:
        return [s.block for s in self.sections.values()]

    @property
    def n_units(self) -> int:
        """Units scored: documents with gold on some layer (CoNLL: documents or sentences)."""
        return int(self.documents.get("gold", 0))

    def to_dict(self) -> dict[str, Any]:
        o = self.options
        return {
            "goldwire_version": __version__,
            "source": self.source,
            "documents": self.documents,
            "bootstrap": {
                "resamples": o.resamples,
                "seed": o.seed,
                "confidence": o.confidence,
                "unit": self.documents.get("unit", "document"),
                "method": "percentile",
            },
            "min_overlap_percent": o.min_overlap,
            "sections": {name: s.to_dict() for name, s in self.sections.items()},
            "analysis": self.analysis.to_dict() if self.analysis else None,
        }


# --------------------------------------------------------------------------- entity sections


def _group_rows(counts: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Sum rows of sentences into their documents (``groups`` sorted, one id per row)."""
    if groups is None or not len(counts):
        return counts
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    return np.add.reduceat(counts, starts, axis=0)


def _flat(table: np.ndarray) -> np.ndarray:
    """Units x (columns x counts) as one row per unit; zero units give zero rows."""
    return table.reshape(table.shape[0], int(np.prod(table.shape[1:])))


def _present(gold: SpanArrays, pred: SpanArrays) -> list[int]:
    return sorted(set(np.unique(gold.label).tolist()) | set(np.unique(pred.label).tolist()))


def entity_sections(
    gold: SpanArrays,
    pred: SpanArrays,
    labels: Sequence[str],
    n_units: int,
    *,
    groups: np.ndarray | None = None,
    min_overlap: float = 1.0,
) -> tuple[list[Section], Alignment]:
    """The four schema sections: overall (micro) counts and per-label counts per unit."""
    al = Alignment(gold, pred, min_overlap=min_overlap)
    present = _present(gold, pred)
    names = [labels[i] for i in present]
    sections = []
    for scheme in SCHEMES:
        overall = al.assign(scheme).unit_counts(n_units)
        per = al.assign(scheme, per_label=True).unit_label_counts(n_units, len(labels))
        table = np.concatenate([overall[:, None, :], per[:, present, :]], axis=1)
        table = _group_rows(_flat(table), groups)
        name = f"entities.{scheme.value}"
        sections.append(
            Section(name, "labelled", names, bs.Block(name, table, labelled_statistic(names)))
        )
    return sections, al


def conlleval_section(
    name: str,
    gold: SpanArrays,
    pred: SpanArrays,
    labels: Sequence[str],
    n_units: int,
    *,
    groups: np.ndarray | None,
    alignment: Alignment | None = None,
) -> Section:
    """A conlleval view: exact span-and-label matching, micro = the sum over labels."""
    al = alignment or Alignment(gold, pred)
    present = _present(gold, pred)
    names = [labels[i] for i in present]
    per = al.assign(Scheme.STRICT, per_label=True).unit_label_counts(n_units, len(labels))
    per = per[:, present, :]
    table = np.concatenate([per.sum(axis=1, keepdims=True), per], axis=1)
    table = _group_rows(_flat(table), groups)
    return Section(
        name,
        "labelled",
        names,
        bs.Block(name, table, labelled_statistic(names, weighted=True)),
        weighted=True,
    )


# --------------------------------------------------------------------------- stance sections


def _label_table(per_doc: list[dict[str, Counts]], labels: list[str]) -> np.ndarray:
    table = np.zeros((len(per_doc), 1 + len(labels), N_COUNTS), dtype=np.int64)
    index = {lab: i + 1 for i, lab in enumerate(labels)}
    for d, by_label in enumerate(per_doc):
        for lab, c in by_label.items():
            table[d, index[lab]] += c.as_row()
    table[:, 0] = table[:, 1:].sum(axis=1)
    return table.reshape(len(per_doc), -1)


def stance_sections(
    gold_docs: Sequence[Document], pred_docs: Sequence[Document | None], alias: AliasTable | None
) -> list[Section]:
    """Mention-level (strict, relaxed) and entity-level stance sections."""
    empty = Document(id="", text="")
    per: dict[str, list[dict[str, Counts]]] = {
        "mention_strict": [],
        "mention_relaxed": [],
        "entity": [],
    }
    excluded = {"gold": 0, "pred": 0}
    for gold, pred in zip(gold_docs, pred_docs, strict=True):
        pred = pred or empty
        g_tuples, g_out = stance_tuples(gold)
        p_tuples, p_out = stance_tuples(pred)
        excluded["gold"] += g_out
        excluded["pred"] += p_out
        per["mention_strict"].append(match_stance_tuples(g_tuples, p_tuples, StanceMode.STRICT))
        per["mention_relaxed"].append(match_stance_tuples(g_tuples, p_tuples, StanceMode.RELAXED))
        per["entity"].append(
            match_triples(stance_triples(gold, alias), stance_triples(pred, alias))
        )
    sections = []
    for key, docs in per.items():
        labels = sorted({lab for d in docs for lab in d})
        name = f"stances.{key}"
        extra = (
            {"excluded_without_offsets": dict(excluded)}
            if key.startswith("mention")
            else {"aliases": len(alias) if alias else 0}
        )
        sections.append(
            Section(
                name,
                "labelled",
                labels,
                bs.Block(name, _label_table(docs, labels), labelled_statistic(labels)),
                extra=extra,
            )
        )
    return sections


def doc_stance_section(
    gold_docs: Sequence[Document],
    pred_docs: Sequence[Document | None],
    labels: Sequence[str],
    options: ScoreOptions,
) -> Section | None:
    pairs = pair_doc_stances(gold_docs, pred_docs, options.alias)
    if not len(pairs):
        return None
    setup = DocStanceSetup.infer(pairs, labels, options.opinion)
    block = bs.Block(
        "doc_stances", doc_stance_counts(pairs, setup, len(gold_docs)), statistic_for(setup)
    )
    view = sklearn_view(pairs, setup)
    extra = {
        "pairs": len(pairs),
        "pairs_without_prediction": sum(p is None for p in pairs.pred),
        "predictions_for_targets_not_in_gold": pairs.unpaired_predictions,
        "opinion_classes": list(setup.opinion) if setup.opinion else None,
        "fnc_unrelated_label": setup.unrelated,
        "support": dict(zip(setup.classes, view.support, strict=True)),
        "confusion_matrix": {
            "rows": list(setup.classes),
            "columns": view.confusion_labels,
            "counts": view.confusion,
        },
    }
    section = Section("doc_stances", "classification", list(setup.classes), block, extra=extra)
    section.extra["_sklearn"] = view
    return section


# --------------------------------------------------------------------------- runs


def _finish(sections: list[Section], options: ScoreOptions) -> dict[str, Section]:
    estimates = bs.estimate(
        [s.block for s in sections],
        resamples=options.resamples,
        seed=options.seed,
        confidence=options.confidence,
    )
    for s in sections:
        s.figures = estimates[s.name]
        view = s.extra.pop("_sklearn", None)
        if view is not None:  # the point values scikit-learn gives (identical by test)
            _use_sklearn(s, view)
    return {s.name: s for s in sections}


def _use_sklearn(section: Section, view) -> None:
    def put(name: str, value: float) -> None:
        old = section.figures[name]
        section.figures[name] = bs.Estimate(value, old.low, old.high)

    put("accuracy", view.accuracy)
    put("macro_f1", view.macro_f1)
    for i, c in enumerate(section.labels):
        put(f"class.{c}.precision", view.precision[i])
        put(f"class.{c}.recall", view.recall[i])
        put(f"class.{c}.f1", view.f1[i])


def entity_arrays(
    gold_docs: Sequence[Document],
    pred_docs: Sequence[Document | None],
    labels: Sequence[str] | None,
) -> tuple[SpanArrays, SpanArrays, tuple[str, ...]]:
    """Columnar entity spans of aligned documents, with one sorted label table."""
    sides = []
    for docs in (gold_docs, pred_docs):
        lists = [d.entities if d is not None else [] for d in docs]
        ents = [e for ents in lists for e in ents]
        units = np.repeat(np.arange(len(lists), dtype=np.int64), [len(x) for x in lists])
        sides.append((ents, units))
    names = [list(map(attrgetter("label"), ents)) for ents, _ in sides]
    table = tuple(sorted(set(labels or ()).union(*names)))
    code = {name: i for i, name in enumerate(table)}

    def arrays(ents, units, label_names) -> SpanArrays:
        n = len(ents)
        start = np.fromiter(map(attrgetter("start"), ents), np.int64, count=n)
        end = np.fromiter(map(attrgetter("end"), ents), np.int64, count=n)
        return SpanArrays(
            units, start, end, np.fromiter(map(code.__getitem__, label_names), np.int64, count=n)
        )

    (g_ents, g_units), (p_ents, p_units) = sides
    return arrays(g_ents, g_units, names[0]), arrays(p_ents, p_units, names[1]), table


def score_documents(
    gold: GoldSet, preds: PredictionSet, options: ScoreOptions | None = None
) -> ScoreResult:
    """Score predicted goldwire documents against gold documents, each layer on the
    documents that hold gold on it (``gold.coverage``)."""
    options = options or ScoreOptions()
    layers = gold.coverage.layers
    sections: list[Section] = []
    analysis = None
    if "entities" in layers and layers["entities"].docs:
        g_docs, p_docs = _pick(gold, preds, "entities")
        schema_labels = gold.labels.entity_labels if gold.labels else None
        g_arr, p_arr, labels = entity_arrays(g_docs, p_docs, schema_labels)
        sections, al = entity_sections(
            g_arr, p_arr, labels, len(g_docs), min_overlap=options.min_overlap
        )
        if options.analysis:
            where = DocLocator([d.id for d in g_docs], [d.text for d in g_docs])
            analysis = analyse(al.assign(Scheme.STRICT), al.assign(Scheme.PARTIAL), labels, where)
    if "stances" in layers and layers["stances"].docs:
        g_docs, p_docs = _pick(gold, preds, "stances")
        if any(d.stances for d in g_docs) or any(d is not None and d.stances for d in p_docs):
            sections += stance_sections(g_docs, p_docs, options.alias)
    if "doc_stances" in layers and layers["doc_stances"].docs:
        g_docs, p_docs = _pick(gold, preds, "doc_stances")
        doc_labels = gold.labels.doc_stance_labels if gold.labels else []
        doc_section = doc_stance_section(g_docs, p_docs, doc_labels, options)
        if doc_section is not None:
            sections.append(doc_section)
    return ScoreResult(
        source={"gold": gold.source, "split": gold.split, "pred": preds.path, "format": "goldwire"},
        documents=documents_section(gold, preds),
        sections=_finish(sections, options),
        options=options,
        analysis=analysis,
    )


def _pick(
    gold: GoldSet, preds: PredictionSet, layer: str
) -> tuple[list[Document], list[Document | None]]:
    """The gold and predicted documents a layer is scored on."""
    coverage = gold.coverage.layers[layer]
    return coverage.take(gold.docs), coverage.take(preds.docs)


def score_conll(
    gold: ConllFile, pred: ConllFile, options: ScoreOptions | None = None
) -> ScoreResult:
    """Score a predicted CoNLL file against a gold one, aligned token by token."""
    options = options or ScoreOptions()
    check_aligned(gold, pred)
    flat = FlatTags.of(gold), FlatTags.of(pred)
    labels = tuple(sorted(flat[0].labels() | flat[1].labels()))
    code = {n: i for i, n in enumerate(labels)}
    n = len(gold.sentences)
    groups = (
        np.array([s.doc for s in gold.sentences], dtype=np.int64) if gold.has_docstart else None
    )
    g_arr, p_arr = (f.conlleval_spans(code) for f in flat)
    sections, al = entity_sections(
        g_arr, p_arr, labels, n, groups=groups, min_overlap=options.min_overlap
    )
    conlleval = conlleval_section(
        "conll.conlleval", g_arr, p_arr, labels, n, groups=groups, alignment=al
    )
    g_strict, p_strict = (f.strict_spans(code) for f in flat)
    strict = conlleval_section("conll.iob2_strict", g_strict, p_strict, labels, n, groups=groups)
    analysis = None
    if options.analysis:
        where = TokenLocator(
            [f"sentence {i + 1} (line {s.line})" for i, s in enumerate(gold.sentences)],
            [s.tokens for s in gold.sentences],
        )
        analysis = analyse(al.assign(Scheme.STRICT), al.assign(Scheme.PARTIAL), labels, where)
    n_units = gold.n_docs if gold.has_docstart else n
    return ScoreResult(
        source={"gold": gold.path, "split": None, "pred": pred.path, "format": "conll"},
        documents={
            "gold": n_units,
            "sentences": n,
            "tokens": sum(len(s.tokens) for s in gold.sentences),
            "without_prediction": 0,
            "skipped": [],
            "unit": "document" if gold.has_docstart else "sentence",
        },
        sections=_finish([conlleval, strict, *sections], options),
        options=options,
        analysis=analysis,
    )


def compare(
    a: ScoreResult, b: ScoreResult, *, resamples: int | None = None, seed: int | None = None
) -> dict[str, dict[str, bs.Comparison]]:
    """Paired bootstrap test of run A against run B, on every figure both have."""
    if a.source.get("gold") != b.source.get("gold") or a.n_units != b.n_units:
        raise UsageError(
            "the two runs were scored on different gold; compare runs on the "
            "same --gold (and --split)"
        )
    o = a.options
    return bs.paired_test(
        a.blocks(),
        b.blocks(),
        resamples=o.resamples if resamples is None else resamples,
        seed=o.seed if seed is None else seed,
        confidence=o.confidence,
    )
