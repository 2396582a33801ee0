"""Fixtures of the model tests: small corpora and the model commands on a test app."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from modelgen import corpus_dir, docstance_document, ner_document


@pytest.fixture(scope="session")
def ner_corpus(tmp_path_factory) -> Path:
    return corpus_dir(tmp_path_factory.mktemp("ner"), [ner_document(i) for i in range(40)], "ner")


@pytest.fixture(scope="session")
def docstance_corpus(tmp_path_factory) -> Path:
    from goldwire.corpus.readers.fnc1 import fnc1_labels

    return corpus_dir(tmp_path_factory.mktemp("ds"), [docstance_document(i) for i in range(40)],
                      "docstance", labels=fnc1_labels())


@pytest.fixture()
def models_cli():
    """The three commands mounted on a small app with goldwire's error handling."""
    from typer.testing import CliRunner

    from goldwire.cli import _GoldwireGroup
    from goldwire.evaluate.models.cli import benchmark_cmd, predict_cmd, train_cmd

    app = typer.Typer(cls=_GoldwireGroup)
    app.command("train")(train_cmd)
    app.command("predict")(predict_cmd)
    app.command("benchmark")(benchmark_cmd)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    return invoke
