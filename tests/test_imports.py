"""goldwire installs under one import root and never shadows Hugging Face's `evaluate`."""

from __future__ import annotations

import subprocess
import sys

from gwtest import REPO

CHECK = (
    "import goldwire.evaluate, goldwire.corpus, goldwire.annotate, evaluate; "
    "assert hasattr(evaluate, 'load'), evaluate.__file__; "
    "assert 'site-packages' in evaluate.__file__, evaluate.__file__; "
    "print(evaluate.__file__)"
)


def test_hf_evaluate_importable_from_repo_root():
    # `python -c` puts the working directory first on sys.path, like `python -m goldwire`
    out = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr


def test_hf_evaluate_importable_in_pytest_process():
    import evaluate
    import goldwire.evaluate  # noqa: F401

    assert hasattr(evaluate, "load")


def test_python_m_goldwire_from_repo_root():
    out = subprocess.run(
        [sys.executable, "-m", "goldwire", "--version"], cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("goldwire ")


def test_help_starts_without_heavy_imports():
    code = (
        "import sys; from goldwire.cli import app; "
        "heavy = [m for m in ('datasets', 'sklearn', 'torch', 'pyarrow', 'numpy', 'trafilatura',"
        " 'matplotlib') if m in sys.modules]; print(heavy); assert not heavy, heavy"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# every third-party import is declared: tests/test_packaging.py checks it
