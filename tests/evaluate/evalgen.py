"""Generators and reference runners shared by the evaluate tests.

Hypothesis strategies for corpora of spans (gold and predictions per document), helpers that
turn them into goldwire documents, and the calls of the outside references (nervaluate,
seqeval) on the same data.
"""

from __future__ import annotations

import dataclasses
import random
import warnings
from collections.abc import Collection

from hypothesis import strategies as st

from goldwire.evaluate.inputs import GoldSet, PredictionSet
from goldwire.provenance import ANNOTATED, Annotation
from goldwire.schema import Document, Entity, LabelSchema

LABELS = ("LOC", "MISC", "ORG", "PER")
Span = tuple[int, int, str]


@st.composite
def disjoint_spans(draw, max_n: int = 8, labels=LABELS) -> list[Span]:
    """Sorted, non-overlapping spans (touching allowed)."""
    out, pos = [], 0
    for gap, length, label in draw(
        st.lists(
            st.tuples(st.integers(0, 4), st.integers(1, 6), st.sampled_from(labels)), max_size=max_n
        )
    ):
        start = pos + gap
        out.append((start, start + length, label))
        pos = start + length
    return out


@st.composite
def any_spans(draw, max_n: int = 8, labels=LABELS, extent: int = 30) -> list[Span]:
    """Spans that may overlap, nest, cross and repeat."""
    items = draw(
        st.lists(
            st.tuples(st.integers(0, extent), st.integers(1, 8), st.sampled_from(labels)),
            max_size=max_n,
        )
    )
    return [(s, s + n, lab) for s, n, lab in items]


ACTIONS = ("copy", "copy", "relabel", "shift", "grow", "shrink", "drop")


@st.composite
def predictions_for(draw, gold: list[Span], *, overlapping: bool, labels=LABELS) -> list[Span]:
    """Predictions made from gold by boundary shifts, label swaps, misses, spurious spans.

    With ``overlapping=False`` the result is well-formed: unique and non-overlapping.
    """
    out = []
    for s, e, lab in gold:
        action = draw(st.sampled_from(ACTIONS))
        if action == "copy":
            out.append((s, e, lab))
        elif action == "relabel":
            out.append((s, e, draw(st.sampled_from(labels))))
        elif action == "shift":
            d = draw(st.integers(-3, 3))
            out.append((max(0, s + d), max(0, s + d) + (e - s), lab))
        elif action == "grow":
            out.append((max(0, s - draw(st.integers(0, 2))), e + draw(st.integers(0, 3)), lab))
        elif action == "shrink" and e - s > 1:
            cut = draw(st.integers(1, e - s - 1))
            out.append((s + cut, e, lab) if draw(st.booleans()) else (s, e - cut, lab))
    out += draw(any_spans(max_n=3, labels=labels))
    if overlapping:
        return [out[i] for i in draw(st.permutations(range(len(out))))]
    kept: list[Span] = []
    for span in sorted(set(out)):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


@st.composite
def corpora(
    draw, *, max_docs: int = 4, nested_gold: bool = False, overlapping_pred: bool = False
) -> tuple[list[list[Span]], list[list[Span]]]:
    gold, pred = [], []
    for _ in range(draw(st.integers(1, max_docs))):
        g = draw(any_spans() if nested_gold else disjoint_spans())
        gold.append(g)
        pred.append(draw(predictions_for(g, overlapping=overlapping_pred)))
    return gold, pred


# --------------------------------------------------------------------------- references


def canonical(spans: list[Span]) -> list[Span]:
    return sorted(spans)


def run_nervaluate(
    gold: list[list[Span]], pred: list[list[Span]], tags=LABELS, *, sort: bool = True
):
    """nervaluate 1.2's evaluate() on spans in canonical order (end made inclusive)."""
    from nervaluate import Evaluator

    def dicts(units):
        order = canonical if sort else list
        return [[{"label": lab, "start": s, "end": e - 1} for s, e, lab in order(u)] for u in units]

    return Evaluator(dicts(gold), dicts(pred), tags=list(tags), loader="dict").evaluate()


def run_seqeval(gold_tags, pred_tags, *, strict: bool = False) -> dict:
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if strict:
            return classification_report(
                gold_tags, pred_tags, mode="strict", scheme=IOB2, output_dict=True
            )
        return classification_report(gold_tags, pred_tags, output_dict=True)


# --------------------------------------------------------------------------- documents


def text_for(*unit_spans: list[Span], pad: int = 5) -> str:
    end = max((e for spans in unit_spans for _, e, _ in spans), default=0) + pad
    return "".join("abcdefghij "[i % 11] for i in range(end))


def docs_from_units(
    gold: list[list[Span]], pred: list[list[Span]], labels=LABELS, *, distinct: bool = False
) -> tuple[GoldSet, PredictionSet]:
    """In-memory gold and predictions over synthetic texts (``distinct``: each text ends in
    its document's number, so that no two are the same, as a corpus build needs)."""
    g_docs, p_docs = [], []
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        text = text_for(g, p) + (f" [document {i}]" if distinct else "")
        g_docs.append(
            Document(
                id=f"d{i}",
                text=text,
                entities=[Entity(f"g{k}", s, e, lab, text[s:e]) for k, (s, e, lab) in enumerate(g)],
                annotation=Annotation.all(ANNOTATED),  # gold, also when written as JSONL
            )
        )
        p_docs.append(
            Document(
                id=f"d{i}",
                text=text,
                entities=[Entity(f"p{k}", s, e, lab, text[s:e]) for k, (s, e, lab) in enumerate(p)],
            )
        )
    schema = LabelSchema.from_names(labels)
    return GoldSet(g_docs, schema, "gold"), PredictionSet("pred", p_docs)


# --------------------------------------------------------------------------- annotation status


def random_units(n_docs: int, seed: int) -> tuple[list[list[Span]], list[list[Span]]]:
    """Gold spans per document and predictions made from them (kept, relabelled, shifted,
    dropped) with a spurious span now and then; seeded."""
    rng = random.Random(seed)
    gold, pred = [], []
    for _ in range(n_docs):
        spans, pos = [], 0
        for _ in range(rng.randint(1, 6)):
            pos += rng.randint(1, 4)
            spans.append((pos, pos + rng.randint(1, 5), rng.choice(LABELS)))
            pos = spans[-1][1]
        guess = []
        for s, e, lab in spans:
            roll = rng.random()
            if roll < 0.6:
                guess.append((s, e, lab))
            elif roll < 0.75:
                guess.append((s, e, rng.choice(LABELS)))
            elif roll < 0.9:
                guess.append((s + 1, e + 1, lab))
        if rng.random() < 0.5:
            guess.append((pos + 2, pos + 4, rng.choice(LABELS)))
        gold.append(spans)
        pred.append(sorted(guess))
    return gold, pred


def unannotated(doc: Document) -> Document:
    """The document as raw text would give it: no labels, no gold on any layer."""
    return dataclasses.replace(
        doc, entities=[], stances=[], doc_stances=[], annotation=Annotation()
    )


def partly_annotated(
    gold: list[list[Span]], pred: list[list[Span]], annotated: Collection[int]
) -> tuple[GoldSet, PredictionSet]:
    """In-memory gold in which only the documents at ``annotated`` hold gold (the others are
    raw text: no labels, status none), and the predictions for every document."""
    g, p = docs_from_units(gold, pred)
    docs = [d if i in annotated else unannotated(d) for i, d in enumerate(g.docs)]
    return GoldSet(docs, g.labels, g.source), p
