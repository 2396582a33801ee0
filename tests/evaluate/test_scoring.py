"""A scoring run end to end: sections, document counts, error analysis, JSON layout."""

from __future__ import annotations

import dataclasses
import json

import pytest
from evalgen import corpora, docs_from_units, partly_annotated, random_units, run_nervaluate
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score

from goldwire.evaluate.counts import Counts
from goldwire.evaluate.inputs import GoldSet, PredictionSet
from goldwire.evaluate.scoring import ScoreOptions, compare, score_documents
from goldwire.evaluate.selection import select
from goldwire.provenance import ANNOTATED, NONE, Annotation
from goldwire.schema import DocStance, Document, Entity, LabelSchema, Mention, Stance

TEXT = "MOSCOW, May 3. /TASS/. Sergei Lavrov met Josep Borrell.\nThe EU answered Lavrov."


def ent(surface: str, label: str, occurrence: int = 0, key: str = "") -> Entity:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(surface, start + 1)
    return Entity(key or f"{surface}{occurrence}", start, start + len(surface), label, surface)


def mention(surface: str, occurrence: int = 0) -> Mention:
    e = ent(surface, "")
    if occurrence:
        e = ent(surface, "", occurrence)
    return Mention(surface, e.start, e.end)


def gold_doc() -> Document:
    return Document(
        id="a",
        text=TEXT,
        entities=[
            ent("MOSCOW", "GPE"),
            ent("TASS", "ORG"),
            ent("Sergei Lavrov", "PER"),
            ent("Josep Borrell", "PER"),
            ent("EU", "ORG"),
            ent("Lavrov", "PER", 1),
        ],
        stances=[
            Stance(mention("Lavrov"), mention("Josep Borrell"), "OPPOSE"),
            Stance(Mention("TASS"), Mention("EU"), "SUPPORT"),
        ],  # names only
        doc_stances=[DocStance("EU", "OPPOSE")],
    )


def pred_doc() -> Document:
    lavrov = ent("Lavrov", "PER", 1, key="p")  # another mention of the holder
    return Document(
        id="a",
        text=TEXT,
        entities=[ent("MOSCOW", "GPE"), ent("TASS", "GPE"), ent("Josep", "PER"), lavrov],
        stances=[Stance(Mention("", entity="p"), mention("Josep Borrell"), "OPPOSE")],
        doc_stances=[DocStance('"EU"', "SUPPORT")],
    )


def run(pred: list[Document | None], **options):
    labels = LabelSchema.from_names(
        ("PER", "ORG", "GPE"), ("SUPPORT", "OPPOSE"), ("SUPPORT", "OPPOSE", "NEUTRAL")
    )
    gold = GoldSet([gold_doc(), Document(id="b", text="Nothing here.")], labels, "gold")
    return score_documents(gold, PredictionSet("pred", pred), ScoreOptions(**options))


def test_sections_counts_and_documents_without_prediction():
    result = run([pred_doc(), None], resamples=0)
    assert list(result.sections) == [
        "entities.strict",
        "entities.exact",
        "entities.partial",
        "entities.type",
        "stances.mention_strict",
        "stances.mention_relaxed",
        "stances.entity",
        "doc_stances",
    ]
    strict = result.sections["entities.strict"].counts()
    assert strict["micro"] == Counts(cor=2, inc=2, mis=2)
    assert strict["ORG"] == Counts(mis=2) and strict["GPE"] == Counts(cor=1, spu=1)
    assert result.sections["entities.partial"].counts()["micro"] == Counts(cor=3, par=1, mis=2)
    # the holder is another mention of Lavrov: wrong at mention level, right as a triple;
    # the name-only gold stance counts only as a triple
    assert result.sections["stances.mention_strict"].counts()["micro"] == Counts(mis=1, spu=1)
    assert result.sections["stances.mention_relaxed"].extra["excluded_without_offsets"] == {
        "gold": 1,
        "pred": 0,
    }
    assert result.sections["stances.entity"].counts()["micro"] == Counts(cor=1, mis=1)
    doc = result.sections["doc_stances"]
    assert doc.figures["accuracy"].value == 0.0
    assert doc.extra["confusion_matrix"] == {
        "rows": ["SUPPORT", "OPPOSE"],
        "columns": ["SUPPORT", "OPPOSE"],
        "counts": [[0, 0], [1, 0]],
    }
    assert result.documents["without_prediction"] == 1
    assert result.documents["without_prediction_ids"] == ["b"]


