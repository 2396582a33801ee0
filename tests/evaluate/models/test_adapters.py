"""The spaCy, Hugging Face and GLiNER adapters, on tiny models built and saved by the tests.

What is checked is the plumbing: offsets are code points of the document text (an emoji and
accents stand before the entities), labels are mapped, long documents are cut into windows
that together cover the whole text, nothing is read from a hub, and a missing extra says
which one to install.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tiny_models import (
    OTHER_SENTENCES,
    SENTENCE,
    tiny_gliner,
    train_bert_ner,
    train_spacy,
)

from goldwire.errors import InputError, MissingDependencyError, UsageError
from goldwire.evaluate.models.gliner_adapter import (
    GlinerModel,
    label_prompts,
    resolve_flat,
    word_windows,
)
from goldwire.evaluate.models.hf_adapter import (
    HFTokenModel,
    Word,
    decode_words,
    split_tag,
    windows_to_tokens,
)
from goldwire.evaluate.models.spacy_adapter import (
    LabelMap,
    SpacyModel,
    parse_label_map,
)
from goldwire.schema import Document, Entity, LabelSchema, Mention, Stance

# SENTENCE's entities as goldwire labels (the model's DATE is not a goldwire label: MISC)
EXPECTED = [("Zürich", "GPE"), ("Sunday", "MISC"), ("Angela Merkel", "PER"), ("Reuters", "ORG")]
LONG_TEXT = " ".join([SENTENCE, *OTHER_SENTENCES] * 4)


def expected_spans(text: str = SENTENCE) -> list[tuple[int, int, str, str]]:
    out = []
    for surface, label in EXPECTED:
        start = text.index(surface)
        out.append((start, start + len(surface), label, surface))
    return out


def gold_doc(text: str = SENTENCE, doc_id: str = "d1") -> Document:
    """A document carrying gold annotations, which a prediction must not carry over."""
    i = text.index("Reuters")
    gold = Entity("g1", i, i + 7, "ORG", "Reuters")
    stance = Stance(Mention("Reuters", i, i + 7, "g1"), Mention("Zürich"), "NEUTRAL")
    return Document(doc_id, text, entities=[gold], stances=[stance], meta={"k": "v"})


def check_prediction(pred: Document, doc: Document) -> None:
    """Same document, only predicted entities, ids p1.., every span's text on its offsets."""
    assert (pred.id, pred.text, pred.meta) == (doc.id, doc.text, doc.meta)
    assert pred.stances == [] and pred.doc_stances == []
    assert [e.id for e in pred.entities] == [f"p{i}" for i in range(1, len(pred.entities) + 1)]
    for e in pred.entities:
        assert e.text == doc.text[e.start : e.end]
        assert e.text == e.text.strip() and e.text
    pred.validate(LabelSchema.default())


def as_tuples(doc: Document) -> list[tuple[int, int, str, str]]:
    return [(e.start, e.end, e.label, e.text) for e in doc.entities]


def covered(text: str, entities: list[Entity]) -> set[int]:
    return {i for e in entities for i in range(e.start, e.end) if not text[i].isspace()}


def non_space(text: str) -> set[int]:
    return {i for i, c in enumerate(text) if not c.isspace()}


# --------------------------------------------------------------------------- common


def test_modules_import_without_their_heavy_dependencies():
    code = (
        "import sys\n"
        "import goldwire.evaluate.models.spacy_adapter, goldwire.evaluate.models.hf_adapter, "
        "goldwire.evaluate.models.gliner_adapter\n"
        "heavy = {'spacy', 'torch', 'transformers', 'gliner', 'tokenizers'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize(
    ("adapter", "module", "message"),
    [
        (
            SpacyModel,
            "spacy",
            "spacy is not installed; install it with `pip install 'goldwire[spacy]'`",
        ),
        (
            HFTokenModel,
            "transformers",
            "transformers is not installed; install it with `pip install 'goldwire[transformers]'`",
        ),
        (
            HFTokenModel,
            "torch",
            "torch is not installed; install it with `pip install 'goldwire[transformers]'`",
        ),
        (
            GlinerModel,
            "gliner",
            "gliner is not installed; install it with `pip install 'goldwire[gliner]'`",
        ),
        (
            GlinerModel,
            "torch",
            "torch is not installed; install it with `pip install 'goldwire[gliner]'`",
        ),
    ],
)
def test_missing_extra_is_named(monkeypatch, tmp_path, adapter, module, message):
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    with pytest.raises(MissingDependencyError) as info:
        adapter.load(str(tmp_path))
    assert str(info.value) == message


