"""The FNC-1 reader and importer, on small made-up files and (marked ``shared_data``) on a
slice of the real data set in ../shared/data."""

from __future__ import annotations

import json
import shutil

import pytest

from goldwire.corpus.dataset import open_documents
from goldwire.corpus.readers.base import ReadOptions, Rejection
from goldwire.corpus.readers.fnc1 import Fnc1Reader, import_fnc1
from goldwire.errors import ParseError
from goldwire.schema import Document

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
BODIES_CSV = (
    'Body ID,articleBody\n1,"A cat was rescued.\n\nThe owner thanked them."\n'
    "2,Thieves robbed a bank.\n3,Thieves robbed a bank.\n"
)


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
    assert (
        "stance 'maybe' is not one of agree, disagree, discuss, unrelated" in rejections[1].message
    )
    cat, bank = docs
    for doc in docs:
        assert (doc.annotation.entities, doc.annotation.stances, doc.annotation.doc_stances) == (
            "none", "none", "reader:fnc1",
        )  # fmt: skip
    assert cat.text == "A cat was rescued.\n\nThe owner thanked them."
    assert [(p.start, p.end) for p in cat.paragraphs] == [(0, 18), (20, 43)]
    assert [(d.target, d.label) for d in cat.doc_stances] == [
        ("Cat saved from tree", "agree"),
        ("Bank robbed", "unrelated"),
    ]
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
    assert (
        "headline 'Bank robbed' has label disagree here and discuss on line 5"
        in conflict[0].message
        and "(2, 3)" in conflict[0].message
    )
    assert [d.meta["body_id"] for d in items if isinstance(d, Document)] == ["1"]


def test_fnc1_needs_its_bodies_file(fnc_dir):
    (fnc_dir / "competition_test_bodies.csv").unlink()
    path = fnc_dir / "competition_test_stances.csv"
    with pytest.raises(
        ParseError, match="its bodies file competition_test_bodies.csv is not beside it"
    ):
        list(Fnc1Reader().read(path, path.read_text(), ReadOptions()))


def test_import_fnc1_uses_fnc_labels(fnc_dir, tmp_path):
    report = import_fnc1(fnc_dir, tmp_path / "c")
    assert report.build.kept == 2 and len(report.rejections) == 2
    meta = json.loads((tmp_path / "c" / "goldwire.json").read_text())
    assert [d["name"] for d in meta["label_schema"]["doc_stances"]] == [
        "agree",
        "disagree",
        "discuss",
        "unrelated",
    ]
    docs = open_documents(tmp_path / "c").docs
    assert [d.annotation.gold_layers() for d in docs] == [("doc_stances",)] * 2


# --------------------------------------------------------------------------- real data


@pytest.mark.shared_data
def test_fnc1_real_bodies_never_straddle_splits(shared_data, tmp_path):
    root = tmp_path / "fnc1"
    root.mkdir()
    lines = (
        (shared_data / "fnc1" / "competition_test_stances.csv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    (root / "competition_test_stances.csv").write_text(
        "\n".join(lines[:400]) + "\n", encoding="utf-8"
    )
    shutil.copy(shared_data / "fnc1" / "competition_test_bodies.csv", root)
    report = import_fnc1(root, tmp_path / "c")
    assert report.rejections == []
    docs = {s: open_documents(tmp_path / "c", s).docs for s in ("train", "validation", "test")}
    ids = {s: {i for d in ds for i in json.loads(d.meta["body_ids"])} for s, ds in docs.items()}
    assert not (ids["train"] & ids["test"]) and not (ids["train"] & ids["validation"])
    assert sum(len(d.doc_stances) for ds in docs.values() for d in ds) <= 399
