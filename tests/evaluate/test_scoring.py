"""A scoring run end to end: sections, document counts, error analysis, JSON layout."""

from __future__ import annotations

import json

from goldwire.evaluate.counts import Counts
from goldwire.evaluate.inputs import GoldSet, PredictionSet
from goldwire.evaluate.scoring import ScoreOptions, compare, score_documents
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
