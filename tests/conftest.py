"""Shared fixtures: repository paths, the read-only public data in ../shared/data, the CLI;
the Hypothesis profile of every test."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from gwtest import REPO, SHARED_DATA

# No example database: nothing is written into the working directory (.hypothesis/), and a
# run does not depend on what earlier runs found. Each test sets its own max_examples.
settings.register_profile("goldwire", database=None, deadline=None, print_blob=True)
settings.load_profile("goldwire")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public data not found at {SHARED_DATA} (../shared/data beside the clone)")
    return SHARED_DATA


@pytest.fixture()
def cli():
    """Invoke the goldwire CLI in-process; returns click's Result."""
    from typer.testing import CliRunner

    from goldwire.cli import app

    runner = CliRunner()

    def invoke(*args: str, **kwargs):
        return runner.invoke(app, [str(a) for a in args], **kwargs)

    return invoke
