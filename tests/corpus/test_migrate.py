"""Corpora written by schema version 1 (tests/data/corpus_v1, written by goldwire at 89f7904;
see its HOW.md): loaded migrated in memory, and written as a version 2 copy."""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from goldwire.corpus import migrate as migrate_mod
from goldwire.corpus.dataset import GOLDWIRE_META, iter_documents, load_corpus, read_meta
from goldwire.corpus.migrate import migrate_corpus, v1_annotation, v1_features
from goldwire.errors import DatasetError, DiskFullError, OutputError, UsageError
from goldwire.features import features
from goldwire.provenance import Annotation
from goldwire.schema import LabelSchema
from gwtest import TEST_DATA

FIXTURE = TEST_DATA / "corpus_v1"
LAYOUTS = ("arrow", "parquet")
# what version 1 recorded about each document (HOW.md), and the statuses that follows
# (entities, stances, doc_stances), by the first word of the document's text
EXPECTED = {
    "Armenia": ("adjudicated", "adjudicated", "adjudicated"),  # v1 attach-gold, alice,bob
    "Kazakhstan": ("none", "none", "none"),  # a TASS article, nothing annotated
    "Minsk": ("annotated", "none", "none"),  # goldwire JSONL with two entities
    "BAKU": ("reader:conll", "none", "none"),  # CoNLL-2003 tags
}


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def _docs(folder: Path) -> dict[str, object]:
    return {d.text.split()[0]: d for d in iter_documents(folder)}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_version_1_corpus_loads_migrated_in_memory(layout):
    folder = FIXTURE / layout
    before = _snapshot(folder)
    dd, labels, meta = load_corpus(folder)
    assert (meta["schema_version"], meta["migrated_from"], meta["layout"]) == (2, 1, layout)
    assert {s: ds.num_rows for s, ds in dd.items()} == {"train": 4, "validation": 0, "test": 0}
    assert all(ds.features == features(labels) for ds in dd.values())
    docs = _docs(folder)
    assert {k: (d.annotation.entities, d.annotation.stances, d.annotation.doc_stances)
            for k, d in docs.items()} == EXPECTED  # fmt: skip
    armenia = docs["Armenia"]
    assert (armenia.annotation.annotators, armenia.annotation.adjudication) == (
        ["alice", "bob"], "majority",
    )  # fmt: skip
    assert [(e.text, e.label, e.annotators) for e in armenia.entities] == [
        ("Armenia", "GPE", ["alice", "bob"]), ("YEREVAN", "GPE", ["alice"]),
    ]  # fmt: skip
    assert [(d.target, d.label) for d in armenia.doc_stances] == [("Russia", "SUPPORT")]
    assert armenia.meta["annotators"] == "alice,bob"  # the meta is kept as it was
    for doc in docs.values():  # the item fields of version 2 hold their defaults
        for item in [*doc.entities, *doc.stances, *doc.doc_stances]:
            assert (item.provenance, item.suggested, item.votes, item.adjudicated_by) == (
                "", None, [], "",
            )  # fmt: skip
    assert [e.text for e in docs["BAKU"].entities] == ["BAKU", "Azerbaijan", "Georgia"]
    assert _snapshot(folder) == before  # nothing written into the corpus folder


def test_version_1_features_are_what_version_1_wrote():
    meta = read_meta(FIXTURE / "arrow")
    labels = LabelSchema.from_dict(meta["label_schema"])
    from datasets import Features

    info = json.loads((FIXTURE / "arrow" / "train" / "dataset_info.json").read_text())
    assert v1_features(labels) == Features.from_dict(info["features"])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_migrate_writes_a_version_2_copy(layout, tmp_path):
    src, out = FIXTURE / layout, tmp_path / "v2"
    before = _snapshot(src)
    report = migrate_corpus(src, out, card_path=tmp_path / "card.md")
    meta = json.loads((out / GOLDWIRE_META).read_text(encoding="utf-8"))
    assert (meta["schema_version"], meta["migrated_from"], meta["layout"]) == (2, 1, layout)
    assert meta["gold"]["adjudication"] == {"majority": 1}  # the v1 attach record, kept
    dd, labels, loaded = load_corpus(out)  # read as version 2: no migration on load
    assert "migrated_from" in loaded and all(ds.features == features(labels) for ds in dd.values())
    assert list(iter_documents(out)) == list(iter_documents(src))
    assert (out / "manifest.jsonl").read_bytes() == (src / "manifest.jsonl").read_bytes()
    assert report.coverage["total"]["with_gold"] == 3
    assert report.coverage["total"]["layers"]["entities"]["statuses"] == {
        "adjudicated": 1, "annotated": 1, "none": 1, "reader:conll": 1,
    }  # fmt: skip
    card = (tmp_path / "card.md").read_text(encoding="utf-8")
    assert card == (out / "README.md").read_text(encoding="utf-8")
    assert "Written by schema version 1 and migrated to version 2" in card
    assert _snapshot(src) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.md", "v2"]  # no staging left


