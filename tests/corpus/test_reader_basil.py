"""The BASIL reader and importer, on small made-up files and (marked ``shared_data``) on a
slice of the real data set in ../shared/data."""

from __future__ import annotations

import json
import shutil

import pytest

from goldwire.corpus.dataset import open_documents
from goldwire.corpus.readers.base import ReadOptions, Rejection
from goldwire.corpus.readers.basil import BasilReader, basil_aliases, import_basil
from goldwire.schema import Document

ARTICLE = {
    "source": "fox",
    "title": "Senate  votes on the bill",
    "date": "2016-09-28",
    "uuid": "u1",
    "triplet-uuid": "t1",
    "main-entities": ["Barack Obama"],
    "main-event": "veto",
    "url": "http://x",
    "body-paragraphs": [
        [
            "Congress will override President Obama\u2019s veto.",
            "\u201cIt\u2019s not against the president,\u201d  she said.",
        ],
        ["Cafe\u0301 owners backed Nancy Pelosi."],
    ],
}
ANNOTATIONS = {
    "article-level-annotations": {"author_feeling_Barack_Obama": "neg", "notes": ""},
    "phrase-level-annotations": [
        {
            "id": "p1",
            "start": 0,
            "end": 33,
            "txt": "\u201cIt\u2019s not against the president,\u201d",
            "speaker": "Nancy_Pelosi",
            "target": "Barack_Obama",
            "polarity": "pos",
            "aim": "dir",
            "quote": "yes",
        },
        {
            "id": "p0",
            "start": 9,
            "end": 32,
            "txt": "will override President",
            "speaker": "",
            "target": "Barack_Obama",
            "polarity": "neg",
            "aim": "dir",
            "quote": "no",
        },
        {
            "id": "p2",
            "start": 0,
            "end": 12,
            "txt": "Cafe\u0301 owners",
            "speaker": "other_pro",
            "target": "Nancy_Pelosi",
            "polarity": "pos",
            "aim": "dir",
            "quote": "no",
        },
        {
            "id": "title",
            "start": 0,
            "end": 6,
            "txt": "Senate",
            "speaker": "",
            "target": "Senate",
            "polarity": "neg",
            "aim": "dir",
            "quote": "no",
        },
        {
            "id": "p9",
            "start": 0,
            "end": 4,
            "txt": "gone",
            "speaker": "",
            "target": "Barack_Obama",
            "polarity": "neg",
            "aim": "dir",
            "quote": "no",
        },
    ],
}


@pytest.fixture()
def basil_dir(tmp_path):
    root = tmp_path / "basil"
    (root / "articles" / "2016").mkdir(parents=True)
    (root / "annotations" / "2016").mkdir(parents=True)
    (root / "articles" / "2016" / "t1_1.json").write_text(json.dumps(ARTICLE), encoding="utf-8")
    (root / "annotations" / "2016" / "t1_1_ann.json").write_text(
        json.dumps(ANNOTATIONS), encoding="utf-8"
    )
    return root


def read_basil(path) -> list:
    return list(BasilReader().read(path, path.read_text(encoding="utf-8"), ReadOptions()))