@pytest.mark.parametrize("adapter", [SpacyModel, HFTokenModel, GlinerModel])
def test_a_path_is_required_and_models_are_not_saved(adapter, tmp_path):
    with pytest.raises(UsageError, match=f"--model {adapter.name}:PATH"):
        adapter.load(None)
    model = object.__new__(adapter)
    with pytest.raises(UsageError, match="not saved by goldwire"):
        model.save(tmp_path)


def test_registry_knows_the_adapters(spacy_path):
    from goldwire.evaluate.models import MODELS, load_model

    assert (MODELS["spacy"], MODELS["hf"], MODELS["gliner"]) == (
        SpacyModel,
        HFTokenModel,
        GlinerModel,
    )
    model = load_model(f"spacy:{spacy_path}")
    assert isinstance(model, SpacyModel) and model.describe()["task"] == "entities"
    with pytest.raises(UsageError, match="needs a path: --model hf:PATH"):
        load_model("hf")


def test_label_map_rules():
    m = LabelMap()
    assert [m(x) for x in ("PERSON", "PER", "ORG", "GPE", "LOC", "NORP", "EVENT", "MISC")] == [
        "PER",
        "PER",
        "ORG",
        "GPE",
        "LOC",
        "NORP",
        "EVENT",
        "MISC",
    ]
    assert [m(x) for x in ("DATE", "FAC", "person", "WORK_OF_ART")] == [
        "MISC",
        "MISC",
        "PER",
        "MISC",
    ]
    m = LabelMap(overrides={"FAC": "LOC", "DATE": None, "PER": "ORG"})
    assert [m("FAC"), m("DATE"), m("DATE"), m("PER")] == ["LOC", None, None, "ORG"]
    assert m.dropped == {"DATE": 2}
    # a label of the schema is kept as it is; without MISC in the schema, unknown labels drop
    m = LabelMap.for_schema(LabelSchema.from_names(["PERSON", "ORG"]))
    assert [m("PERSON"), m("ORG"), m("GPE")] == ["PERSON", "ORG", None]
    with pytest.raises(UsageError, match="label map targets FOO are not labels of the schema"):
        LabelMap(overrides={"X": "FOO"})


def test_parse_label_map():
    assert parse_label_map("PERSON=PER, FAC=LOC,DATE=,") == {
        "PERSON": "PER",
        "FAC": "LOC",
        "DATE": None,
    }
    with pytest.raises(UsageError) as info:
        parse_label_map("PERSON")
    assert str(info.value) == (
        "label map entry 'PERSON' is not MODEL_LABEL=LABEL; write e.g. 'PERSON=PER,FAC=LOC,DATE=' "
        "(nothing after = drops the label)"
    )


# --------------------------------------------------------------------------- spaCy


@pytest.fixture(scope="module")
def spacy_path(tmp_path_factory) -> Path:
    path, steps = train_spacy(tmp_path_factory.mktemp("spacy") / "pipeline")
    assert steps < 100, "the tiny spaCy NER did not learn its sentence"
    return path


def test_spacy_predicts_trained_entities_at_code_point_offsets(spacy_path):
    model = SpacyModel.load(str(spacy_path))
    doc = gold_doc()
    (pred,) = model.predict([doc])
    check_prediction(pred, doc)
    assert as_tuples(pred) == expected_spans()
    assert all(e.score is None for e in pred.entities)  # spaCy gives no scores
    assert model.config()["path"] == str(spacy_path)


