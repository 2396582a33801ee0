"""The model interface: registry, ``NAME[:PATH]`` specs, saving and loading, what models see."""

from __future__ import annotations

import json

import pytest
from modelgen import ner_document

from goldwire.errors import InputError, UsageError
from goldwire.evaluate.models import MODELS, load_model, load_saved, parse_spec
from goldwire.evaluate.models.base import ModelVersionWarning, Task, query_document
from goldwire.evaluate.models.gazetteer import Gazetteer
from goldwire.schema import DocStance, Document, Entity, Mention, Stance


def test_registry_names_and_tasks():
    ours = {
        "gazetteer": Task.ENTITIES,
        "sklearn-ner": Task.ENTITIES,
        "rules-stance": Task.STANCES,
        "sklearn-stance": Task.STANCES,
        "prior-stance": Task.STANCES,
        "sklearn-docstance": Task.DOC_STANCES,
    }
    for name, task in ours.items():
        assert MODELS[name].name == name
        assert MODELS[name].task is task
    assert not MODELS["rules-stance"].trainable
    assert MODELS["sklearn-ner"].trainable


def test_parse_spec():
    assert parse_spec("gazetteer") == ("gazetteer", None)
    assert parse_spec("gazetteer:models/g") == ("gazetteer", "models/g")
    with pytest.raises(UsageError, match=r"ends with ':' but gives no path"):
        parse_spec("gazetteer:")


def test_load_model_errors():
    with pytest.raises(UsageError) as err:
        load_model("crf")
    assert str(err.value).startswith("unknown model 'crf'; choose one of gazetteer, sklearn-ner")
    with pytest.raises(UsageError) as err:
        load_model("sklearn-ner")
    assert str(err.value) == (
        "sklearn-ner must be trained first: `goldwire evaluate train --model sklearn-ner "
        "--corpus CORPUS --out DIR`, then use --model sklearn-ner:DIR"
    )


def test_save_load_roundtrip_and_wrong_model(tmp_path):
    model = Gazetteer()
    model.fit([ner_document(i) for i in range(5)])
    model.save(tmp_path / "g")
    meta = json.loads((tmp_path / "g" / "model.json").read_text())
    assert meta["model"] == "gazetteer" and meta["format_version"] == 1
    assert {"python", "goldwire", "scikit-learn", "numpy"} <= set(meta["versions"])
    assert meta["training"]["documents"] == 5
    loaded = load_model(f"gazetteer:{tmp_path / 'g'}")
    assert loaded.lexicon == model.lexicon
    assert isinstance(load_saved(tmp_path / "g"), Gazetteer)
    with pytest.raises(InputError, match=r"holds a 'gazetteer' model, not 'sklearn-ner'"):
        load_model(f"sklearn-ner:{tmp_path / 'g'}")
    with pytest.raises(InputError, match=r"not a saved goldwire model \(no model.json\)"):
        load_model(f"gazetteer:{tmp_path / 'nothing'}")


def test_untrained_model_cannot_be_saved(tmp_path):
    with pytest.raises(UsageError, match="gazetteer has not been trained"):
        Gazetteer().save(tmp_path / "g")


def test_version_mismatch_warns(tmp_path):
    model = Gazetteer()
    model.fit([ner_document(1)])
    model.save(tmp_path / "g")
    meta_path = tmp_path / "g" / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["versions"]["scikit-learn"] = "0.1"
    meta_path.write_text(json.dumps(meta))
    with pytest.warns(ModelVersionWarning, match=r"scikit-learn 0.1 -> "):
        load_model(f"gazetteer:{tmp_path / 'g'}")


def test_query_document_hides_gold():
    doc = Document(
        id="x",
        text="Anna met Paul.",
        meta={"split": "test", "gold_evidence": "[1]"},
        entities=[
            Entity("e1", 0, 4, "PER", "Anna", annotators=["a"]),
            Entity("e2", 9, 13, "PER", "Paul"),
        ],
        stances=[Stance(Mention("Anna", 0, 4, "e1"), Mention("Paul", 9, 13, "e2"), "SUPPORT")],
        doc_stances=[
            DocStance("Paul", "OPPOSE"),
            DocStance("Paul", "OPPOSE"),
            DocStance("Anna", "SUPPORT"),
        ],
    )
    plain = query_document(doc, frozenset())
    assert plain.entities == [] and plain.stances == [] and plain.doc_stances == []
    assert plain.meta == {"split": "test"}
    seen = query_document(doc, frozenset({"entities", "doc_stance_targets"}))
    assert [(e.start, e.end, e.label) for e in seen.entities] == [(0, 4, "PER"), (9, 13, "PER")]
    assert seen.entities[0].annotators == []
    assert [(d.target, d.label) for d in seen.doc_stances] == [("Paul", ""), ("Anna", "")]
    assert seen.stances == []
    assert doc.stances and doc.doc_stances[0].label == "OPPOSE"  # the input is untouched


def test_registry_names_match_the_classes_and_import_lazily():
    import subprocess
    import sys

    for name in MODELS:
        assert MODELS[name].name == ("hf" if name == "transformers" else name)
    code = "import goldwire.evaluate.models as m, sys; assert 'sklearn' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
