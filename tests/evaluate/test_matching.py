"""Entity matching: identical to nervaluate 1.2 where it applies, order-independent always."""

from __future__ import annotations

import random

import pytest
from evalgen import LABELS, corpora, docs_from_units, run_nervaluate
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.errors import UsageError
from goldwire.evaluate.counts import Counts
from goldwire.evaluate.matching import (
    NERVALUATE_NAMES,
    SCHEMES,
    Alignment,
    Matcher,
    Scheme,
    encode_units,
    match_entities,
    match_entities_by_label,
    match_entity_docs,
)
from goldwire.evaluate.scoring import ScoreOptions, score_documents
from goldwire.schema import Entity

SETTINGS = settings(max_examples=200, deadline=None)
FIELDS = (
    "correct",
    "incorrect",
    "partial",
    "missed",
    "spurious",
    "actual",
    "possible",
    "precision",
    "recall",
    "f1",
)


def _ours(c: Counts) -> dict:
    p = c.scores()
    return dict(
        zip(
            FIELDS,
            (c.cor, c.inc, c.par, c.mis, c.spu, c.actual, c.possible, p.precision, p.recall, p.f1),
            strict=True,
        )
    )


def _theirs(r) -> dict:
    return {f: getattr(r, f) for f in FIELDS}


def assert_same_as_nervaluate(gold, pred) -> None:
    """Counts and P/R/F1 (exact float equality), overall and per label, all four schemas,
    through the full scoring path."""
    ref = run_nervaluate(gold, pred)
    g, p = docs_from_units(gold, pred)
    result = score_documents(g, p, ScoreOptions(resamples=0, analysis=False))
    used = sorted({lab for u in gold + pred for _, _, lab in u})
    for scheme in SCHEMES:
        name = NERVALUATE_NAMES[scheme]
        section = result.sections[f"entities.{scheme.value}"]
        counts = section.counts()
        assert _ours(counts["micro"]) == _theirs(ref["overall"][name]), scheme
        for key, fig in (
            ("precision", "micro.precision"),
            ("recall", "micro.recall"),
            ("f1", "micro.f1"),
        ):
            assert section.figures[fig].value == getattr(ref["overall"][name], key)
        assert section.labels == used == sorted(ref["entities"])
        for label in used:
            assert _ours(counts[label]) == _theirs(ref["entities"][label][name]), (scheme, label)
            assert section.figures[f"label.{label}.f1"].value == ref["entities"][label][name].f1


@SETTINGS
@given(corpora())
def test_same_as_nervaluate_on_well_formed_predictions(data):
    assert_same_as_nervaluate(*data)


@SETTINGS
@given(corpora(nested_gold=True))
def test_same_as_nervaluate_with_nested_or_repeated_gold(data):
    assert_same_as_nervaluate(*data)


# --------------------------------------------------------------------------- our own rule


def _share(p, g) -> float:
    overlap = min(p[1], g[1]) - max(p[0], g[0])
    return (overlap / (g[1] - g[0])) * 100.0 if overlap > 0 else 0.0


def reference_counts(gold, pred, scheme: Scheme, per_label: bool, min_overlap=1.0) -> Counts:
    """The documented pairing rule, one unit at a time, with plain loops."""
    G, P = sorted(gold), sorted(pred)
    g_free = [True] * len(G)
    cat: dict[int, str] = {}
    tiers = [lambda p, g: p == g]
    if scheme in (Scheme.EXACT, Scheme.PARTIAL) and not per_label:
        tiers.append(lambda p, g: p[:2] == g[:2])
    for same in tiers:
        for i, p in enumerate(P):
            if i in cat:
                continue
            j = next((j for j, g in enumerate(G) if g_free[j] and same(p, g)), None)
            if j is not None:
                g_free[j], cat[i] = False, "cor"
    for i, p in enumerate(P):
        if i in cat:
            continue
        cands = [
            j
            for j, g in enumerate(G)
            if g_free[j] and _share(p, g) >= min_overlap and (not per_label or g[2] == p[2])
        ]
        if not cands:
            cat[i] = "spu"
            continue
        if scheme is Scheme.TYPE:
            j = min(
                cands,
                key=lambda j: (
                    G[j][2] != p[2],
                    0 if G[j][2] != p[2] else abs(G[j][0] - p[0]) + abs(G[j][1] - p[1]),
                    j,
                ),
            )
            cat[i] = "cor" if G[j][2] == p[2] else "inc"
        else:
            j = cands[0]
            cat[i] = "par" if scheme is Scheme.PARTIAL else "inc"
        g_free[j] = False
    n = {k: sum(v == k for v in cat.values()) for k in ("cor", "inc", "par", "spu")}
    return Counts(n["cor"], n["inc"], n["par"], sum(g_free), n["spu"])


