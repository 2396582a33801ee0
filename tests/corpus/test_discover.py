"""The walk of the inputs: every entry is a file to read, a skipped entry or an unreadable
folder, and the build report reconciles over all of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.discover import discover
from goldwire.errors import InputError
from gwtest import tass_article


def _tree(root: Path) -> Path:
    """b.txt, a.txt, sub/c.txt, sub/deeper/d.txt, zz/e.txt, .hidden.txt, .git/x.txt."""
    for rel, i in (("b.txt", 1), ("a.txt", 2), ("sub/c.txt", 3), ("sub/deeper/d.txt", 4),
                   ("zz/e.txt", 5), (".hidden.txt", 6), (".git/x.txt", 7)):  # fmt: skip
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tass_article(i), encoding="utf-8")
    return root


def _names(paths, root):
    return [str(Path(p).relative_to(root)) for p in paths]


def test_order_is_files_by_name_then_folders_depth_first_like_os_walk(tmp_path):
    root = _tree(tmp_path / "in")
    found = discover([root])
    assert _names(found.files, root) == ["a.txt", "b.txt", "sub/c.txt", "sub/deeper/d.txt",
                                         "zz/e.txt"]  # fmt: skip
    walked = []  # the order the build always had: os.walk, hidden names left out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        walked += [Path(dirpath) / f for f in sorted(filenames) if not f.startswith(".")]
    assert found.files == walked
    assert sorted((_names([s.source], root)[0], s.reason) for s in found.skipped) == [
        (".git", "hidden"), (".hidden.txt", "hidden"),
    ]  # fmt: skip
    assert found.found == 7 and not found.unreadable


def test_symlinked_folders_are_skipped_or_followed_once(tmp_path):
    root = _tree(tmp_path / "in")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.txt").write_text(tass_article(9), encoding="utf-8")
    os.symlink(outside, root / "link")
    os.symlink(root, root / "sub" / "loop")  # a loop back to the top

    plain = discover([root])
    assert "link/o.txt" not in _names(plain.files, root)
    skipped = {_names([s.source], root)[0]: s for s in plain.skipped}
    assert skipped["link"].reason == skipped["sub/loop"].reason == "symlink"
    assert "--follow-symlinks" in skipped["link"].message

    followed = discover([root], follow_symlinks=True)
    names = _names(followed.files, root)
    assert names == ["a.txt", "b.txt", "link/o.txt", "sub/c.txt", "sub/deeper/d.txt",
                     "zz/e.txt"]  # fmt: skip
    skipped = {_names([s.source], root)[0]: s.reason for s in followed.skipped}
    assert skipped == {".git": "hidden", ".hidden.txt": "hidden", "sub/loop": "already-read"}


def test_a_fifo_is_skipped_not_read(tmp_path):
    root = _tree(tmp_path / "in")
    os.mkfifo(root / "pipe")  # reading it would block the build
    found = discover([root])
    assert [(Path(s.source).name, s.reason) for s in found.skipped if s.reason != "hidden"] == [
        ("pipe", "not-a-file")
    ]


def _refuse(monkeypatch, folder: Path) -> None:
    """os.scandir fails for ``folder`` only, as for a folder without read permission (which
    root can read anyway) or one removed during the walk."""
    real = os.scandir

    def scandir(path="."):
        if not isinstance(path, int) and Path(path) == folder:  # rmtree lists by descriptor
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_folder_is_a_rejection_and_the_report_reconciles(tmp_path, monkeypatch):
    root = _tree(tmp_path / "in")
    _refuse(monkeypatch, root / "sub")
    found = discover([root])
    assert _names(found.files, root) == ["a.txt", "b.txt", "zz/e.txt"]
    [rej] = found.unreadable
    assert (rej.source, rej.reason) == (str(root / "sub"), "unreadable-folder")
    assert rej.message.startswith(f"{root / 'sub'}: cannot list this folder (Permission denied)")

    report = build_corpus(BuildConfig(inputs=(root,), out=tmp_path / "out"))
    data = report.to_json()
    # 3 files read, 1 folder rejected, 2 hidden entries skipped
    assert {k: data["files"][k] for k in ("found", "read", "rejected", "skipped")} == {
        "found": 6, "read": 3, "rejected": 1, "skipped": 2,
    }  # fmt: skip
    assert [r["reason"] for r in data["rejections"]] == ["unreadable-folder"]
    assert data["reconciles"] is True
    with pytest.raises(InputError, match=r"sub: cannot list this folder .*\(stopped by --strict\)"):
        build_corpus(BuildConfig(inputs=(root,), out=tmp_path / "strict", strict=True))


def _permissions_bind(tmp_path: Path) -> bool:
    """Whether a folder without permissions is unreadable here (not for root, whose
    CAP_DAC_OVERRIDE reads anything; yes for root without it: ``setpriv --bounding-set``)."""
    probe = tmp_path / "probe"
    probe.mkdir()
    probe.chmod(0)
    try:
        os.listdir(probe)
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
    return False


WITHOUT_PERMISSION = """
import sys
from pathlib import Path
from goldwire.corpus.discover import discover
found = discover([Path(sys.argv[1])])
print([(Path(r.source).name, r.reason) for r in found.unreadable])
"""


def test_a_folder_without_permission_is_rejected(tmp_path):
    """Run as this user where permissions bind; as root, in a child process whose capability
    bounding set lacks the two that read any folder (``setpriv``)."""
    root = _tree(tmp_path / "in")
    command = [sys.executable, "-c", WITHOUT_PERMISSION, str(root)]
    if not _permissions_bind(tmp_path):
        setpriv = shutil.which("setpriv")
        assert setpriv, "root without setpriv (util-linux) cannot drop CAP_DAC_OVERRIDE"
        command = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *command]
    (root / "sub").chmod(0)
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        (root / "sub").chmod(0o755)
    assert proc.stdout == "[('sub', 'unreadable-folder')]\n", proc.stderr


def test_a_vanished_folder_is_a_rejection(tmp_path, monkeypatch):
    """A folder removed between its parent's listing and its own (as root can test)."""
    root = _tree(tmp_path / "in")
    real = os.scandir

    def scandir(path="."):
        if not isinstance(path, int) and Path(path) == root / "zz":
            (root / "zz" / "e.txt").unlink()
            (root / "zz").rmdir()
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover([root])
    assert [(Path(r.source).name, r.reason) for r in found.unreadable] == [
        ("zz", "unreadable-folder")
    ]
    assert "zz/e.txt" not in _names(found.files, root)


