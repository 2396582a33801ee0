from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from goldwire.corpus import export as export_mod
from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import iter_documents, open_source
from goldwire.corpus.export import EXPORT, Selection, export, export_parquet
from goldwire.errors import DiskFullError, OutputError, UsageError
from goldwire.provenance import LAYERS, Annotation
from goldwire.schema import Document, Entity, Mention, Stance, read_jsonl, write_jsonl
from gwtest import SEED_ARTICLES, tass_article


@pytest.fixture()
def corpus(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(12):
        (src / f"a{i}.txt").write_text(tass_article(i), encoding="utf-8")
    build_corpus(BuildConfig(inputs=(src, SEED_ARTICLES), out=tmp_path / "ds"))
    return tmp_path / "ds"


def test_jsonl_export_with_all_round_trips_documents(corpus, tmp_path):
    report = export(corpus, tmp_path / "j", "jsonl", include_all=True)
    assert report.written == 13 and report.left_out == 0
    for split, counts in report.splits.items():
        docs = list(read_jsonl(tmp_path / "j" / f"{split}.jsonl"))
        assert docs == list(iter_documents(corpus, split))
        assert len(docs) == counts.written
        assert counts.without_gold == ({"no layer carries gold": len(docs)} if docs else {})


def test_parquet_export_is_sharded_and_loadable_without_goldwire(corpus, tmp_path):
    from datasets import load_dataset

    source = open_source(corpus)
    selection = Selection(LAYERS, include_all=True)
    export_parquet(source, tmp_path / "p", "train", selection, shard_rows=4)
    shards = sorted(p.name for p in (tmp_path / "p" / "train").glob("*.parquet"))
    n_train = len(list(iter_documents(corpus, "train")))
    assert len(shards) == -(-n_train // 4)
    ds = load_dataset("parquet", data_files=str(tmp_path / "p" / "train" / "*.parquet"))["train"]
    assert sorted(ds["id"]) == sorted(d.id for d in iter_documents(corpus, "train"))


# --------------------------------------------------------------------------- gold only


def _doc(text: str, split: str, annotation: Annotation, entities=(), stances=()) -> Document:
    ents = [Entity(f"e{i}", text.index(w), text.index(w) + len(w), lab, w)
            for i, (w, lab) in enumerate(entities, 1)]  # fmt: skip
    return Document(id="", text=text, meta={"split": split}, entities=ents,
                    stances=list(stances), annotation=annotation)  # fmt: skip


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """Five goldwire documents whose statuses travel through the JSONL reader:
    train: A entities adjudicated, B nothing, C stances annotated (entities none);
    test: D entities unconfirmed, E entities reader:conll."""
    root = tmp_path_factory.mktemp("mixed")
    stance = Stance(Mention("Aliyev"), Mention("the plan"), "SUPPORT")
    docs = [
        _doc("Lavrov met Blinken in Geneva.", "train",
             Annotation("adjudicated", "adjudicated", "none"), [("Lavrov", "PER")]),
        _doc("Talks ended without a deal.", "train", Annotation()),
        _doc("Aliyev backed the plan.", "train", Annotation("none", "annotated", "none"),
             stances=[stance]),
        _doc("Pashinyan spoke in Yerevan.", "test", Annotation("unconfirmed", "none", "none"),
             [("Yerevan", "GPE")]),
        _doc("Erdogan met Putin.", "test", Annotation(entities="reader:conll"),
             [("Erdogan", "PER"), ("Putin", "PER")]),
    ]  # fmt: skip
    write_jsonl(docs, root / "docs.jsonl")
    build_corpus(BuildConfig(inputs=(root / "docs.jsonl",), out=root / "ds", minhash=None))
    return root / "ds"


def _first_words(path: Path) -> list[str]:
    return [d.text.split()[0] for d in read_jsonl(path)]


def test_jsonl_writes_documents_with_gold_on_a_layer(mixed, tmp_path):
    report = export(mixed, tmp_path / "j", "jsonl")
    assert _first_words(tmp_path / "j" / "train.jsonl") == ["Lavrov", "Aliyev"]
    assert _first_words(tmp_path / "j" / "test.jsonl") == ["Erdogan"]
    assert report.to_json()["splits"] == {
        "train": {"written": 2, "without_gold": {}, "left_out": {"no layer carries gold": 1}},
        "validation": {"written": 0, "without_gold": {}, "left_out": {}},
        "test": {"written": 1, "without_gold": {}, "left_out": {"no layer carries gold": 1}},
    }
    (aliyev,) = [d for d in read_jsonl(tmp_path / "j" / "train.jsonl") if d.stances]
    assert (aliyev.annotation.entities, aliyev.annotation.stances) == ("none", "annotated")
    everything = export(mixed, tmp_path / "a", "jsonl", include_all=True)
    assert _first_words(tmp_path / "a" / "test.jsonl") == ["Pashinyan", "Erdogan"]
    assert everything.splits["test"].without_gold == {"no layer carries gold": 1}
    (pashinyan, _) = read_jsonl(tmp_path / "a" / "test.jsonl")
    assert pashinyan.annotation.entities == "unconfirmed"  # marked by its status


def test_conll_writes_documents_whose_entities_are_gold(mixed, tmp_path):
    report = export(mixed, tmp_path / "c", "conll")
    assert (tmp_path / "c" / "train.conll").read_text(encoding="utf-8") == (
        "-DOCSTART- -X- -X- O\n\nLavrov _ _ B-PER\nmet _ _ O\nBlinken _ _ O\nin _ _ O\n"
        "Geneva _ _ O\n. _ _ O\n\n"
    )
    assert report.splits["train"].left_out == {"entities status none": 2}
    assert report.splits["test"].left_out == {"entities status unconfirmed": 1}
    assert report.splits["test"].written == 1
    export(mixed, tmp_path / "all", "conll", include_all=True)
    test_lines = (tmp_path / "all" / "test.conll").read_text(encoding="utf-8").split("\n")
    # the unconfirmed document: tokens without a tag column, never "O"
    assert test_lines[:8] == ["-DOCSTART- -X- -X- O", "", "Pashinyan", "spoke", "in",
                              "Yerevan", ".", ""]  # fmt: skip
    assert "Erdogan _ _ B-PER" in test_lines


def test_parquet_writes_gold_documents_and_no_file_for_an_empty_split(mixed, tmp_path):
    from datasets import load_dataset

    report = export(mixed, tmp_path / "p", "parquet")
    assert report.splits["train"].written == 2 and report.splits["test"].left_out == {
        "no layer carries gold": 1,
    }  # fmt: skip
    assert not (tmp_path / "p" / "validation").exists()
    ds = load_dataset("parquet", data_dir=str(tmp_path / "p"), cache_dir=str(tmp_path / "hf"))
    assert sorted(r["text"].split()[0] for r in ds["train"]) == ["Aliyev", "Lavrov"]
    assert [r["annotation"]["entities"] for r in ds["test"]] == ["reader:conll"]
    report = export(mixed, tmp_path / "pa", "parquet", include_all=True)
    assert report.written == 5 and report.left_out == 0


def test_selection_names_the_reason_a_document_has_no_gold():
    assert Selection(("entities",)).reason({"entities": "reader:conll"}) is None
    assert Selection(("entities",)).reason({"entities": ""}) == "entities status (empty)"
    assert Selection(LAYERS).reason({"stances": "adjudicated"}) is None
    assert Selection(LAYERS).reason({"entities": "unconfirmed"}) == "no layer carries gold"
    with pytest.raises(ValueError, match="layers must be some of entities, stances"):
        Selection(("relations",))


def test_unknown_split_and_format(corpus, tmp_path):
    with pytest.raises(UsageError, match="no split 'dev'; the dataset has train, validation, test"):
        export(corpus, tmp_path / "x", "jsonl", ["dev"])
    with pytest.raises(UsageError, match="unknown export format 'xml'"):
        export(corpus, tmp_path / "x", "xml")


def test_cli_build_info_export(cli, tmp_path):
    out = tmp_path / "seed"
    result = cli("corpus", "build", SEED_ARTICLES, "--out", out, "--name", "seed",
                 "--card-dir", tmp_path / "cards", "--json", tmp_path / "r.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "documents kept" in result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["documents"]["kept"] == 1 and report["reconciles"]
    assert (tmp_path / "cards" / "seed" / "README.md").exists()
    result = cli("corpus", "info", out, "--json", tmp_path / "info.json")
    assert result.exit_code == 0
    assert json.loads((tmp_path / "info.json").read_text())["agencies"] == {"TASS": 1}
    info = json.loads((tmp_path / "info.json").read_text())
    assert info["coverage"]["total"] == {
        "documents": 1, "with_gold": 0, "layers": {
            layer: {"with_gold": 0, "statuses": {"none": 1}} for layer in LAYERS},
    }  # fmt: skip
    assert "gold: 0 of 1 documents on at least one layer" in result.output
    result = cli("corpus", "export", out, "--format", "jsonl", "--out", tmp_path / "e")
    assert result.exit_code == 0
    assert result.output == (
        "train: 0 documents written, 1 left out (no layer carries gold: 1)\n"
        "validation: 0 documents written\ntest: 0 documents written\n"
        f"jsonl -> {tmp_path / 'e'}\n"
        "1 documents without gold were left out; --all writes them too, marked as without gold\n"
    )
    assert list(read_jsonl(tmp_path / "e" / "train.jsonl")) == []
    result = cli("corpus", "export", out, "--format", "jsonl", "--out", tmp_path / "a", "--all")
    assert result.exit_code == 0
    assert result.output.startswith(
        "train: 1 documents written (1 without gold, marked; no layer carries gold: 1)\n"
    )
    assert len(list(read_jsonl(tmp_path / "a" / "train.jsonl"))) == 1


def test_cli_errors_are_one_line(cli, tmp_path):
    result = cli("corpus", "build", tmp_path / "missing", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {tmp_path / 'missing'}: no such file or folder; check the input path\n"
    )
    result = cli("corpus", "build", SEED_ARTICLES, "--out", tmp_path / "o", "--split-ratios", "1,1")
    assert result.exit_code == 2
    assert "three numbers train,validation,test" in result.stderr
    result = cli("corpus", "build", SEED_ARTICLES, "--out", tmp_path / "o", "--field", "text")
    assert result.exit_code == 2
    assert (
        result.stderr == "error: --field takes GOLDWIRE=KEY, e.g. --field text=body; got 'text'\n"
    )


# --------------------------------------------------------------------------- --out


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_export_never_writes_into_the_dataset_it_reads(corpus):
    before = _files(corpus)
    with pytest.raises(OutputError) as err:
        export(corpus, corpus, "parquet")
    assert str(err.value) == (
        f"--out {corpus} is the dataset {corpus}; writing it would replace the input: pick "
        "another --out"
    )
    with pytest.raises(OutputError) as err:
        export(corpus, corpus / "exports", "jsonl")
    assert str(err.value) == (
        f"--out {corpus / 'exports'} is inside the dataset {corpus}; pick an --out outside "
        "the inputs"
    )
    assert _files(corpus) == before


def test_export_goes_to_a_new_or_empty_folder_or_an_earlier_export(corpus, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "train.jsonl").write_text("my own data\n", encoding="utf-8")
    with pytest.raises(OutputError) as err:
        export(corpus, mine, "jsonl")
    assert str(err.value) == (
        f"{mine}: the folder is not empty and not a goldwire export (no usable "
        ".goldwire-export.json); goldwire replaces only a folder it wrote: pick another "
        "folder or empty it"
    )
    assert (mine / "train.jsonl").read_text(encoding="utf-8") == "my own data\n"
    (tmp_path / "empty").mkdir()
    export(corpus, tmp_path / "empty", "jsonl", include_all=True)
    assert (tmp_path / "empty" / EXPORT.marker).is_file()
    report = export(corpus, tmp_path / "empty", "conll", include_all=True)  # an earlier export
    assert report.written == 13
    names = sorted(p.name for p in (tmp_path / "empty").iterdir())
    assert names == sorted([EXPORT.marker] + [f"{s}.{x}" for s in ("train", "validation", "test")
                                              for x in ("jsonl", "conll")])  # fmt: skip


def test_export_on_a_full_disk_keeps_the_earlier_files(corpus, tmp_path, monkeypatch):
    out = tmp_path / "e"
    export(corpus, out, "jsonl", include_all=True)
    before = _files(out)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export_mod, "write_jsonl", full)
    with pytest.raises(DiskFullError) as err:
        export(corpus, out, "jsonl", include_all=True)
    assert str(err.value) == (
        f"no space left on device while writing {out}; free space or choose another --out"
    )
    assert _files(out) == before


def test_cli_export_into_its_dataset_is_one_line(cli, corpus):
    result = cli("corpus", "export", corpus, "--format", "jsonl", "--out", corpus)
    assert result.exit_code == 2
    assert result.output == (
        f"error: --out {corpus} is the dataset {corpus}; writing it would replace the input: "
        "pick another --out\n"
    )
