"""The BASIL and FNC-1 readers and importers, on small made-up files and (marked
``shared_data``) on slices of the real data sets in ../shared/data."""

from __future__ import annotations

import json
import shutil

import pytest

from goldwire.corpus.readers.base import ReadOptions, Rejection
from goldwire.corpus.readers.basil import BasilReader, basil_aliases, import_basil
from goldwire.corpus.readers.fnc1 import Fnc1Reader, import_fnc1
from goldwire.errors import ParseError
from goldwire.evaluate.inputs import load_gold
from goldwire.schema import Document

ARTICLE = {
    "source": "fox", "title": "Senate  votes on the bill", "date": "2016-09-28",
    "uuid": "u1", "triplet-uuid": "t1", "main-entities": ["Barack Obama"],
    "main-event": "veto", "url": "http://x",
    "body-paragraphs": [
        ["Congress will override President Obama\u2019s veto.",
         "\u201cIt\u2019s not against the president,\u201d  she said."],
        ["Cafe\u0301 owners backed Nancy Pelosi."],
    ],
}
ANNOTATIONS = {
    "article-level-annotations": {"author_feeling_Barack_Obama": "neg", "notes": ""},
    "phrase-level-annotations": [
        {"id": "p1", "start": 0, "end": 33,
         "txt": "\u201cIt\u2019s not against the president,\u201d", "speaker": "Nancy_Pelosi",
         "target": "Barack_Obama", "polarity": "pos", "aim": "dir", "quote": "yes"},
        {"id": "p0", "start": 9, "end": 32, "txt": "will override President", "speaker": "",
         "target": "Barack_Obama", "polarity": "neg", "aim": "dir", "quote": "no"},
        {"id": "p2", "start": 0, "end": 12, "txt": "Cafe\u0301 owners", "speaker": "other_pro",
         "target": "Nancy_Pelosi", "polarity": "pos", "aim": "dir", "quote": "no"},
        {"id": "title", "start": 0, "end": 6, "txt": "Senate", "speaker": "",
         "target": "Senate", "polarity": "neg", "aim": "dir", "quote": "no"},
        {"id": "p9", "start": 0, "end": 4, "txt": "gone", "speaker": "",
         "target": "Barack_Obama", "polarity": "neg", "aim": "dir", "quote": "no"},
    ],
}


@pytest.fixture()
def basil_dir(tmp_path):
    root = tmp_path / "basil"
    (root / "articles" / "2016").mkdir(parents=True)
    (root / "annotations" / "2016").mkdir(parents=True)
    (root / "articles" / "2016" / "t1_1.json").write_text(json.dumps(ARTICLE), encoding="utf-8")
    (root / "annotations" / "2016" / "t1_1_ann.json").write_text(json.dumps(ANNOTATIONS),
                                                                  encoding="utf-8")
    return root


def read_basil(path) -> list:
    return list(BasilReader().read(path, path.read_text(encoding="utf-8"), ReadOptions()))


def test_basil_reader_assembles_text_and_name_only_stances(basil_dir):
    (doc,) = read_basil(basil_dir / "articles" / "2016" / "t1_1.json")
    assert doc.text == ("Senate votes on the bill\n\n"
                        "Congress will override President Obama\u2019s veto. \u201cIt\u2019s not "
                        "against the president,\u201d she said.\n\nCaf\u00e9 owners backed Nancy "
                        "Pelosi.")
    assert doc.agency == "Fox News" and doc.published == "2016-09-28"
    assert [(p.kind, doc.text[p.start:p.end][:8]) for p in doc.paragraphs] == [
        ("title", "Senate v"), ("body", "Congress"), ("body", "Caf\u00e9 own")]
    assert [(s.holder.text, s.target.text, s.label, s.holder.has_span) for s in doc.stances] == [
        ("Nancy Pelosi", "Barack Obama", "SUPPORT", False),
        ("Fox News", "Barack Obama", "OPPOSE", False),
        ("Fox News", "Senate", "OPPOSE", False),
        ("Fox News", "Barack Obama", "OPPOSE", False)]
    evidence = json.loads(doc.meta["gold_stance_evidence"])
    assert [e and e["text"] for e in evidence] == [
        "\u201cIt\u2019s not against the president,\u201d", "will override President",
        "Senate", None]
    for e in evidence[:3]:
        assert doc.text[e["start"]:e["end"]] == e["text"]
    # p9 names no sentence; the other-speaker phrase is located but not a stance
    assert doc.meta["evidence_unlocated"] == "1" and doc.meta["unnamed_speakers"] == "1"
    assert json.loads(doc.meta["gold_article_level"]) == {"author_feeling_Barack_Obama": "neg"}
    assert doc.meta["split"] in ("train", "validation", "test")
    doc.validate()


