"""The wheel holds every stage under the one import root, with its data files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest

from gwtest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    src = tmp_path_factory.mktemp("src") / "goldwire"  # build a copy: nothing written into the repo
    shutil.copytree(
        REPO, src,
        ignore=shutil.ignore_patterns(".git", ".venv", "data", "bench", "tests", "build",
                                      "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"),
    )  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(src)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    (path,) = out.glob("goldwire-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_has_one_import_root_and_every_stage(wheel):
    names = wheel.namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"goldwire"}
    for module in ("goldwire/cli.py", "goldwire/schema.py", "goldwire/corpus/build.py",
                   "goldwire/corpus/readers/conll.py", "goldwire/annotate/server.py",
                   "goldwire/evaluate/matching.py"):  # fmt: skip
        assert module in names, module
    for repo_file in REPO.glob("evaluate/**/*.py"):
        rel = repo_file.relative_to(REPO)
        if "__pycache__" not in rel.parts:
            assert f"goldwire/{rel.as_posix()}" in names, rel


def test_wheel_ships_data_files(wheel):
    names = set(wheel.namelist())
    for data in ("goldwire/labels.toml", "goldwire/annotate/guidelines.md",
                 "goldwire/annotate/doccano-constraints.txt"):  # fmt: skip
        assert data in names, data
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "goldwire = goldwire.cli:main" in wheel.read(entry).decode()