def test_spacy_label_map_and_batches(spacy_path):
    model = SpacyModel.load(str(spacy_path), label_map="DATE=,GPE=LOC", batch_size=2)
    docs = [gold_doc(doc_id=f"d{i}") for i in range(3)] + [Document("empty", "")]
    preds = list(model.predict(docs))
    assert [p.id for p in preds] == ["d0", "d1", "d2", "empty"]
    want = [
        (s, e, "LOC" if label == "GPE" else label, t)
        for s, e, label, t in expected_spans()
        if t != "Sunday"
    ]
    for p in preds[:3]:
        assert as_tuples(p) == want
    assert preds[3].entities == []
    assert model.label_map.dropped == {"DATE": 3}


def test_spacy_unknown_pipeline(tmp_path):
    with pytest.raises(InputError, match="is neither a pipeline directory nor an installed"):
        SpacyModel.load(str(tmp_path / "missing"))
    with pytest.raises(InputError, match="is neither a pipeline directory nor an installed"):
        SpacyModel.load("xx_not_an_installed_pipeline_sm")


# --------------------------------------------------------------------------- transformers


@pytest.fixture(scope="module")
def bert_path(tmp_path_factory) -> Path:
    path, steps = train_bert_ner(tmp_path_factory.mktemp("hf") / "bert")
    assert steps < 300, "the tiny BERT did not learn its sentence"
    return path


def rigged(path: Path, tag: str, **options) -> HFTokenModel:
    """The model with a classifier that gives every token ``tag`` (so predictions no longer
    depend on the window a token is read in)."""
    model = HFTokenModel.load(str(path), **options)
    classifier = model.model.classifier
    classifier.weight.data.zero_()
    classifier.bias.data.fill_(0.0)
    classifier.bias.data[model.model.config.label2id[tag]] = 10.0
    return model


def test_hf_predicts_trained_entities_at_code_point_offsets(bert_path):
    for aggregation in ("first", "max", "average"):
        model = HFTokenModel.load(str(bert_path), aggregation=aggregation)
        doc = gold_doc()
        (pred,) = model.predict([doc])
        check_prediction(pred, doc)
        assert as_tuples(pred) == expected_spans(), aggregation
        assert all(0.9 < e.score <= 1.0 for e in pred.entities), (aggregation, pred.entities)


def test_hf_sub_tokens_are_gathered_into_words(bert_path):
    model = HFTokenModel.load(str(bert_path))
    tokens = model.tokenizer.tokenize(SENTENCE)
    assert any(t.startswith("##") for t in tokens)  # the test needs words of several pieces
    words = model.words(SENTENCE)
    pre = model.tokenizer.backend_tokenizer.pre_tokenizer.pre_tokenize_str(SENTENCE)
    assert [(w.start, w.end) for w in words] == [span for _, span in pre]


def test_hf_aggregation_of_sub_tokens(bert_path):
    import numpy as np

    # a word of two pieces, tagged B-PERSON then (as models trained on pieces do) I-PERSON
    probs = np.zeros((2, 9), dtype=np.float32)
    probs[0, :3] = [0.1, 0.5, 0.4]  # O, B-PERSON, I-PERSON
    probs[1, :3] = [0.1, 0.05, 0.85]
    got = {}
    for aggregation in ("first", "max", "average"):
        model = HFTokenModel.load(str(bert_path), aggregation=aggregation)
        tag, score = model._aggregate(probs)
        got[aggregation] = (model.id2label[tag], round(score, 3))
    # max and average decide the type (B- and I- added up), the first piece the prefix
    assert got == {
        "first": ("B-PERSON", 0.5),
        "max": ("B-PERSON", 0.9),
        "average": ("B-PERSON", 0.9),
    }