def test_migrate_refuses_its_source_and_a_current_corpus(tmp_path):
    src = FIXTURE / "arrow"
    with pytest.raises(UsageError) as err:
        migrate_corpus(src, src)
    assert str(err.value) == (
        f"{src}: --out must differ from the corpus; migrate writes a new corpus folder and "
        "leaves the old one as it is"
    )
    migrate_corpus(src, tmp_path / "v2")
    with pytest.raises(UsageError) as err:
        migrate_corpus(tmp_path / "v2", tmp_path / "v3")
    assert (
        str(err.value)
        == f"{tmp_path / 'v2'}: already schema version 2; there is nothing to migrate"
    )


def test_migrate_refuses_an_out_holding_its_source_or_foreign(tmp_path):
    src = tmp_path / "old" / "c"
    shutil.copytree(FIXTURE / "arrow", src)
    before = _snapshot(src)
    with pytest.raises(OutputError) as err:
        migrate_corpus(src, tmp_path / "old")
    assert str(err.value) == (
        f"the corpus {src} is inside --out {tmp_path / 'old'}; writing --out would replace it: "
        "pick another --out"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "plan.txt").write_text("plan", encoding="utf-8")
    with pytest.raises(OutputError, match="not empty and not a goldwire corpus"):
        migrate_corpus(src, tmp_path / "docs")
    assert _snapshot(src) == before
    assert (tmp_path / "docs" / "plan.txt").read_text(encoding="utf-8") == "plan"


def test_migrate_on_a_full_disk_leaves_no_staging(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr(migrate_mod, "load_migrated", full)
    with pytest.raises(DiskFullError) as err:
        migrate_corpus(FIXTURE / "arrow", tmp_path / "v2")
    assert str(err.value) == (
        f"no space left on device while writing {tmp_path / 'v2'}; free space or choose "
        "another --out"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_version_goldwire_cannot_migrate_is_refused(tmp_path):
    shutil.copytree(FIXTURE / "arrow", tmp_path / "c")
    meta = json.loads((tmp_path / "c" / GOLDWIRE_META).read_text(encoding="utf-8"))
    (tmp_path / "c" / GOLDWIRE_META).write_text(json.dumps({**meta, "schema_version": 3}))
    with pytest.raises(DatasetError) as err:
        load_corpus(tmp_path / "c")
    assert str(err.value) == (
        f"{tmp_path / 'c'}: schema version 3 but this goldwire reads 2 (and migrates 1); "
        "rebuild the dataset with this goldwire"
    )


@pytest.mark.parametrize(
    ("meta", "items", "expected"),
    [
        # BASIL and FNC-1 were imported through goldwire JSONL: the reader is original_reader
        ({"reader": "jsonl", "original_reader": "basil"}, {"stances": 3},
         ("none", "reader:basil", "none")),
        ({"reader": "fnc1"}, {"doc_stances": 2}, ("none", "none", "reader:fnc1")),
        ({"reader": "conll"}, {}, ("reader:conll", "none", "none")),
        ({"reader": "tass"}, {"entities": 1, "doc_stances": 1},
         ("annotated", "none", "annotated")),
        ({"reader": "conll", "adjudication": "single", "annotators": ""}, {},
         ("adjudicated", "adjudicated", "adjudicated")),
    ],
)  # fmt: skip
def test_version_1_annotation_rules(meta, items, expected):
    a = v1_annotation(meta, items)
    assert (a.entities, a.stances, a.doc_stances) == expected
    if "adjudication" in meta:
        assert a == Annotation.all("adjudicated", adjudication="single")  # no annotators


def test_cli_migrate(cli, tmp_path):
    src = FIXTURE / "parquet"
    result = cli("corpus", "migrate", src, "--out", tmp_path / "v2", "--card-dir",
                 tmp_path / "cards", "--json", tmp_path / "m.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"schema v1 -> v2: {src} -> {tmp_path / 'v2'}" in result.output
    assert json.loads((tmp_path / "m.json").read_text())["from_schema_version"] == 1
    assert (tmp_path / "cards" / "v2" / "README.md").is_file()
    result = cli("corpus", "migrate", src, "--out", src)
    assert result.exit_code == 2
    assert result.output == (
        f"error: {src}: --out must differ from the corpus; migrate writes a new corpus folder "
        "and leaves the old one as it is\n"
    )
    result = cli("corpus", "info", src)
    assert result.exit_code == 0
    assert "schema v2 (read from schema v1, migrated in memory" in result.output