@SETTINGS
@given(corpora(nested_gold=True, overlapping_pred=True))
def test_vectorised_pairing_follows_the_documented_rule(data):
    gold, pred = data
    g, p, labels = encode_units(gold, pred)
    al = Alignment(g, p)
    for scheme in SCHEMES:
        for per_label in (False, True):
            got = al.assign(scheme, per_label=per_label).unit_counts(len(gold))
            for u, (gu, pu) in enumerate(zip(gold, pred, strict=True)):
                if per_label:
                    want = sum(
                        (
                            reference_counts(
                                [s for s in gu if s[2] == lab],
                                [s for s in pu if s[2] == lab],
                                scheme,
                                True,
                            )
                            for lab in labels
                        ),
                        Counts(),
                    )
                else:
                    want = reference_counts(gu, pu, scheme, False)
                assert Counts.from_row(got[u]) == want, (scheme, per_label, gu, pu)


@SETTINGS
@given(corpora(nested_gold=True, overlapping_pred=True), st.randoms(use_true_random=False))
def test_counts_do_not_depend_on_input_order(data, rnd):
    gold, pred = data
    shuffled = [rnd.sample(u, len(u)) for u in gold], [rnd.sample(u, len(u)) for u in pred]
    a, b = Alignment(*encode_units(gold, pred)[:2]), Alignment(*encode_units(*shuffled)[:2])
    for scheme in SCHEMES:
        for per_label in (False, True):
            assert (
                a.assign(scheme, per_label=per_label).total()
                == b.assign(scheme, per_label=per_label).total()
            )


def test_competing_predictions_resolve_in_canonical_order():
    # many predictions overlapping one gold entity each, in a big random corpus: exercises
    # the sequential path for contested gold entities next to the vectorised one
    rng = random.Random(7)
    gold, pred = [], []
    for _ in range(300):
        g = [(10 * k, 10 * k + 5, rng.choice(LABELS)) for k in range(6)]
        p = [
            (s + rng.randint(-3, 3), e + rng.randint(-3, 3), rng.choice(LABELS))
            for s, e, _ in g
            for _ in range(rng.randint(0, 3))
        ]
        p = [(max(0, s), max(s + 1, e), lab) for s, e, lab in p]
        gold.append(g)
        pred.append(p)
    al = Alignment(*encode_units(gold, pred)[:2])
    for scheme in SCHEMES:
        got = al.assign(scheme).total()
        want = sum(
            (reference_counts(g, p, scheme, False) for g, p in zip(gold, pred, strict=True)),
            Counts(),
        )
        assert got == want


# --------------------------------------------------------------------------- fixed cases


def test_empty_gold_and_empty_predictions_agree_with_nervaluate():
    assert_same_as_nervaluate([[]], [[(0, 3, "PER")]])
    assert_same_as_nervaluate([[(0, 3, "PER")]], [[]])
    assert_same_as_nervaluate([[], []], [[], []])
    c = match_entities([], [])
    assert c == Counts() and c.scores().f1 == 0.0


def test_crossing_and_touching_spans_agree_with_nervaluate():
    gold = [[(0, 4, "PER"), (4, 8, "ORG"), (10, 15, "LOC")]]
    pred = [[(2, 6, "PER"), (8, 10, "ORG"), (12, 20, "LOC")]]
    assert_same_as_nervaluate(gold, pred)


def test_duplicate_prediction_is_spurious_not_correct_twice():
    gold = [(0, 5, "PER")]
    pred = [(0, 5, "PER"), (0, 5, "PER")]
    assert match_entities(gold, pred, "strict") == Counts(cor=1, spu=1)
    # nervaluate agrees here (the duplicate finds its gold already taken)
    ref = run_nervaluate([gold], [pred])["overall"]["strict"]
    assert (ref.correct, ref.spurious) == (1, 1)


