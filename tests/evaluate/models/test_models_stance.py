"""``rules-stance``, ``sklearn-stance``, ``prior-stance`` and ``sklearn-docstance``."""

from __future__ import annotations

import pytest
from modelgen import docstance_document, stance_document

from goldwire.errors import InputError
from goldwire.evaluate.inputs import GoldSet, PredictionSet
from goldwire.evaluate.models import load_model
from goldwire.evaluate.models.base import query_document
from goldwire.evaluate.models.rules_stance import RulesStance, find_mentions, sentence_spans
from goldwire.evaluate.models.sklearn_docstance import SklearnDocStance
from goldwire.evaluate.models.sklearn_stance import PriorStance, SklearnStance, name_matches
from goldwire.evaluate.scoring import ScoreOptions, score_documents
from goldwire.schema import Document, read_jsonl
from gwtest import SEED_GOLD


def triples(doc: Document) -> set[tuple[str, str, str]]:
    return {(doc.resolve(s.holder).text, doc.resolve(s.target).text, s.label) for s in doc.stances}


def rules(text: str, agency: str | None = None) -> set[tuple[str, str, str]]:
    doc = Document(id="x", text=text, agency=agency)
    return triples(RulesStance().predict_document(doc))


def test_sentences_and_capitalised_mentions():
    text = "MOSCOW, March 31. /TASS/. Mr. Obama met U.S. envoys.\nThe talks ended. Paris agreed."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "MOSCOW, March 31.",
        "/TASS/.",
        "Mr. Obama met U.S. envoys.",
        "The talks ended.",
        "Paris agreed.",
    ]
    found = [
        m.text
        for m in find_mentions(
            "Senate Majority Leader Harry Reid and the Bank of England. The talks began in May."
        )
    ]
    assert found == ["Harry Reid", "Bank of England"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Germany supports Ukraine in the talks.", {("Germany", "Ukraine", "SUPPORT")}),
        ("CSTO ready to help Armenia by sending a mission.", {("CSTO", "Armenia", "SUPPORT")}),
        ("Poland condemned Belarus for the incident.", {("Poland", "Belarus", "OPPOSE")}),
        ("Serbia was criticised by Croatia on Monday.", {("Croatia", "Serbia", "OPPOSE")}),
        ("Austria did not support Hungary.", {("Austria", "Hungary", "OPPOSE")}),
        ("Austria did not condemn Hungary.", set()),
        (
            "The conflict between Baku and Yerevan broke out.",
            {("Baku", "Yerevan", "OPPOSE"), ("Yerevan", "Baku", "OPPOSE")},
        ),
        ("Officials say Italy backs Spain.", {("Italy", "Spain", "SUPPORT")}),
        ("Россия поддерживает Сербию.", {("Россия", "Сербию", "SUPPORT")}),
        ("Italy and Spain signed a joint statement.", set()),
    ],
)
def test_rules_stance_cues(text, expected):
    assert rules(text) == expected


def test_unattributed_stances_belong_to_the_agency_mention():
    text = "MOSCOW, May 2. /TASS/. The move was intended to help Armenia, officials noted."
    doc = Document(id="x", text=text, agency="TASS")
    pred = RulesStance().predict_document(doc)
    assert triples(pred) == {("TASS", "Armenia", "SUPPORT")}
    holder = pred.stances[0].holder
    assert (holder.start, holder.end) == (text.index("TASS"), text.index("TASS") + 4)
    # without an agency mention in the text, the holder is the agency's name alone
    doc = Document(id="y", text="The move was intended to help Armenia.", agency="Fox News")
    stance = RulesStance().predict_document(doc).stances[0]
    assert stance.holder.text == "Fox News" and not stance.holder.has_span
    # no agency at all: no holder, no stance
    assert rules("The move was intended to help Armenia.") == set()


def test_a_quote_belongs_to_its_speaker():
    text = '"We stand ready to help Armenia," Shuvalov told reporters.'
    assert rules(text) == {("Shuvalov", "Armenia", "SUPPORT")}