def test_basil_reader_rejects_an_article_without_annotations(basil_dir):
    (basil_dir / "annotations" / "2016" / "t1_1_ann.json").unlink()
    (item,) = read_basil(basil_dir / "articles" / "2016" / "t1_1.json")
    assert isinstance(item, Rejection) and item.reason == "no-annotations"
    assert "t1_1_ann.json cannot be read" in item.message


def test_basil_aliases_map_last_names_only_when_unambiguous():
    from goldwire.schema import Mention, Stance

    doc = Document(id="x", text="t", stances=[
        Stance(Mention(text="Fox News"), Mention(text="Donald Trump"), "OPPOSE"),
        Stance(Mention(text="Bill Clinton"), Mention(text="Hillary Clinton"), "SUPPORT"),
        Stance(Mention(text="Fox News"), Mention(text="House Democrats"), "OPPOSE")])
    assert basil_aliases([doc]) == {"Donald Trump": ["Trump"]}


def test_import_basil_builds_a_corpus_with_aliases(basil_dir, tmp_path):
    report = import_basil(basil_dir, tmp_path / "corpus")
    assert report.build.kept == 1 and report.notes["phrases"] == 5
    assert report.notes["phrases_unlocated"] == 1 and report.notes["stances"] == 4
    written = json.loads((tmp_path / "corpus" / "import_report.json").read_text())
    assert written["phrases_unlocated_list"][0]["phrases"] == ["p9: 'gone'"]
    assert json.loads((tmp_path / "corpus" / "aliases.json").read_text()) == {
        "Barack Obama": ["Obama"], "Nancy Pelosi": ["Pelosi"]}
    split = next(s for s, n in report.build.splits.items() if n)
    (doc,) = load_gold(tmp_path / "corpus", split=split).docs
    assert len(doc.stances) == 4 and doc.agency == "Fox News"
    assert doc.meta["original_reader"] == "basil" and "gold_stance_evidence" in doc.meta


STANCES_CSV = (
    "Headline,Body ID,Stance\n"
    "Cat saved from tree,1,agree\n"
    "Cat saved from tree,1,agree\n"
    "Bank robbed,1,unrelated\n"
    "Bank robbed,2,discuss\n"
    "Bank robbed,3,discuss\n"
    "Cat saved from tree,9,agree\n"
    "Storm hits,2,maybe\n"
)
BODIES_CSV = ('Body ID,articleBody\n1,"A cat was rescued.\n\nThe owner thanked them."\n'
              '2,Thieves robbed a bank.\n3,Thieves robbed a bank.\n')


@pytest.fixture()
def fnc_dir(tmp_path):
    root = tmp_path / "fnc1"
    root.mkdir()
    (root / "competition_test_stances.csv").write_text(STANCES_CSV, encoding="utf-8")
    (root / "competition_test_bodies.csv").write_text(BODIES_CSV, encoding="utf-8")
    return root


def test_fnc1_reader_one_document_per_body(fnc_dir):
    path = fnc_dir / "competition_test_stances.csv"
    items = list(Fnc1Reader().read(path, path.read_text(), ReadOptions()))
    docs = [i for i in items if isinstance(i, Document)]
    rejections = [i for i in items if isinstance(i, Rejection)]
    assert [r.item for r in rejections] == ["line 7", "line 8"]
    assert "Body ID 9 is not in competition_test_bodies.csv" in rejections[0].message
    assert "stance 'maybe' is not one of agree, disagree, discuss, unrelated" in \
        rejections[1].message
    cat, bank = docs
    assert cat.text == "A cat was rescued.\n\nThe owner thanked them."
    assert [(p.start, p.end) for p in cat.paragraphs] == [(0, 18), (20, 43)]
    assert [(d.target, d.label) for d in cat.doc_stances] == [
        ("Cat saved from tree", "agree"), ("Bank robbed", "unrelated")]
    assert cat.meta["pairs"] == "3" and cat.meta["body_id"] == "1"
    # bodies 2 and 3 have the same text: one document with both ids, one stance per headline
    assert bank.meta["body_ids"] == '["2", "3"]' and bank.meta["pairs"] == "2"
    assert [(d.target, d.label) for d in bank.doc_stances] == [("Bank robbed", "discuss")]