def test_overlapping_predictions_where_nervaluate_depends_on_order():
    gold = [(3, 8, "PER")]
    wide, exact = (0, 5, "PER"), (3, 8, "PER")
    ours = match_entities(gold, [wide, exact], "strict")
    assert ours == match_entities(gold, [exact, wide], "strict") == Counts(cor=1, spu=1)
    first = run_nervaluate([gold], [[wide, exact]], sort=False)["overall"]["strict"]
    second = run_nervaluate([gold], [[exact, wide]], sort=False)["overall"]["strict"]
    # nervaluate lets the first overlapping prediction take the gold entity
    assert (first.correct, first.incorrect, first.spurious) == (0, 1, 1)
    assert (second.correct, second.incorrect, second.spurious) == (1, 0, 1)


def test_type_schema_prefers_own_label_then_closest_boundaries():
    gold = [(0, 10, "ORG"), (2, 6, "PER"), (3, 7, "PER")]
    pred = [(3, 6, "PER")]
    # own label first; of the two PER, (2, 6) and (3, 7) are both 1 away: the first wins
    assert match_entities(gold, pred, "type") == Counts(cor=1, mis=2)
    ref = run_nervaluate([gold], [pred])["overall"]["ent_type"]
    assert (ref.correct, ref.missed) == (1, 2)


def test_unknown_labels_are_left_out_like_nervaluate_tags():
    gold = [[(0, 3, "PER"), (5, 9, "XXX")]]
    pred = [[(0, 3, "PER"), (5, 9, "YYY"), (11, 12, "ZZZ")]]
    ref = run_nervaluate(gold, pred, tags=["PER"])
    g, p, labels = encode_units(gold, pred, labels=["PER"])
    assert labels == ("PER",)
    for scheme in SCHEMES:
        got = Alignment(g, p).assign(scheme).total()
        assert _ours(got) == _theirs(ref["overall"][NERVALUATE_NAMES[scheme]])


def test_min_overlap_is_a_share_of_the_gold_span_like_nervaluate():
    gold = [(0, 200, "ORG")]
    pred = [(199, 205, "ORG")]  # 1 of 200 characters: 0.5 %
    assert match_entities(gold, pred, "partial") == Counts(mis=1, spu=1)
    ref = run_nervaluate([gold], [pred])["overall"]["partial"]
    assert (ref.partial, ref.missed, ref.spurious) == (0, 1, 1)
    assert match_entities(gold, pred, "partial", min_overlap=0.5) == Counts(par=1)


def test_matcher_checks_its_arguments():
    with pytest.raises(UsageError, match=r"unknown matching schema 'loose'; use one of strict"):
        Matcher("loose")
    with pytest.raises(UsageError, match=r"min_overlap must be a percentage of the gold span"):
        Matcher("partial", min_overlap=0)
    matcher = Matcher("type", min_overlap=50)
    assert repr(matcher) == "Matcher('type', min_overlap=50.0, per_label=False)"


def test_plain_functions_take_entities_dicts_and_tuples():
    ents = [Entity("a", 0, 4, "PER", "Anna"), Entity("b", 10, 14, "ORG", "ACME")]
    dicts = [{"start": 0, "end": 4, "label": "PER"}, {"start": 10, "end": 15, "label": "ORG"}]
    assert match_entities(ents, dicts, "strict") == Counts(cor=1, inc=1)
    assert match_entities(ents, dicts, Scheme.PARTIAL) == Counts(cor=1, par=1)
    assert match_entity_docs([ents, ents], [dicts, ents], "exact") == Counts(cor=3, inc=1)
    by_label = match_entities_by_label(ents, [(0, 4, "ORG")], "strict")
    assert by_label == {"ORG": Counts(mis=1, spu=1), "PER": Counts(mis=1)}


def test_encode_units_needs_one_prediction_list_per_gold_unit():
    with pytest.raises(UsageError, match="gold has 2 units but predictions have 1"):
        encode_units([[], []], [[]])
