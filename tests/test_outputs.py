"""The output-folder rule, staging folders and their markers, the move into place."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from goldwire.errors import DiskFullError, OutputError
from goldwire.outputs import (
    STAGING_MARKER,
    OutputKind,
    check_no_overlap,
    check_output,
    check_output_files,
    check_replaceable,
    held_signals,
    no_space_named,
    remove_stale_staging,
    replace_folder,
    staging,
    staging_dir,
)

NOTES = OutputKind("notes folder", "NOTES")
CHECKED = OutputKind("checked folder", "KIND", lambda folder: (folder / "KIND").read_text() == "x")


def _reaped() -> int:
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --------------------------------------------------------------------------- the rule


def test_out_may_be_nothing_empty_or_its_own_kind(tmp_path):
    check_output(tmp_path / "new", NOTES)
    (tmp_path / "empty").mkdir()
    check_output(tmp_path / "empty", NOTES)
    own = tmp_path / "own"
    own.mkdir()
    (own / "NOTES").write_text("", encoding="utf-8")
    (own / "page.txt").write_text("p", encoding="utf-8")
    check_output(own, NOTES)


def test_a_foreign_folder_is_refused_with_the_fix(tmp_path):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(OutputError) as err:
        check_output(out, NOTES)
    assert str(err.value) == (
        f"{out}: the folder is not empty and not a notes folder (no usable NOTES); goldwire "
        "replaces only a folder it wrote: pick another folder or empty it"
    )
    assert (out / "cat.jpg").read_bytes() == b"\xff\xd8"


def test_the_marker_alone_is_no_proof_when_the_kind_checks_it(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "KIND").write_text("y", encoding="utf-8")
    with pytest.raises(OutputError, match="not a checked folder"):
        check_replaceable(out, CHECKED)
    (out / "KIND").write_text("x", encoding="utf-8")
    check_replaceable(out, CHECKED)


def test_a_file_and_a_broken_link_are_refused(tmp_path):
    (tmp_path / "f.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError) as err:
        check_replaceable(tmp_path / "f.txt", NOTES)
    assert str(err.value) == (
        f"{tmp_path / 'f.txt'}: a file, not a folder; pick another folder or remove the file"
    )
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    with pytest.raises(OutputError, match="a broken symbolic link"):
        check_replaceable(tmp_path / "link", NOTES)


def test_inputs_and_out_may_not_overlap_either_way(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    gold = tmp_path / "gold.jsonl"
    cases = [
        (src, [("input", src)], f"--out {src} is the input {src}; writing it would replace "
         "the input: pick another --out"),
        (src / "sub", [("input", src)], f"--out {src / 'sub'} is inside the input {src}; pick "
         "an --out outside the inputs"),
        (tmp_path, [("corpus", src), ("gold file", gold)], f"the corpus {src} is inside --out "
         f"{tmp_path}; writing --out would replace it: pick another --out"),
        (tmp_path / "x", [("gold file", gold)], None),
    ]  # fmt: skip
    for out, inputs, message in cases:
        if message is None:
            check_no_overlap(out, inputs)
            continue
        with pytest.raises(OutputError) as err:
            check_no_overlap(out, inputs)
        assert str(err.value) == message


def test_overlap_is_seen_through_symbolic_links(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "alias").symlink_to(src)
    with pytest.raises(OutputError) as err:
        check_no_overlap(tmp_path / "alias" / "out", [("input", src)])
    assert str(err.value) == (
        f"--out {tmp_path / 'alias' / 'out'} is inside the input {src}; pick an --out outside "
        "the inputs"
    )


# --------------------------------------------------------------------------- full disks


def test_a_full_disk_is_one_line_naming_the_output(tmp_path):
    for code in (errno.ENOSPC, errno.EDQUOT):
        with pytest.raises(DiskFullError) as err, no_space_named(tmp_path / "o"):
            raise OSError(code, os.strerror(code))
        assert str(err.value) == (
            f"no space left on device while writing {tmp_path / 'o'}; free space or choose "
            "another --out"
        )
    with pytest.raises(PermissionError), no_space_named(tmp_path / "o"):
        raise PermissionError(errno.EACCES, "denied")


def test_staging_is_removed_however_the_block_ends(tmp_path):
    out = tmp_path / "c"
    with pytest.raises(DiskFullError), staging(out, "building") as work:
        (work / "part").write_text("half", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(KeyboardInterrupt), staging(out, "building"):
        raise KeyboardInterrupt
    with staging(out, "building") as work:
        assert work.is_dir() and work.name.startswith(".c.building-")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- stale staging


def _left(target, name: str, **marker) -> object:
    """A staging folder of ``target`` as a goldwire process left it, with a marker (``marker``
    overrides its fields: by default a dead pid of this host) or, without ``marker``, none."""
    out = target
    folder = out.resolve().parent / f".{out.name}.building-{name}"
    folder.mkdir()
    (folder / "spool.arrow").write_bytes(b"\0" * 10)
    if marker:
        base = {"pid": _reaped(), "host": socket.gethostname(), "started": 0.0,
                "out": str(out.resolve())}  # fmt: skip
        (folder / STAGING_MARKER).write_text(json.dumps({**base, **marker}), encoding="utf-8")
    return folder


def test_only_staging_folders_proven_stale_are_removed(tmp_path):
    out = tmp_path / "c"
    dead = _left(out, "dead", started=1.0)
    kept = {
        _left(out, "nomarker"),
        _left(out, "alive", pid=os.getppid()),
        _left(out, "mine", pid=os.getpid()),
        _left(out, "elsewhere", host=socket.gethostname() + "-other"),
        _left(out, "other-out", out=str(tmp_path / "d")),
        _left(out, "badpid", pid="12"),
    }
    garbled = _left(out, "garbled")
    (garbled / STAGING_MARKER).write_text("{not json", encoding="utf-8")
    kept.add(garbled)
    assert remove_stale_staging(out) == [dead]
    assert not dead.exists()
    assert {p for p in tmp_path.iterdir()} == kept


def test_a_new_staging_folder_clears_the_stale_ones_first(tmp_path):
    out = tmp_path / "c"
    dead = _left(out, "dead", started=1.0)
    work = staging_dir(out, "building")
    assert [p.name for p in tmp_path.iterdir()] == [work.name]
    assert not dead.exists()


# --------------------------------------------------------------------------- the move


def test_replace_folder_refuses_a_foreign_folder_at_the_move(tmp_path):
    new, out = tmp_path / "new", tmp_path / "out"
    new.mkdir()
    out.mkdir()
    (out / "letter.txt").write_text("dear", encoding="utf-8")
    with pytest.raises(OutputError):
        replace_folder(new, out, NOTES)
    assert (out / "letter.txt").read_text(encoding="utf-8") == "dear" and new.is_dir()
    (out / "NOTES").write_text("", encoding="utf-8")
    replace_folder(new, out, NOTES)
    assert list(out.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_signals_wait_until_the_move_is_done(tmp_path):
    done = []
    with pytest.raises(KeyboardInterrupt):
        with held_signals():
            signal.raise_signal(signal.SIGINT)
            done.append("moved")  # still runs: the signal waits
    assert done == ["moved"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_output_file_may_not_be_an_input_another_output_or_inside_an_input_folder(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pred = tmp_path / "pred.jsonl"
    pred.write_text("{}\n", encoding="utf-8")
    inputs = [("corpus", corpus), ("predictions file", pred)]
    check_output_files([("--json", tmp_path / "r.json"), ("--out", tmp_path / "p.jsonl")], inputs)
    check_output_files([("--json", None), ("--json", "-")], inputs)
    cases = {
        (("--json", pred),): f"--json {pred} is the predictions file {pred}; writing it would "
        "replace it: pick another path",
        (("--json", corpus / "goldwire.json"),): f"--json {corpus / 'goldwire.json'} is inside "
        f"the corpus {corpus}; pick a path outside it",
        (("--out", tmp_path / "a.jsonl"), ("--json", tmp_path / "a.jsonl")): f"--json "
        f"{tmp_path / 'a.jsonl'} is the output of --out {tmp_path / 'a.jsonl'}; writing it "
        "would replace it: pick another path",
        (("--json", corpus),): f"--json {corpus} is a folder; give a file path",
    }
    for outputs, message in cases.items():
        with pytest.raises(OutputError) as err:
            check_output_files(list(outputs), inputs)
        assert str(err.value) == message
    link = tmp_path / "link.jsonl"
    link.symlink_to(pred)
    with pytest.raises(OutputError, match="is the predictions file"):
        check_output_files([("--json", link)], inputs)
    assert pred.read_text(encoding="utf-8") == "{}\n"