def test_fnc1_conflicting_labels_for_one_body_are_rejected(fnc_dir):
    path = fnc_dir / "competition_test_stances.csv"
    path.write_text(STANCES_CSV.replace("Bank robbed,3,discuss", "Bank robbed,3,disagree"))
    items = list(Fnc1Reader().read(path, path.read_text(), ReadOptions()))
    conflict = [i for i in items if isinstance(i, Rejection) and "has label" in i.message]
    assert len(conflict) == 1
    assert "headline 'Bank robbed' has label disagree here and discuss on line 5" in \
        conflict[0].message and "(2, 3)" in conflict[0].message
    assert [d.meta["body_id"] for d in items if isinstance(d, Document)] == ["1"]


def test_fnc1_needs_its_bodies_file(fnc_dir):
    (fnc_dir / "competition_test_bodies.csv").unlink()
    path = fnc_dir / "competition_test_stances.csv"
    with pytest.raises(ParseError, match="its bodies file competition_test_bodies.csv is not "
                       "beside it"):
        list(Fnc1Reader().read(path, path.read_text(), ReadOptions()))


def test_import_fnc1_uses_fnc_labels(fnc_dir, tmp_path):
    report = import_fnc1(fnc_dir, tmp_path / "c")
    assert report.build.kept == 2 and len(report.rejections) == 2
    meta = json.loads((tmp_path / "c" / "goldwire.json").read_text())
    assert [d["name"] for d in meta["label_schema"]["doc_stances"]] == [
        "agree", "disagree", "discuss", "unrelated"]


# --------------------------------------------------------------------------- real data


@pytest.mark.shared_data
def test_basil_real_slice_locates_every_phrase(shared_data, tmp_path):
    src = shared_data / "basil"
    root = tmp_path / "basil"
    for year in ("2016", "2019"):
        for kind in ("articles", "annotations"):
            (root / kind / year).mkdir(parents=True)
            for f in sorted((src / kind / year).iterdir())[:6]:
                shutil.copy(f, root / kind / year / f.name)
    report = import_basil(root, tmp_path / "corpus")
    assert report.build.kept == 12 and report.notes["phrases"] > 20
    assert report.notes["phrases_unlocated"] == 0
    docs = [d for s in ("train", "validation", "test")
            for d in load_gold(tmp_path / "corpus", split=s).docs]
    assert {d.agency for d in docs} <= {"Fox News", "New York Times", "HuffPost"}
    for d in docs:
        for e in json.loads(d.meta["gold_stance_evidence"]):
            assert d.text[e["start"]:e["end"]] == e["text"]
    triplets = {}
    for d in docs:
        triplets.setdefault(d.meta["triplet_uuid"], set()).add(d.meta["split"])
    assert all(len(s) == 1 for s in triplets.values())


@pytest.mark.shared_data
def test_fnc1_real_bodies_never_straddle_splits(shared_data, tmp_path):
    root = tmp_path / "fnc1"
    root.mkdir()
    lines = (shared_data / "fnc1" / "competition_test_stances.csv").read_text(
        encoding="utf-8").splitlines()
    (root / "competition_test_stances.csv").write_text("\n".join(lines[:400]) + "\n",
                                                       encoding="utf-8")
    shutil.copy(shared_data / "fnc1" / "competition_test_bodies.csv", root)
    report = import_fnc1(root, tmp_path / "c")
    assert report.rejections == []
    docs = {s: load_gold(tmp_path / "c", split=s).docs for s in ("train", "validation", "test")}
    ids = {s: {i for d in ds for i in json.loads(d.meta["body_ids"])} for s, ds in docs.items()}
    assert not (ids["train"] & ids["test"]) and not (ids["train"] & ids["validation"])
    assert sum(len(d.doc_stances) for ds in docs.values() for d in ds) <= 399


@pytest.mark.shared_data
def test_gazetteer_on_a_conll_slice(shared_data, tmp_path):
    from goldwire.corpus.build import BuildConfig, build_corpus
    from goldwire.evaluate.inputs import PredictionSet
    from goldwire.evaluate.models.gazetteer import Gazetteer
    from goldwire.evaluate.scoring import ScoreOptions, score_documents

    head = (shared_data / "conll2003" / "train.txt").read_text(encoding="utf-8")[:300_000]
    (tmp_path / "train.txt").write_text(head.rsplit("\n-DOCSTART-", 1)[0] + "\n")
    build_corpus(BuildConfig(inputs=(tmp_path / "train.txt",), out=tmp_path / "c",
                             format="conll", minhash=None))
    gold = load_gold(tmp_path / "c", split="train")
    model = Gazetteer()
    model.fit(gold.docs)
    result = score_documents(gold, PredictionSet("p", [model.predict_document(d)
                                                       for d in gold.docs]),
                             ScoreOptions(resamples=0))
    figures = result.sections["entities.strict"].figures
    # on its own training data the unique-class lexicon is nearly always right
    assert figures["micro.precision"].value > 0.9 and figures["micro.recall"].value > 0.8
