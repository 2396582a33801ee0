"""Writing a corpus folder: staging beside the output, the move into place."""

from __future__ import annotations

import errno
import json

import pytest

from goldwire.corpus import writing
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.dedup import MinHashConfig
from goldwire.corpus.writing import build_meta, check_corpus_out, move_into_place, staging_dir
from goldwire.errors import DiskFullError, OutputError
from goldwire.outputs import STAGING_MARKER
from gwtest import folder_bytes, write_articles

OLD_META = '{"schema_version": 2, "name": "old"}'


def _old_corpus(out):
    """A folder that is a goldwire corpus as far as the output rule goes."""
    out.mkdir()
    (out / "goldwire.json").write_text(OLD_META, encoding="utf-8")
    (out / "old.txt").write_text("old", encoding="utf-8")


def test_staging_dir_is_a_hidden_sibling_of_the_output(tmp_path):
    out = tmp_path / "deep" / "corpus"
    work = staging_dir(out, "building")
    assert work.parent == out.parent.resolve() and work.is_dir()
    assert work.name.startswith(".corpus.building-")
    assert not out.exists()


def test_move_into_place_replaces_the_old_version(tmp_path):
    out = tmp_path / "corpus"
    _old_corpus(out)
    work = staging_dir(out, "building")
    (work / "dataset").mkdir()
    (work / "dataset" / "new.txt").write_text("new", encoding="utf-8")
    move_into_place(work, out)
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["corpus"]  # no backup, no staging left


def test_a_failed_move_keeps_the_old_version(tmp_path):
    out = tmp_path / "corpus"
    _old_corpus(out)
    work = staging_dir(out, "building")  # no work/dataset: the rename fails
    with pytest.raises(FileNotFoundError):
        move_into_place(work, out)
    assert sorted(p.name for p in out.iterdir()) == ["goldwire.json", "old.txt"]


def test_move_into_place_never_replaces_a_folder_goldwire_did_not_write(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work", encoding="utf-8")
    (out / "goldwire.json").write_text("not json", encoding="utf-8")  # a name is no proof
    work = staging_dir(out, "building")
    (work / "dataset").mkdir()
    with pytest.raises(OutputError):
        move_into_place(work, out)
    assert (out / "thesis.tex").read_text(encoding="utf-8") == "years of work"


def test_staging_folders_carry_a_marker_naming_their_process(tmp_path):
    import os
    import socket

    work = staging_dir(tmp_path / "c", "building")
    marker = json.loads((work / STAGING_MARKER).read_text(encoding="utf-8"))
    assert (marker["pid"], marker["host"]) == (os.getpid(), socket.gethostname())
    assert marker["out"] == str((tmp_path / "c").resolve())


def test_corpus_out_may_be_new_empty_or_a_corpus(tmp_path):
    check_corpus_out(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    check_corpus_out(tmp_path / "empty")
    _old_corpus(tmp_path / "corpus")
    check_corpus_out(tmp_path / "corpus")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("a", encoding="utf-8")
    with pytest.raises(OutputError) as err:
        check_corpus_out(tmp_path / "notes")
    assert str(err.value) == (
        f"{tmp_path / 'notes'}: the folder is not empty and not a goldwire corpus (no usable "
        "goldwire.json); goldwire replaces only a folder it wrote: pick another folder or "
        "empty it"
    )


def test_a_full_disk_while_writing_the_card_copy_names_the_card(tmp_path, monkeypatch):
    out, card = tmp_path / "c", tmp_path / "cards" / "c" / "README.md"
    work = staging_dir(out, "building")
    (work / "dataset").mkdir()
    monkeypatch.setattr("goldwire.corpus.card.card_text", lambda staged: "# card\n")

    def full(path, text, **kwargs):
        if path == card:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, text, **kwargs)

    real = writing.write_text
    monkeypatch.setattr(writing, "write_text", full)
    with pytest.raises(DiskFullError) as err:
        writing.publish(work, out, card)
    assert str(err.value) == (
        f"no space left on device while writing {card}; free space or choose another --card-dir"
    )
    assert (out / "README.md").read_text(encoding="utf-8") == "# card\n"  # the move was done


def test_build_meta_records_the_settings(tmp_path):
    config = BuildConfig(inputs=(tmp_path / "in",), out=tmp_path / "o", name="n", engine="ray",
                         minhash=MinHashConfig(threshold=0.9))  # fmt: skip
    meta = build_meta(config, {"train": 3, "validation": 0, "test": 1})
    assert (meta["name"], meta["layout"], meta["split_rows"]["test"]) == ("n", "parquet", 1)
    assert meta["build"]["engine"] == "ray" and meta["build"]["inputs"] == [str(tmp_path / "in")]
    assert meta["build"]["near_duplicates"]["threshold"] == 0.9
    plain = build_meta(BuildConfig(inputs=(), out=tmp_path / "o", minhash=None), {})
    assert plain["build"]["near_duplicates"] is None and plain["name"] == "o"
    json.dumps(meta)  # all of it is JSON


# --------------------------------------------------------------------------- build's --out


def test_build_refuses_a_foreign_folder_before_reading(tmp_path):
    from goldwire.corpus.build import build_corpus

    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("years of work", encoding="utf-8")
    missing = tmp_path / "no-such-input"  # never read: the check comes first
    with pytest.raises(OutputError) as err:
        build_corpus(BuildConfig(inputs=(missing,), out=out, minhash=None))
    assert str(err.value) == (
        f"{out}: the folder is not empty and not a goldwire corpus (no usable goldwire.json); "
        "goldwire replaces only a folder it wrote: pick another folder or empty it"
    )
    assert folder_bytes(out) == {"chapter1.tex": b"years of work"}
    assert [p.name for p in tmp_path.iterdir()] == ["thesis"]


@pytest.mark.parametrize("where", ["same", "inside"])
def test_build_refuses_an_out_that_is_or_lies_in_its_input(tmp_path, where):
    from goldwire.corpus.build import build_corpus

    src = write_articles(tmp_path / "in", 3)
    before = folder_bytes(src)
    out = src if where == "same" else src / "corpus"
    with pytest.raises(OutputError) as err:
        build_corpus(BuildConfig(inputs=(src,), out=out, minhash=None))
    expected = {
        "same": f"--out {src} is the input {src}; writing it would replace the input: pick "
        "another --out",
        "inside": f"--out {out} is inside the input {src}; pick an --out outside the inputs",
    }
    assert str(err.value) == expected[where]
    assert folder_bytes(src) == before


def test_build_on_a_full_disk_keeps_the_old_corpus(tmp_path, monkeypatch):
    from goldwire.corpus import build
    from goldwire.corpus.build import build_corpus

    src, out = write_articles(tmp_path / "in", 3), tmp_path / "corpus"
    build_corpus(BuildConfig(inputs=(src,), out=out, minhash=None))
    before = folder_bytes(out)
    (src / "extra.txt").write_text((src / "a00000.txt").read_text() + "\nMore.\n")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(build, "write_report", full)
    with pytest.raises(DiskFullError) as err:
        build_corpus(BuildConfig(inputs=(src,), out=out, minhash=None))
    assert str(err.value) == (
        f"no space left on device while writing {out}; free space or choose another --out"
    )
    assert folder_bytes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "in"]  # no staging left
