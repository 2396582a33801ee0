"""The wheel holds every stage under the one import root, with its data files; every
third-party import is declared (core or the extra its module names); extras fit together."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from gwtest import REPO

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

SOURCE_FOLDERS = ("goldwire", "corpus", "annotate", "evaluate")
# `==` in an extra: only test tooling, each for its reason
TEST_PINS = {
    "seqeval": "the reference scorer of the metric tests; 1.2.2 is its last release",
    "playwright": "the browser test's driver, checked against Debian's Chromium",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    src = tmp_path_factory.mktemp("src") / "goldwire"  # build a copy: nothing written into the repo
    shutil.copytree(
        REPO, src,
        ignore=shutil.ignore_patterns(".git", ".venv*", "data", "bench", "tests", "build",
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


# ---------------------------------------------------------------- declared dependencies


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(req: str) -> str:
    return _canon(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req.strip()).group(0))


def _declared(project: dict) -> tuple[set[str], dict[str, set[str]]]:
    """(core distributions, extra -> distributions), self-references (`goldwire[a,b]`)
    expanded."""
    core = {_req_name(r) for r in project["dependencies"]}
    raw = project.get("optional-dependencies", {})
    extras: dict[str, set[str]] = {}

    def expand(extra: str, seen: frozenset = frozenset()) -> set[str]:
        found: set[str] = set()
        for req in raw.get(extra, []):
            name = _req_name(req)
            if name == _canon(project["name"]) and extra not in seen:
                inner = re.search(r"\[([^\]]*)\]", req).group(1)
                for sub in inner.split(","):
                    found |= expand(sub.strip(), seen | {extra})
            else:
                found.add(name)
        return found

    for extra in raw:
        extras[extra] = expand(extra)
    return core, extras


def _imports(tree: ast.AST) -> set[str]:
    """Top-level names of every absolute import, at module level and inside functions (code
    in strings, such as the script run by Doccano's own Python, is not an import)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _required(tree: ast.AST) -> set[tuple[str, str]]:
    """(module, extra) of every `require("module", "extra")` call."""
    found = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "require"
                and len(node.args) == 2
                and all(isinstance(a, ast.Constant) for a in node.args)):  # fmt: skip
            found.add((node.args[0].value.split(".")[0], node.args[1].value))
    return found


def _file_problems(path: Path, rel: str, core: set[str], extras: dict[str, set[str]],
                   dists) -> dict[str, str]:  # fmt: skip
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    required = _required(tree)
    named = set(re.findall(r"goldwire\[([a-z0-9_-]+)\]", text)) | {e for _, e in required}
    problems = {
        f"goldwire[{extra}] ({rel})": "names an extra pyproject does not have"
        for extra in named - extras.keys()
    }
    checks = [(m, named) for m in _imports(tree)] + [(m, {e}) for m, e in required]
    for module, allowed_extras in checks:
        if module in sys.stdlib_module_names or module in ("goldwire", "__future__"):
            continue
        allowed = core.union(*(extras.get(e, set()) for e in allowed_extras))
        found = {_canon(d) for d in dists.get(module, [module])}
        if not found & allowed:
            where = " or ".join(["core", *(f"[{e}]" for e in sorted(allowed_extras))])
            problems[f"{module} ({rel})"] = f"{sorted(found)} not in {where}"
    return problems