def test_hf_long_document_windows_cover_the_whole_text(bert_path):
    model = rigged(bert_path, "B-PERSON", max_length=16, stride=4)
    n_tokens = len(model.tokenizer(LONG_TEXT, add_special_tokens=False, verbose=False)["input_ids"])
    assert n_tokens > 10 * 14  # more than ten windows of 14 text tokens
    (pred,) = model.predict([Document("long", LONG_TEXT)])
    check_prediction(pred, Document("long", LONG_TEXT))
    # every word of the text is an entity: the windows leave no word out, nor split one
    pre = model.tokenizer.backend_tokenizer.pre_tokenizer.pre_tokenize_str(LONG_TEXT)
    assert [(e.start, e.end) for e in pred.entities] == [span for _, span in pre]
    assert {e.label for e in pred.entities} == {"PER"}
    # I- tags only: one entity running across all windows, from the first to the last character
    model = rigged(bert_path, "I-ORG", max_length=16, stride=0)
    (pred,) = model.predict([Document("long", LONG_TEXT)])
    assert as_tuples(pred) == [(0, len(LONG_TEXT), "ORG", LONG_TEXT)]


class EdgeShy:
    """Wraps a token classifier: B-PERSON for tokens with at least ``reach`` tokens of context
    on both sides within their window (document edges count as context), B-ORG nearer to a
    window edge. The adapter must read every token where it has the most context."""

    def __init__(self, model, reach: int):
        self.model, self.reach, self.config = model, reach, model.config

    def eval(self):
        return self

    def __call__(self, input_ids, attention_mask, **_):
        import torch

        label2id = self.config.label2id
        logits = torch.zeros((*input_ids.shape, len(label2id)))
        for w, mask in enumerate(attention_mask):
            m = int(mask.sum()) - 2  # [CLS] text [SEP] [PAD]...
            k = torch.arange(m)
            central = torch.minimum(k, m - 1 - k) >= self.reach
            logits[w, 1 : m + 1, label2id["B-ORG"]] = 1.0
            logits[w, 1 : m + 1, label2id["B-PERSON"]] = central.float() * 2
        return type("Output", (), {"logits": logits})()


def test_hf_tokens_are_read_where_they_have_most_context(bert_path):
    model = HFTokenModel.load(str(bert_path), max_length=16, stride=6)
    doc = Document("long", LONG_TEXT)
    model.model = EdgeShy(model.model, reach=3)
    (pred,) = model.predict([doc])
    labels = [e.label for e in pred.entities]
    # tokens at the document's edges have context enough on that side; every other token
    # lies 3 or more tokens from the edges of some window (windows of 14 overlap by 6)
    assert set(labels[1:-1]) == {"PER"}
    # while reading each token in the first (or last) window that has it does not work
    model.stride = 2
    (pred,) = model.predict([doc])
    assert "ORG" in {e.label for e in pred.entities}


def test_hf_unnamed_labels_are_refused(bert_path):
    model = HFTokenModel.load(str(bert_path))
    model.model.config.id2label = {i: f"LABEL_{i}" for i in range(3)}
    with pytest.raises(InputError, match="its config names no labels"):
        HFTokenModel(model.model, model.tokenizer)


def test_hf_windows_line_up_with_tokens():
    full = [(7, (0, 1)), (8, (2, 3)), (7, (4, 5)), (8, (6, 7)), (7, (8, 9))]
    windows = [full[0:3], full[2:4], full[2:5]]
    assert windows_to_tokens(windows, full) == [0, 2, 2]
    # the same ids at other offsets (a repeated text) are not the same tokens
    assert windows_to_tokens([full[0:2], full[2:4]], full) == [0, 2]
    with pytest.raises(InputError):
        windows_to_tokens([[(7, (0, 1))], [(9, (2, 3))]], full)


def test_hf_repeated_text_in_many_windows(bert_path):
    text = " ".join([SENTENCE] * 12)  # periodic: every window's ids recur further on
    for stride in (0, 5, 15, 61):
        model = rigged(bert_path, "B-PERSON", stride=stride)
        (pred,) = model.predict([Document("r", text)])
        check_prediction(pred, Document("r", text))
        pre = model.tokenizer.backend_tokenizer.pre_tokenizer.pre_tokenize_str(text)
        assert [(e.start, e.end) for e in pred.entities] == [span for _, span in pre], stride


