"""Fixtures of the model tests: small corpora (the commands run through the root ``cli``
fixture of tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from modelgen import corpus_dir, docstance_document, ner_document


@pytest.fixture(scope="session")
def ner_corpus(tmp_path_factory) -> Path:
    return corpus_dir(tmp_path_factory.mktemp("ner"), [ner_document(i) for i in range(40)], "ner")


@pytest.fixture(scope="session")
def docstance_corpus(tmp_path_factory) -> Path:
    from goldwire.corpus.readers.fnc1 import fnc1_labels

    return corpus_dir(
        tmp_path_factory.mktemp("ds"),
        [docstance_document(i) for i in range(40)],
        "docstance",
        labels=fnc1_labels(),
    )