def test_basil_reader_assembles_text_and_name_only_stances(basil_dir):
    (doc,) = read_basil(basil_dir / "articles" / "2016" / "t1_1.json")
    assert doc.text == (
        "Senate votes on the bill\n\n"
        "Congress will override President Obama\u2019s veto. \u201cIt\u2019s not "
        "against the president,\u201d she said.\n\nCaf\u00e9 owners backed Nancy "
        "Pelosi."
    )
    assert doc.agency == "Fox News" and doc.published == "2016-09-28"
    assert [(p.kind, doc.text[p.start : p.end][:8]) for p in doc.paragraphs] == [
        ("title", "Senate v"),
        ("body", "Congress"),
        ("body", "Caf\u00e9 own"),
    ]
    assert [(s.holder.text, s.target.text, s.label, s.holder.has_span) for s in doc.stances] == [
        ("Nancy Pelosi", "Barack Obama", "SUPPORT", False),
        ("Fox News", "Barack Obama", "OPPOSE", False),
        ("Fox News", "Senate", "OPPOSE", False),
        ("Fox News", "Barack Obama", "OPPOSE", False),
    ]
    evidence = json.loads(doc.meta["gold_stance_evidence"])
    assert [e and e["text"] for e in evidence] == [
        "\u201cIt\u2019s not against the president,\u201d",
        "will override President",
        "Senate",
        None,
    ]
    for e in evidence[:3]:
        assert doc.text[e["start"] : e["end"]] == e["text"]
    # p9 names no sentence; the other-speaker phrase is located but not a stance
    assert doc.meta["evidence_unlocated"] == "1" and doc.meta["unnamed_speakers"] == "1"
    assert json.loads(doc.meta["gold_article_level"]) == {"author_feeling_Barack_Obama": "neg"}
    assert doc.meta["split"] in ("train", "validation", "test")
    assert (doc.annotation.entities, doc.annotation.stances, doc.annotation.doc_stances) == (
        "none", "reader:basil", "none",
    )  # fmt: skip
    doc.validate()


def test_basil_reader_rejects_an_article_without_annotations(basil_dir):
    (basil_dir / "annotations" / "2016" / "t1_1_ann.json").unlink()
    (item,) = read_basil(basil_dir / "articles" / "2016" / "t1_1.json")
    assert isinstance(item, Rejection) and item.reason == "no-annotations"
    assert "t1_1_ann.json cannot be read" in item.message


def test_basil_aliases_map_last_names_only_when_unambiguous():
    from goldwire.schema import Mention, Stance

    doc = Document(
        id="x",
        text="t",
        stances=[
            Stance(Mention(text="Fox News"), Mention(text="Donald Trump"), "OPPOSE"),
            Stance(Mention(text="Bill Clinton"), Mention(text="Hillary Clinton"), "SUPPORT"),
            Stance(Mention(text="Fox News"), Mention(text="House Democrats"), "OPPOSE"),
        ],
    )
    assert basil_aliases([doc]) == {"Donald Trump": ["Trump"]}


def test_import_basil_builds_a_corpus_with_aliases(basil_dir, tmp_path):
    report = import_basil(basil_dir, tmp_path / "corpus")
    assert report.build.kept == 1 and report.notes["phrases"] == 5
    assert report.notes["phrases_unlocated"] == 1 and report.notes["stances"] == 4
    written = json.loads((tmp_path / "corpus" / "import_report.json").read_text())
    assert written["phrases_unlocated_list"][0]["phrases"] == ["p9: 'gone'"]
    assert json.loads((tmp_path / "corpus" / "aliases.json").read_text()) == {
        "Barack Obama": ["Obama"],
        "Nancy Pelosi": ["Pelosi"],
    }
    split = next(s for s, n in report.build.splits.items() if n)
    (doc,) = open_documents(tmp_path / "corpus", split).docs
    assert len(doc.stances) == 4 and doc.agency == "Fox News"
    assert doc.meta["original_reader"] == "basil" and "gold_stance_evidence" in doc.meta
    assert doc.annotation.stances == "reader:basil"  # through the JSONL the import builds from
    assert doc.annotation.gold_layers() == ("stances",)


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
    docs = [
        d
        for s in ("train", "validation", "test")
        for d in open_documents(tmp_path / "corpus", s).docs
    ]
    assert {d.agency for d in docs} <= {"Fox News", "New York Times", "HuffPost"}
    for d in docs:
        for e in json.loads(d.meta["gold_stance_evidence"]):
            assert d.text[e["start"] : e["end"]] == e["text"]
    triplets = {}
    for d in docs:
        triplets.setdefault(d.meta["triplet_uuid"], set()).add(d.meta["split"])
    assert all(len(s) == 1 for s in triplets.values())