@pytest.mark.parametrize(
    ("tags", "want"),
    [
        (["B-PER", "I-PER", "O", "B-ORG"], [(0, 2, "PER"), (3, 4, "ORG")]),  # IOB2
        (["I-PER", "I-PER", "B-PER", "O"], [(0, 2, "PER"), (2, 3, "PER")]),  # IOB1
        (["B-PER", "I-ORG", "I-ORG", "O"], [(0, 1, "PER"), (1, 3, "ORG")]),  # type change
        (["S-LOC", "B-PER", "E-PER", "I-PER"], [(0, 1, "LOC"), (1, 3, "PER"), (3, 4, "PER")]),
        (["U-LOC", "B-PER", "L-PER", "O"], [(0, 1, "LOC"), (1, 3, "PER")]),  # BILOU
        (["PER", "PER", "O", "ORG"], [(0, 2, "PER"), (3, 4, "ORG")]),  # IO
    ],
)
def test_hf_tag_decoding(tags, want):
    words = [Word(i, i + 1, tag, 0.5 + i / 10) for i, tag in enumerate(tags)]
    got = decode_words(words)
    assert [(s, e, label) for s, e, label, _ in got] == want
    assert split_tag("B-PER") == ("B", "PER") and split_tag("O") == ("O", None)
    assert split_tag("B-GEO-LOC") == ("B", "GEO-LOC") and split_tag("NORP") == ("I", "NORP")


def test_hf_loads_local_directories_only(tmp_path):
    with pytest.raises(InputError, match="is not a directory; goldwire loads only local models"):
        HFTokenModel.load("dslim/bert-base-NER")
    with pytest.raises(InputError, match="cannot be loaded as a token-classification model"):
        HFTokenModel.load(str(tmp_path))


def test_hf_options_are_checked(bert_path):
    with pytest.raises(UsageError, match="stride must be between 0 and 13"):
        HFTokenModel.load(str(bert_path), max_length=16, stride=14)
    with pytest.raises(UsageError, match="unknown aggregation 'mean'"):
        HFTokenModel.load(str(bert_path), aggregation="mean")


# --------------------------------------------------------------------------- GLiNER


@pytest.fixture(scope="module")
def gliner_path(tmp_path_factory) -> Path:
    path = tiny_gliner(tmp_path_factory.mktemp("gliner") / "model", max_len=24)
    assert not (path.parent / "model-backbone").exists()  # loading needs the folder alone
    return path


def gliner_words(model: GlinerModel, text: str) -> list[tuple[int, int]]:
    return [(s, e) for _, s, e in model.model.data_processor.words_splitter(text)]


def test_gliner_offsets_and_labels(gliner_path):
    # threshold 0: every span is a candidate, so flat decoding covers every word exactly once
    model = GlinerModel.load(str(gliner_path), threshold=0.0)
    doc = gold_doc()
    (pred,) = model.predict([doc])
    check_prediction(pred, doc)
    words = gliner_words(model, SENTENCE)
    starts, ends = {s for s, _ in words}, {e for _, e in words}
    assert all(e.start in starts and e.end in ends for e in pred.entities)
    assert covered(SENTENCE, pred.entities) == non_space(SENTENCE)
    assert {e.label for e in pred.entities} <= set(LabelSchema.default().entity_labels)
    assert all(0.0 <= e.score <= 1.0 for e in pred.entities)
    # the threshold is applied
    (pred,) = GlinerModel.load(str(gliner_path), threshold=1.0).predict([doc])
    assert pred.entities == []


def test_gliner_long_document_windows_cover_the_whole_text(gliner_path):
    model = GlinerModel.load(str(gliner_path), threshold=0.0)
    assert (model.max_words, model.overlap) == (24, 6)
    n_words = len(gliner_words(model, LONG_TEXT))
    assert n_words > 4 * 24
    doc = Document("long", LONG_TEXT)
    (pred,) = model.predict([doc])
    check_prediction(pred, doc)
    assert covered(LONG_TEXT, pred.entities) == non_space(LONG_TEXT)
    ents = sorted(pred.entities, key=lambda e: e.start)
    assert all(a.end <= b.start for a, b in zip(ents, ents[1:], strict=False))
    # GLiNER alone reads max_len words and drops the rest: the windows are what covers the end
    with pytest.warns(UserWarning, match="truncated to 24"):
        alone = model.model.inference([LONG_TEXT], model.prompts, threshold=0.0)[0]
    assert max(e["end"] for e in alone) < len(LONG_TEXT) // 2


