"""The engines module: the dispatch table, and the Ray engine apart from the build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from goldwire.corpus.config import BuildConfig
from goldwire.corpus.engines import ENGINES, LocalEngine, get_engine
from goldwire.errors import UsageError
from gwtest import REPO


def test_importing_the_ray_engine_does_not_import_the_build():
    code = (
        "import sys, goldwire.corpus.ray_engine; "
        "print(sorted(m for m in sys.modules if m.startswith('goldwire.corpus.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    loaded = out.stdout
    assert "'goldwire.corpus.engines'" in loaded and "'goldwire.corpus.steps'" in loaded
    assert "'goldwire.corpus.build'" not in loaded


def test_engines_by_name(tmp_path):
    assert sorted(ENGINES) == ["local", "ray"]
    assert isinstance(get_engine(BuildConfig(inputs=(), out=tmp_path)), LocalEngine)
    with pytest.raises(UsageError) as err:
        get_engine(BuildConfig(inputs=(), out=tmp_path, engine="spark"))
    assert str(err.value) == "unknown engine 'spark'; choose one of local, ray"


def test_the_ray_engine_writes_parquet_only():
    config = BuildConfig(inputs=(), out=Path("unused"), engine="ray", layout="arrow")
    with pytest.raises(UsageError, match="the ray engine writes the parquet layout"):
        get_engine(config)  # refused before Ray is imported