def test_error_analysis_names_confusions_and_missed_entities_in_context():
    analysis = run([pred_doc(), None], resamples=0).analysis
    assert [(c.gold, c.pred, c.count, c.exact_span) for c in analysis.confusions] == [
        ("ORG", "GPE", 1, 1)
    ]
    # Josep Borrell was overlapped (INC under strict), so it is not among the missed
    assert [(m.text, m.label, m.count) for m in analysis.missed] == [
        ("EU", "ORG", 1),
        ("Sergei Lavrov", "PER", 1),
    ]
    eu = analysis.missed[0]
    assert eu.doc == "a" and eu.context == "The «EU» answered Lavrov."
    assert analysis.gold_labels == ["GPE", "ORG", "PER", "(spurious)"]


def test_to_dict_is_json_with_values_and_intervals():
    data = json.loads(json.dumps(run([pred_doc(), None], resamples=50).to_dict()))
    f1 = data["sections"]["entities.strict"]["micro"]["f1"]
    assert f1["value"] == 2 * (0.5 * (2 / 6)) / (0.5 + 2 / 6) and len(f1["ci"]) == 2
    assert data["sections"]["entities.strict"]["per_label"]["PER"]["counts"]["possible"] == 3
    assert data["sections"]["doc_stances"]["figures"]["semeval2016"]["value"] == 0.0
    assert data["analysis"]["confusion_matrix"]["columns"][-1] == "(missed)"


def test_compare_same_run_gives_zero_difference():
    a = run([pred_doc(), None], resamples=100)
    b = run([pred_doc(), None], resamples=100)
    comp = compare(a, b)["entities.strict"]["micro.f1"]
    assert comp.delta == 0.0 and comp.p_value == 1.0


# --------------------------------------------------------------------------- gold per layer

SCHEMA_NAMES = (("strict", "strict"), ("exact", "exact"), ("partial", "partial"))
SCHEMA_NAMES += (("type", "ent_type"),)


def assert_entities_as_nervaluate(result, gold_units, pred_units) -> None:
    ref = run_nervaluate(gold_units, pred_units)
    for scheme, name in SCHEMA_NAMES:
        section = result.sections[f"entities.{scheme}"]
        c = section.counts()["micro"]
        theirs = ref["overall"][name]
        assert (c.cor, c.inc, c.par, c.mis, c.spu) == (
            theirs.correct,
            theirs.incorrect,
            theirs.partial,
            theirs.missed,
            theirs.spurious,
        ), scheme
        for figure in ("precision", "recall", "f1"):
            assert section.figures[f"micro.{figure}"].value == getattr(theirs, figure), scheme


def test_five_of_thirty_are_scored_alone_and_the_rest_said():
    gold, pred = random_units(30, seed=11)
    g, p = partly_annotated(gold, pred, range(5))
    result = score_documents(
        GoldSet(g.docs, g.labels, "gold", coverage=select(g.docs)),
        p,
        ScoreOptions(resamples=0, analysis=False),
    )
    assert_entities_as_nervaluate(result, gold[:5], pred[:5])
    docs = result.documents
    assert (docs["gold"], docs["in_gold"], docs["left_out"]) == (5, 30, 25)
    assert docs["layers"]["entities"]["scored"] == 5
    assert docs["notes"] == [
        "25 of 30 documents left out: no gold (annotation status none); "
        "--include-unannotated scores them as gold with no labels"
    ]
    assert set(result.sections) == {f"entities.{s}" for s, _ in SCHEMA_NAMES}


