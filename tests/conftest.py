"""Shared fixtures: repository paths and the read-only public data in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from gwtest import REPO, SHARED_DATA


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
