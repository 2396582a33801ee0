"""goldwire installs under one import root and never shadows Hugging Face's `evaluate`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def _module_level_imports(path: Path) -> set[str]:
    """Top-level package names imported at module level (not inside functions: optional
    dependencies are imported where used)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_module_level_import_is_a_declared_dependency():
    import re
    from importlib.metadata import packages_distributions

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {
        re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].lower().replace("_", "-")
        for req in project["dependencies"]
    }
    dists = packages_distributions()
    missing = {}
    for folder in ("goldwire", "corpus", "annotate", "evaluate"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for name in _module_level_imports(path):
                if name in sys.stdlib_module_names or name in ("goldwire", "__future__"):
                    continue
                found = {d.lower().replace("_", "-") for d in dists.get(name, [name])}
                if not found & declared:
                    missing.setdefault(name, path.relative_to(REPO).as_posix())
    assert not missing, f"imported at module level but not in [project] dependencies: {missing}"
