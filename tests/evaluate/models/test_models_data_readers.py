"""A model on a public data set read by a corpus reader (marked ``shared_data``: a slice of
CoNLL-2003 in ../shared/data). The BASIL and FNC-1 readers' tests are in
``tests/corpus/test_reader_basil.py`` and ``tests/corpus/test_reader_fnc1.py``."""

from __future__ import annotations

import pytest

from goldwire.evaluate.inputs import load_gold


@pytest.mark.shared_data
def test_gazetteer_on_a_conll_slice(shared_data, tmp_path):
    from goldwire.corpus.build import BuildConfig, build_corpus
    from goldwire.evaluate.inputs import PredictionSet
    from goldwire.evaluate.models.gazetteer import Gazetteer
    from goldwire.evaluate.scoring import ScoreOptions, score_documents

    head = (shared_data / "conll2003" / "train.txt").read_text(encoding="utf-8")[:300_000]
    (tmp_path / "train.txt").write_text(head.rsplit("\n-DOCSTART-", 1)[0] + "\n")
    build_corpus(
        BuildConfig(
            inputs=(tmp_path / "train.txt",), out=tmp_path / "c", format="conll", minhash=None
        )
    )
    gold = load_gold(tmp_path / "c", split="train")
    model = Gazetteer()
    model.fit(gold.docs)
    result = score_documents(
        gold,
        PredictionSet("p", [model.predict_document(d) for d in gold.docs]),
        ScoreOptions(resamples=0),
    )
    figures = result.sections["entities.strict"].figures
    # on its own training data the unique-class lexicon is nearly always right
    assert figures["micro.precision"].value > 0.9 and figures["micro.recall"].value > 0.8
