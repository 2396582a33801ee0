"""``gazetteer`` (the CoNLL-2003 baseline rule) and ``sklearn-ner``."""

from __future__ import annotations

import numpy as np
import pytest
from modelgen import ner_document

from goldwire.bio import iob2_to_token_spans
from goldwire.evaluate.models import load_model
from goldwire.evaluate.models.gazetteer import Gazetteer, lines_of_tokens
from goldwire.evaluate.models.sklearn_ner import (
    SklearnNer,
    allowed_transitions,
    line_features,
    short_shape,
    viterbi,
    word_shape,
)
from goldwire.schema import Document, Entity


def doc(text: str, spans=()) -> Document:
    return Document(
        id="d",
        text=text,
        entities=[Entity(f"e{i}", a, b, lab, text[a:b]) for i, (a, b, lab) in enumerate(spans, 1)],
    )


def spans(d: Document) -> list[tuple[str, str]]:
    return [(e.text, e.label) for e in d.entities]


def test_gazetteer_keeps_only_phrases_with_a_unique_class():
    train = [
        doc("Jordan won . Jordan Valley is dry .", [(0, 6, "PER"), (13, 26, "LOC")]),
        doc("Jordan signed .", [(0, 6, "LOC")]),  # Jordan is now PER and LOC: dropped
        doc("New York Times and New York .", [(0, 14, "ORG"), (19, 27, "LOC")]),
    ]
    g = Gazetteer()
    info = g.fit(train)
    assert info["phrases"] == 4 and info["phrases_kept"] == 3 and info["phrases_ambiguous"] == 1
    pred = g.predict_document(doc("Jordan saw the New York Times in New York and Jordan Valley ."))
    # longest match first: New York Times (not New York), Jordan Valley (not Jordan: ambiguous)
    assert spans(pred) == [("New York Times", "ORG"), ("New York", "LOC"), ("Jordan Valley", "LOC")]
    assert pred.stances == [] and pred.doc_stances == []


def test_gazetteer_majority_variant_keeps_ambiguous_phrases():
    train = [
        doc("Jordan won .", [(0, 6, "PER")]),
        doc("Jordan lost .", [(0, 6, "PER")]),
        doc("Jordan signed .", [(0, 6, "LOC")]),
        doc("Chad and Mali .", [(0, 4, "LOC"), (9, 13, "LOC")]),
        doc("Chad ran .", [(0, 4, "PER")]),
    ]
    g = Gazetteer(ambiguous="majority")
    g.fit(train)
    assert g.lexicon[("Jordan",)] == "PER"
    assert g.lexicon[("Chad",)] == "LOC"  # a tie: the first label in alphabetical order
    with pytest.raises(Exception, match="ambiguous must be one of drop, majority"):
        Gazetteer(ambiguous="most")


def test_gazetteer_never_matches_across_lines_and_is_case_sensitive():
    g = Gazetteer()
    g.fit([doc("New York is big .", [(0, 8, "LOC")])])
    pred = g.predict_document(doc("New\nYork and NEW YORK and new york and New York"))
    assert [(e.start, e.text) for e in pred.entities] == [(39, "New York")]


def test_gazetteer_roundtrip(tmp_path):
    g = Gazetteer(ambiguous="majority")
    g.fit([ner_document(i) for i in range(10)])
    g.save(tmp_path / "g")
    loaded = load_model(f"gazetteer:{tmp_path / 'g'}")
    assert loaded.ambiguous == "majority" and loaded.lexicon == g.lexicon
    d = ner_document(99)
    assert spans(loaded.predict_document(d)) == spans(g.predict_document(d))


def test_shapes_and_features():
    assert word_shape("Moscow") == "Xxxxxx" and short_shape("Moscow") == "Xx"
    assert word_shape("1996-08-22") == "dddd-dd-dd" and short_shape("EU") == "X"
    tokens = lines_of_tokens("EU REJECTS GERMAN CALL")[0]
    feats = line_features(tokens)
    assert "caps_line" in feats[0] and "first" in feats[0] and "w-1=<s>" in feats[0]
    assert "w+1=german" in feats[1] and "bg-=eu|rejects" in feats[1]


def test_viterbi_never_outputs_an_orphan_inside_tag():
    tags = ["B-PER", "I-PER", "B-LOC", "I-LOC", "O"]
    start, trans = allowed_transitions(tags)
    assert not start[1] and not trans[4, 1] and trans[0, 1] and not trans[0, 3]
    rng = np.random.default_rng(0)
    for _ in range(50):
        logp = np.log(rng.dirichlet(np.ones(len(tags)), size=7))
        path = [tags[i] for i in viterbi(logp, start, trans)]
        for prev, cur in zip(["O", *path], path, strict=False):
            if cur.startswith("I-"):
                assert prev in (f"B-{cur[2:]}", cur)
        # the best valid path scores at least as well as any valid path of greedy choices
        assert iob2_to_token_spans(path) is not None
    # a greedy I- after O would be read as a new entity; Viterbi turns it into B- or O
    logp = np.log(np.array([[0.1, 0.1, 0.1, 0.1, 0.6], [0.05, 0.6, 0.05, 0.05, 0.25]]))
    assert [tags[i] for i in viterbi(logp, start, trans)] in (["O", "O"], ["B-PER", "I-PER"])


def test_sklearn_ner_learns_and_roundtrips(tmp_path):
    train = [ner_document(i) for i in range(60)]
    model = SklearnNer(epochs=10)
    info = model.fit(train, [ner_document(i) for i in range(60, 70)])
    assert info["validation_token_accuracy"] > 0.9
    test = [ner_document(i) for i in range(100, 110)]
    gold = {(d.id, e.start, e.end, e.label) for d in test for e in d.entities}
    pred = {
        (d.id, e.start, e.end, e.label) for d in test for e in model.predict_document(d).entities
    }
    tp = len(gold & pred)
    assert tp / len(pred) > 0.8 and tp / len(gold) > 0.8
    x = model._hasher().transform(line_features(lines_of_tokens(test[0].text)[0]))
    assert np.allclose(
        model.log_proba(x), np.log(np.clip(model.estimator.predict_proba(x), 1e-12, None))
    )
    model.save(tmp_path / "ner")
    assert (tmp_path / "ner" / "estimator.joblib").is_file()
    loaded = load_model(f"sklearn-ner:{tmp_path / 'ner'}")
    assert all(spans(loaded.predict_document(d)) == spans(model.predict_document(d)) for d in test)


def test_sklearn_ner_refuses_untokenisable_entities():
    bad = doc("Ivan Petrov ran .", [(0, 3, "PER")])  # ends inside a token
    with pytest.raises(Exception, match=r"does not fall on token boundaries.*sklearn-ner"):
        SklearnNer().fit([bad])