class FindsMerkel:
    """A stand-in GLiNER that finds every "Merkel" of each text it is given (window-local
    offsets), to check how the windows' offsets are put back together."""

    def __init__(self, real):
        self.config = type("Config", (), {"max_len": 8})()
        self.data_processor = real.data_processor
        self.calls: list[str] = []

    def inference(self, texts, labels, flat_ner, threshold, batch_size):
        assert labels["PER"] == "person"
        self.calls.extend(texts)
        out = []
        for text in texts:
            found, i = [], text.find("Merkel")
            while i >= 0:
                found.append({"start": i, "end": i + 6, "label": "PER", "score": 0.9})
                i = text.find("Merkel", i + 1)
            out.append(found)
        return out


def test_gliner_window_offsets_are_put_back(gliner_path):
    real = GlinerModel.load(str(gliner_path)).model
    text = "🎉 Merkel. " + " ".join(f"Ünïcödé {i} Merkel met Mérkel." for i in range(9))
    for overlap in (0, 1, 3, 7):
        stub = FindsMerkel(real)
        model = GlinerModel(stub, overlap=overlap)
        (pred,) = model.predict([Document("d", text)])
        want = [i for i in range(len(text)) if text.startswith("Merkel", i)]
        assert [e.start for e in pred.entities] == want, overlap  # each found once, in place
        assert all(e.text == "Merkel" and e.label == "PER" for e in pred.entities)
        assert len(stub.calls) > 5
        assert all(len(gliner_words(model, t)) <= 8 for t in stub.calls)


def test_gliner_word_windows():
    for n, size, overlap in [(10, 4, 1), (10, 4, 0), (5, 5, 1), (100, 16, 4), (17, 16, 4)]:
        windows = word_windows(n, size, overlap)
        assert windows[0][0] == 0 and windows[-1][1] == n
        assert all(end - first <= size for first, end, _, _ in windows)
        # the owned parts tile the words
        assert windows[0][2] == 0 and windows[-1][3] == n
        assert all(a[3] == b[2] for a, b in zip(windows, windows[1:], strict=False))
        assert all(f <= of < oe <= e for f, e, of, oe in windows)
    assert resolve_flat([(0, 5, "PER", 0.6), (3, 8, "ORG", 0.9), (8, 9, "LOC", 0.1)]) == [
        (3, 8, "ORG", 0.9),
        (8, 9, "LOC", 0.1),
    ]


def test_gliner_prompts():
    schema = LabelSchema.default()
    prompts = label_prompts(schema)
    assert prompts["PER"] == "person" and prompts["ORG"] == "organization"
    assert list(prompts) == schema.entity_labels
    described = label_prompts(schema, use_descriptions=True)
    assert described["PER"] == schema.entities[0].description
    custom = label_prompts(LabelSchema.from_names(["PER", "WEAPON"]), {"PER": "politician"})
    assert custom == {"PER": "politician", "WEAPON": "weapon"}
    with pytest.raises(UsageError, match="prompts for FOO, which are not entity labels"):
        label_prompts(schema, {"FOO": "foo"})
    with pytest.raises(UsageError, match="labels PER and ORG have the same prompt 'x'"):
        label_prompts(schema, {"PER": "x", "ORG": "x"})


def test_gliner_loads_local_directories_only(tmp_path):
    with pytest.raises(InputError, match="is not a GLiNER directory"):
        GlinerModel.load("urchade/gliner_small-v2.1")
    (tmp_path / "gliner_config.json").write_text('{"model_name": "/nonexistent/backbone"}')
    with pytest.raises(InputError, match="cannot be loaded from its directory alone"):
        GlinerModel.load(str(tmp_path))
