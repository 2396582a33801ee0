"""Fixtures for the annotate tests.

``doccano_server`` starts the real managed Doccano server once per test session, with the
project's own ``server.start`` code, on a free port under a temporary GOLDWIRE_HOME. The
server's virtual environment is slow to build, so it is reused: ``$GOLDWIRE_DOCCANO_VENV`` when
set, else the default one of the real goldwire home (CI builds it beforehand with
``python -m goldwire.annotate.server install``; when missing, the fixture builds it once).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from spareserver import SPARE_PUBLIC_HOST, SPARE_SECRETS

from goldwire.annotate import server, settings

SERVER_ENV = (
    settings.ENV_URL,
    settings.ENV_USERNAME,
    settings.ENV_PASSWORD,
    settings.ENV_PORT,
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class DoccanoServer:
    home: Path
    port: int
    url: str
    paths: settings.ServerPaths
    connection: settings.Connection


@pytest.fixture(scope="session")
def doccano_venv() -> Path:
    """The cached server venv (built once if missing)."""
    cached = os.environ.get(settings.ENV_VENV) or None
    venv = Path(cached) if cached else settings.server_paths().venv
    return server.install(venv).path


def _server_env(env: pytest.MonkeyPatch, home: Path, venv: Path) -> None:
    env.setenv(settings.ENV_HOME, str(home))
    env.setenv(settings.ENV_VENV, str(venv))
    for name in SERVER_ENV:
        env.delenv(name, raising=False)


@contextlib.contextmanager
def _managed_server(home: Path, venv: Path, secrets: dict[str, str] | None = None,
                    public_hosts: list[str] | None = None) -> Iterator[DoccanoServer]:  # fmt: skip
    """A managed server in ``home``, started with ``secrets`` in the environment (then the
    admin password variable removed) and stopped at the end; the environment is set only
    while starting and stopping."""
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        _server_env(env, home, venv)
        for name, value in (secrets or {}).items():
            env.setenv(name, value)
        status = server.start(port=port, public_hosts=public_hosts or ())
        if secrets:
            env.delenv(settings.ENV_PASSWORD)
        handle = DoccanoServer(
            home=home,
            port=port,
            url=status.url,
            paths=settings.server_paths(home),
            connection=settings.resolve_connection(),
        )
    try:
        yield handle
    finally:
        with pytest.MonkeyPatch.context() as env:
            _server_env(env, home, venv)
            server.stop()


@pytest.fixture(scope="session")
def _doccano_session(
    doccano_venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DoccanoServer]:
    """Starts the server once."""
    with _managed_server(tmp_path_factory.mktemp("goldwire-home"), doccano_venv) as handle:
        yield handle


@pytest.fixture
def doccano_server(
    _doccano_session: DoccanoServer, doccano_venv: Path, monkeypatch: pytest.MonkeyPatch
) -> DoccanoServer:
    """The session's running server, with GOLDWIRE_HOME (and the venv) pointing at it."""
    _server_env(monkeypatch, _doccano_session.home, doccano_venv)
    return _doccano_session


@pytest.fixture(scope="session")
def _spare_session(
    doccano_venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DoccanoServer]:
    """A second managed server, for tests that kill its processes; started with goldwire's
    secrets in the environment and --public-host annotate.example.org."""
    home = tmp_path_factory.mktemp("goldwire-spare-home")
    with _managed_server(home, doccano_venv, SPARE_SECRETS, [SPARE_PUBLIC_HOST]) as handle:
        yield handle


@pytest.fixture
def spare_doccano_server(
    _spare_session: DoccanoServer, doccano_venv: Path, monkeypatch: pytest.MonkeyPatch
) -> DoccanoServer:
    """The spare server, running (started again when an earlier test broke it), with
    GOLDWIRE_HOME (and the venv) pointing at it."""
    _server_env(monkeypatch, _spare_session.home, doccano_venv)
    server.start(port=_spare_session.port, public_hosts=[SPARE_PUBLIC_HOST])
    return _spare_session


@pytest.fixture
def run(doccano_server):
    """Invoke ``goldwire annotate ARGS...`` in-process against the session's server (the
    root app, so that errors come out as the one line a user sees)."""
    from typer.testing import CliRunner

    from goldwire.cli import app

    runner = CliRunner()

    def invoke(*args, **kwargs):
        return runner.invoke(app, ["annotate", *(str(a) for a in args)], **kwargs)

    return invoke


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh GOLDWIRE_HOME and no doccano variables; returns the home folder."""
    monkeypatch.setenv(settings.ENV_HOME, str(tmp_path / "home"))
    for name in (*SERVER_ENV, settings.ENV_VENV):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


@pytest.fixture(scope="session")
def annotated_doc():
    """Build a document with entities ``(start, end, label)``, stances ``(holder, target,
    label)`` between them (an int is an entity's index, a string a holder named only) and
    document stances ``(target, label)``."""
    from goldwire.schema import DocStance, Document, Entity, Mention, Stance

    def build(text: str, entities=(), stances=(), id_: str = "d1", doc_stances=()) -> Document:
        ents = [Entity(f"T{i}", a, b, label, text[a:b]) for i, (a, b, label) in enumerate(entities)]
        sts = [
            Stance(
                Mention(ents[h].text, ents[h].start, ents[h].end, ents[h].id)
                if isinstance(h, int)
                else Mention(h),
                Mention(ents[t].text, ents[t].start, ents[t].end, ents[t].id),
                label,
            )
            for h, t, label in stances
        ]
        ds = [DocStance(target, label) for target, label in doc_stances]
        return Document(id=id_, text=text, entities=ents, stances=sts, doc_stances=ds)

    return build
