"""Start-up of the ``goldwire`` command (goldwire/cli.py): what help imports, in a fresh process.

Timings are measured by bench/startup.py, never here; these tests pin what makes help fast:
the stages are mounted lazily and typer's pydantic coercion is built only for given values.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from gwtest import REPO

STAGE_MODULES = ("goldwire.corpus.cli", "goldwire.annotate.cli", "goldwire.evaluate.cli")
WATCHED = ("pydantic", *STAGE_MODULES, "goldwire.evaluate.runs", "goldwire.evaluate.scoring")

RUN = """
import json, runpy, sys
watched = json.loads(sys.argv[2])
sys.argv = ["goldwire", *json.loads(sys.argv[1])]
try:
    runpy.run_module("goldwire", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print("\\nLOADED " + json.dumps([code, [m for m in watched if m in sys.modules]]))
"""


def loaded_by(*args: str) -> tuple[int, list[str], str]:
    """Exit code, the watched modules imported, and the output of ``goldwire ARGS``."""
    proc = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(args), json.dumps(WATCHED)],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
    )
    output, _, last = proc.stdout.rpartition("\nLOADED ")
    assert last, proc.stdout + proc.stderr
    code, loaded = json.loads(last)
    return code, loaded, output + proc.stderr


def test_root_help_lists_the_stages_without_importing_them():
    code, loaded, output = loaded_by("--help")
    assert code == 0
    assert loaded == []
    for line in (
        "corpus",
        "Build a typed Hugging Face dataset from raw articles, inspect it, export it.",
        "annotate",
        "Annotate in Doccano: run a server, push documents, pull annotations back.",
        "evaluate",
        "Score entity and stance predictions against gold.",
    ):
        assert line in output


def test_command_help_imports_only_its_stage_and_not_pydantic():
    code, loaded, output = loaded_by("evaluate", "score", "--help")
    assert code == 0
    assert loaded == ["goldwire.evaluate.cli"]
    assert "Example: goldwire evaluate score" in output
    assert "--bootstrap" in output


def test_a_stage_help_imports_only_that_stage():
    code, loaded, _ = loaded_by("corpus", "-h")
    assert code == 0
    assert loaded == ["goldwire.corpus.cli"]


def test_given_option_values_are_still_checked_by_typer():
    """--bootstrap is declared with min=0: the value given goes through typer's coercion."""
    code, loaded, output = loaded_by("evaluate", "score", "-g", "a", "-p", "b", "--bootstrap", "-1")
    assert code == 2
    assert "pydantic" in loaded
    text = " ".join(re.sub("[│╭╮╰╯─]", " ", output).split())
    assert "Invalid value for '--bootstrap' / '-b': Input should be greater than or equal to 0" in (
        text
    )
    code, _, output = loaded_by("evaluate", "score", "-g", "a", "-p", "b", "--bootstrap", "x")
    assert code == 2
    assert "unable to parse string as an integer" in " ".join(re.sub("[│]", " ", output).split())


def test_an_unknown_stage_is_a_usage_error_naming_it():
    code, loaded, output = loaded_by("evaluat", "score")
    assert code == 2
    assert loaded == []
    assert "No such command 'evaluat'" in output