def undeclared_imports(root: Path, folders=SOURCE_FOLDERS, dists=None) -> dict[str, str]:
    """Third-party imports of the source under ``root`` that neither the core dependencies
    nor an extra named in the importing module (`require(..., "extra")` or the text
    `goldwire[extra]` of its error message) declare: {"module (file)": "why"}."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core, extras = _declared(project)
    dists = packages_distributions() if dists is None else dists
    missing: dict[str, str] = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            missing.update(_file_problems(path, rel, core, extras, dists))
    return missing


def test_every_imported_distribution_is_declared():
    missing = undeclared_imports(REPO)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def _fake_project(root: Path, core: list[str], extras: dict[str, list[str]]) -> None:
    lines = ["[project]", 'name = "goldwire"', f"dependencies = {core!r}",
             "[project.optional-dependencies]"]  # fmt: skip
    lines += [f"{k} = {v!r}" for k, v in extras.items()]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "annotate").mkdir()


def test_undeclared_import_is_caught(tmp_path):
    # the failure issue 13 found: annotate/http.py imported requests, declared nowhere
    _fake_project(tmp_path, ["typer>=0.12"], {"spacy": ["spacy>=3.7"]})
    (tmp_path / "annotate" / "http.py").write_text(
        "import typer\n\ndef get():\n    import requests.adapters\n", encoding="utf-8"
    )
    dists = {"typer": ["typer"], "requests": ["requests"]}
    missing = undeclared_imports(tmp_path, ("annotate",), dists)
    assert missing == {"requests (annotate/http.py)": "['requests'] not in core"}


def test_import_in_the_extra_its_module_names_passes_and_elsewhere_fails(tmp_path):
    _fake_project(tmp_path, ["pyyaml>=6"],
                  {"spacy": ["spacy>=3.7"], "gliner": ["gliner>=0.2.29", "torch>=2.2"],
                   "models": ["goldwire[spacy,gliner]"]})  # fmt: skip
    adapter = "from goldwire.errors import require\n\ndef load():\n    return require({!r}, {!r})\n"
    (tmp_path / "annotate" / "a.py").write_text(adapter.format("spacy", "spacy"))
    (tmp_path / "annotate" / "b.py").write_text(adapter.format("torch", "spacy"))  # wrong extra
    (tmp_path / "annotate" / "c.py").write_text("import yaml\nimport torch  # goldwire[models]\n")
    (tmp_path / "annotate" / "d.py").write_text("MSG = 'pip install goldwire[doccano]'\n")
    dists = {"yaml": ["PyYAML"], "spacy": ["spacy"], "torch": ["torch"]}
    missing = undeclared_imports(tmp_path, ("annotate",), dists)
    assert missing == {
        "torch (annotate/b.py)": "['torch'] not in core or [spacy]",
        "goldwire[doccano] (annotate/d.py)": "names an extra pyproject does not have",
    }


# ---------------------------------------------------------------- extras that fit together


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_no_pins_in_extras_but_justified_test_tooling(project):
    for extra, reqs in project["optional-dependencies"].items():
        for req in reqs:
            if "==" in req:
                assert extra == "test" and _req_name(req) in TEST_PINS, f"[{extra}] pins {req}"
    for req in project["dependencies"]:
        assert "==" not in req, req


def test_no_doccano_client(project):
    assert "doccano" not in project["optional-dependencies"]
    every = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    assert not [r for r in every if _req_name(r) == "doccano-client"]


def test_torch_has_a_lower_bound_and_transformers_no_cap_of_ours(project):
    torch = [r for reqs in project["optional-dependencies"].values() for r in reqs
             if _req_name(r) == "torch"]  # fmt: skip
    assert torch, "no extra declares torch"
    assert all(re.search(r">=\s*2\.\d", r) and "<" not in r for r in torch), torch
    # GLiNER declares its own transformers cap; an extra of ours repeating it keeps the cap
    # after GLiNER lifts it, and stops [transformers] installing beside a newer release
    capped = [(e, r) for e, reqs in project["optional-dependencies"].items() for r in reqs
              if _req_name(r) == "transformers" and "<" in r]  # fmt: skip
    assert not capped, capped


def test_constraints_pin_every_extra_distribution_named_in_pyproject(project):
    pinned = {
        _req_name(line): line.split("==", 1)[1].strip()
        for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    core, extras = _declared(project)
    named = (core | set().union(*extras.values())) - {"goldwire", "tomli"}
    assert not named - pinned.keys(), f"not pinned in constraints.txt: {named - pinned.keys()}"
    assert pinned["torch"] == "2.13.0"  # the CPU build on this machine's disk