def test_include_unannotated_scores_all_thirty_as_gold_with_no_labels():
    gold, pred = random_units(30, seed=12)
    g, p = partly_annotated(gold, pred, range(5))
    options = ScoreOptions(resamples=200)
    included = score_documents(
        GoldSet(g.docs, g.labels, "gold", coverage=select(g.docs, include_unannotated=True)),
        p,
        options,
    )
    # the scoring every document got before statuses: every layer forced to gold
    forced = [dataclasses.replace(d, annotation=Annotation.all(ANNOTATED)) for d in g.docs]
    before = score_documents(GoldSet(forced, g.labels, "gold"), p, options).to_dict()
    assert included.to_dict()["sections"] == before["sections"]
    assert included.to_dict()["analysis"] == before["analysis"]
    assert_entities_as_nervaluate(included, gold[:5] + [[]] * 25, pred)
    assert included.documents["gold"] == 30 and included.documents["left_out"] == 0


CLASSES = ("SUPPORT", "OPPOSE", "NEUTRAL")


@st.composite
def layered(draw):
    """Documents with entities (gold on some) and a document stance (gold on others)."""
    gold_units, pred_units = draw(corpora(max_docs=8))
    n = len(gold_units)
    flags = draw(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=n, max_size=n))
    stances = draw(
        st.lists(
            st.tuples(st.sampled_from(CLASSES), st.one_of(st.none(), st.sampled_from(CLASSES))),
            min_size=n,
            max_size=n,
        )
    )
    return gold_units, pred_units, flags, stances


@settings(max_examples=60, deadline=None)
@given(layered())
def test_each_layer_is_scored_on_its_own_documents(data):
    gold_units, pred_units, flags, stances = data
    g, p = docs_from_units(gold_units, pred_units)
    docs = []
    for d, pd, (ents, ds), (label, guess) in zip(g.docs, p.docs, flags, stances, strict=True):
        pd.doc_stances = [] if guess is None else [DocStance("the deal", guess)]
        docs.append(
            dataclasses.replace(
                d,
                entities=d.entities if ents else [],
                doc_stances=[DocStance("the deal", label)] if ds else [],
                annotation=Annotation(ANNOTATED if ents else NONE, NONE, ANNOTATED if ds else NONE),
            )
        )
    result = score_documents(
        GoldSet(docs, g.labels, "gold", coverage=select(docs)),
        p,
        ScoreOptions(resamples=0, analysis=False),
    )
    on_ents = [i for i, (e, _) in enumerate(flags) if e]
    on_ds = [i for i, (_, s) in enumerate(flags) if s]
    layers = result.documents["layers"]
    assert (layers["entities"]["scored"], layers["doc_stances"]["scored"]) == (
        len(on_ents),
        len(on_ds),
    )
    unscored = sum(len(pred_units[i]) for i, (e, s) in enumerate(flags) if s and not e)
    items = result.documents["predictions_without_gold"]["items_not_scored"]
    assert items.get("entities", 0) == unscored
    if on_ents:
        picked = [gold_units[i] for i in on_ents], [pred_units[i] for i in on_ents]
        assert_entities_as_nervaluate(result, *picked)
    else:
        assert "entities.strict" not in result.sections
    if not on_ds:
        assert "doc_stances" not in result.sections
        return
    y_true = [stances[i][0] for i in on_ds]
    y_pred = [stances[i][1] or "(none)" for i in on_ds]
    classes = sorted(set(y_true) | {stances[i][1] for i in on_ds} - {None})
    figures = result.sections["doc_stances"].figures
    assert figures["accuracy"].value == accuracy_score(y_true, y_pred)
    assert figures["macro_f1"].value == pytest.approx(
        f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0), abs=1e-12
    )


def test_a_layer_without_gold_is_not_scored_and_its_predictions_are_said():
    gold = gold_doc()
    gold.annotation = Annotation(entities=ANNOTATED, stances=ANNOTATED)
    labels = LabelSchema.from_names(("PER", "ORG", "GPE"))
    result = score_documents(
        GoldSet([gold], labels, "gold", coverage=select([gold])),
        PredictionSet("pred", [pred_doc()]),
        ScoreOptions(resamples=0),
    )
    assert "doc_stances" not in result.sections and "entities.strict" in result.sections
    assert result.documents["layers"]["doc_stances"]["scored"] == 0
    assert result.documents["notes"] == []
    assert result.documents["prediction_notes"] == [
        "document stances not scored: no document has gold document stances "
        "(annotation status none); 1 prediction of document stances ignored"
    ]