# --------------------------------------------------------------------------- documentation

DOC_NAMES = ("README.txt", "readme", "LICENSE", "LICENCE-2.0.txt", "COPYING", "CHANGELOG.md",
             "NOTICE", "CITATION.cff", "lewis.dtd", "notes.md", "guide.rst")  # fmt: skip
NOT_DOC_NAMES = ("READMEFIRST.txt", "licensed-story.txt", "a.txt", "reut2-000.sgm",
                 "noticeboard.txt", "authorship.txt", "notice-of-strike.txt",
                 "changes-in-oil.txt")  # fmt: skip


def test_documentation_files_are_told_apart_by_name():
    from goldwire.corpus.discover import is_documentation

    assert [n for n in DOC_NAMES if not is_documentation(n)] == []
    assert [n for n in NOT_DOC_NAMES if is_documentation(n)] == []


def test_documentation_is_skipped_only_when_asked_and_only_in_folders(tmp_path):
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(tass_article(1), encoding="utf-8")
    (root / "README.txt").write_text("About this collection\n\nIt has stories.\n")
    (root / "sub" / "LICENSE").write_text("Use freely.\n")
    (root / "sub" / "lewis.dtd").write_text("<!ELEMENT REUTERS - - (DATE)>\n")

    found = discover([root], skip_docs=True)
    assert _names(found.files, root) == ["a.txt"]
    assert [(_names([s.source], root)[0], s.reason) for s in found.skipped] == [
        ("README.txt", "documentation"), ("sub/LICENSE", "documentation"),
        ("sub/lewis.dtd", "documentation"),
    ]  # fmt: skip
    assert "pass --format to read it" in found.skipped[0].message
    assert _names(discover([root]).files, root) == [
        "README.txt", "a.txt", "sub/LICENSE", "sub/lewis.dtd",
    ]  # fmt: skip
    named = discover([root / "README.txt", root], skip_docs=True)  # named directly: read
    assert _names(named.files, root) == ["README.txt", "a.txt"]


def test_auto_format_build_reports_documentation_as_skipped_never_as_articles(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_text(tass_article(1), encoding="utf-8")
    (root / "README.txt").write_text("About this collection\n\nIt has two paragraphs.\n")
    data = build_corpus(BuildConfig(inputs=(root,), out=tmp_path / "out")).to_json()
    assert {k: data["files"][k] for k in ("found", "read", "rejected", "skipped")} == {
        "found": 2, "read": 1, "rejected": 0, "skipped": 1,
    }  # fmt: skip
    assert data["files"]["skipped_by_reason"] == {"documentation": 1}
    assert [s["reason"] for s in data["skipped"]] == ["documentation"]
    assert data["skipped"][0]["source"].endswith("README.txt")
    assert data["documents"]["kept"] == 1 and data["reconciles"] is True
    # an explicit --format reads it (here as plain text: a title line and a body)
    text = build_corpus(BuildConfig(inputs=(root,), out=tmp_path / "t", format="text"))
    assert text.to_json()["files"]["skipped"] == 0 and text.files_read == 2