def test_rules_stance_on_the_seed_uses_the_gold_entities():
    gold = next(read_jsonl(SEED_GOLD / "seed.jsonl"))
    model = RulesStance()
    pred = model.predict_document(query_document(gold, model.reads))
    assert pred.entities == []  # stance endpoints are spans; no gold entity is copied
    assert all(s.holder.entity is None and s.target.entity is None for s in pred.stances)
    assert triples(pred) <= triples(gold) and len(triples(pred)) >= 4
    result = score_documents(
        GoldSet([gold], None, "seed"), PredictionSet("p", [pred]), ScoreOptions(resamples=0)
    )
    assert result.sections["stances.mention_strict"].figures["micro.precision"].value == 1.0


def test_name_matching():
    assert name_matches("Trump", "Donald Trump") and name_matches("Donald Trump", "donald trump")
    assert not name_matches("Donald", "Donald Trump")
    assert not name_matches("Ivanka Trump", "Donald Trump")


def test_sklearn_stance_learns_spans_and_roundtrips(tmp_path):
    train = [stance_document(i) for i in range(80)]
    model = SklearnStance()
    info = model.fit(train, [stance_document(i) for i in range(80, 90)])
    assert info["gold_triples_covered_by_candidates"] == info["gold_triples"] == 160
    assert info["labels"]["SUPPORT"] > 0 and info["labels"]["OPPOSE"] > 0
    assert 0.0 < info["threshold"]["value"] <= 0.9
    test = [stance_document(i) for i in range(200, 220)]
    preds = [model.predict_document(query_document(d, model.reads)) for d in test]
    result = score_documents(
        GoldSet(test, None, "gold"), PredictionSet("p", preds), ScoreOptions(resamples=0)
    )
    assert result.sections["stances.mention_strict"].figures["micro.f1"].value > 0.8
    model.save(tmp_path / "st")
    loaded = load_model(f"sklearn-stance:{tmp_path / 'st'}")
    assert loaded.threshold == model.threshold
    assert [triples(loaded.predict_document(d)) for d in test[:5]] == [
        triples(p) for p in preds[:5]
    ]


def test_sklearn_stance_needs_stances():
    with pytest.raises(InputError, match="sklearn-stance needs training documents with stances"):
        SklearnStance().fit([Document(id="x", text="Anna met Paul.")])


def test_prior_stance_predicts_the_article_against_its_main_names():
    docs = []
    for i in range(6):
        text = f"Trump spoke. Donald Trump left. Obama waited {i}. Trump returned."
        doc = Document(id=str(i), text=text, agency="Fox News")
        doc.stances = [_stance("Fox News", "Donald Trump", "OPPOSE")]
        docs.append(doc)
    model = PriorStance()
    info = model.fit(docs)
    assert info["label"] == "OPPOSE" and info["k"] == 1
    pred = model.predict_document(Document(id="t", text="Obama and Obama met Putin.", agency="NYT"))
    assert triples(pred) == {("NYT", "Obama", "OPPOSE")}


def _stance(holder: str, target: str, label: str):
    from goldwire.schema import Mention, Stance

    return Stance(Mention(text=holder), Mention(text=target), label)


def test_sklearn_docstance_learns_relatedness_and_blanked_targets(tmp_path):
    train = [docstance_document(i) for i in range(60)]
    model = SklearnDocStance(max_features=500)
    info = model.fit(train, [docstance_document(i) for i in range(60, 70)])
    assert info["labels"]["unrelated"] == 180 and info["validation_accuracy"] > 0.8
    test = [docstance_document(i) for i in range(100, 120)]
    preds = [model.predict_document(query_document(d, model.reads)) for d in test]
    assert all(
        [s.target for s in p.doc_stances] == [s.target for s in d.doc_stances]
        for p, d in zip(preds, test, strict=True)
    )
    assert all(0 < s.score <= 1 for p in preds for s in p.doc_stances)
    gold = [(s.label == "unrelated") for d in test for s in d.doc_stances]
    got = [(s.label == "unrelated") for p in preds for s in p.doc_stances]
    assert sum(a == b for a, b in zip(gold, got, strict=True)) / len(gold) > 0.95
    model.save(tmp_path / "ds")
    loaded = load_model(f"sklearn-docstance:{tmp_path / 'ds'}")
    again = loaded.predict_document(query_document(test[0], loaded.reads))
    assert [(s.target, s.label) for s in again.doc_stances] == [
        (s.target, s.label) for s in preds[0].doc_stances
    ]


def test_sklearn_docstance_needs_two_labels():
    doc = Document(id="x", text="body text here")
    with pytest.raises(InputError, match="at least two labels"):
        SklearnDocStance().fit([doc])
