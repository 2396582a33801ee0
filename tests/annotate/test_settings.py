"""resolve_connection: which Doccano server goldwire talks to, and with which account."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from goldwire.annotate import settings
from goldwire.annotate.settings import Connection, resolve_connection
from goldwire.errors import UsageError


def save_managed(home: Path, username: str = "admin", password: str = "pw-managed-1") -> None:
    settings.save_credentials(settings.server_paths(home), username, password)


def test_home_and_venv_follow_the_environment(clean_env: Path, monkeypatch) -> None:
    assert settings.goldwire_home() == clean_env.resolve()
    assert settings.server_paths().venv == clean_env.resolve() / "doccano" / "venv"
    monkeypatch.setenv("GOLDWIRE_DOCCANO_VENV", str(clean_env / "shared-venv"))
    assert settings.server_paths().venv == (clean_env / "shared-venv").resolve()


def test_managed_server_credentials_come_from_its_private_file(clean_env: Path) -> None:
    save_managed(clean_env)
    credentials = settings.server_paths().credentials
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert json.loads(credentials.read_text()) == {"username": "admin", "password": "pw-managed-1"}
    assert resolve_connection() == Connection("http://127.0.0.1:8000", "admin", "pw-managed-1")


def test_managed_port_follows_the_running_server_then_the_variable(
    clean_env: Path, monkeypatch
) -> None:
    save_managed(clean_env)
    monkeypatch.setenv("GOLDWIRE_DOCCANO_PORT", "8123")
    assert resolve_connection().url == "http://127.0.0.1:8123"
    state = {"url": "http://127.0.0.1:8555", "port": 8555, "processes": {}}
    settings.server_paths().state.write_text(json.dumps(state))
    assert resolve_connection().url == "http://127.0.0.1:8555"


def test_variables_select_another_server(clean_env: Path, monkeypatch) -> None:
    save_managed(clean_env)
    monkeypatch.setenv("GOLDWIRE_DOCCANO_URL", "https://doccano.example.org/")
    monkeypatch.setenv("GOLDWIRE_DOCCANO_USERNAME", "ann")
    monkeypatch.setenv("GOLDWIRE_DOCCANO_PASSWORD", "pw-remote-2")
    assert resolve_connection() == Connection("https://doccano.example.org", "ann", "pw-remote-2")
    # explicit arguments beat the variables
    assert resolve_connection("http://other:9000", "bob", "pw-3") == Connection(
        "http://other:9000", "bob", "pw-3"
    )


def test_remote_server_without_a_password_is_a_usage_error(clean_env: Path, monkeypatch) -> None:
    save_managed(clean_env)  # the managed server's password is never sent elsewhere
    monkeypatch.setenv("GOLDWIRE_DOCCANO_USERNAME", "ann")
    with pytest.raises(UsageError) as caught:
        resolve_connection(url="https://doccano.example.org")
    assert str(caught.value) == (
        "no password for doccano at https://doccano.example.org; set GOLDWIRE_DOCCANO_PASSWORD"
    )
    monkeypatch.delenv("GOLDWIRE_DOCCANO_USERNAME")
    with pytest.raises(
        UsageError,
        match="no username or password .* set "
        "GOLDWIRE_DOCCANO_USERNAME and GOLDWIRE_DOCCANO_PASSWORD$",
    ):
        resolve_connection(url="https://doccano.example.org")


def test_managed_server_before_its_first_start(clean_env: Path) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_connection()
    assert str(caught.value) == (
        "no credentials for the managed doccano at http://127.0.0.1:8000 yet; run "
        "`goldwire annotate server start` first (it creates the admin account), or set "
        "GOLDWIRE_DOCCANO_USERNAME and GOLDWIRE_DOCCANO_PASSWORD"
    )


def test_bad_url_and_port_are_usage_errors(clean_env: Path, monkeypatch) -> None:
    with pytest.raises(UsageError, match="'ftp://x' is not an http"):
        resolve_connection(url="ftp://x", username="a", password="b")
    monkeypatch.setenv("GOLDWIRE_DOCCANO_PORT", "eighty")
    with pytest.raises(UsageError, match="port 'eighty' is not a TCP port"):
        settings.default_port()


def test_messages_never_show_a_password_embedded_in_the_url() -> None:
    assert settings.display_url("https://ann:pw-9@doccano.example.org:8443/") == (
        "https://doccano.example.org:8443"
    )


def test_generated_passwords_fit_doccanos_login_form():
    from goldwire.annotate.server import MAX_UI_PASSWORD
    from goldwire.annotate.settings import generate_password

    assert all(16 <= len(generate_password()) <= MAX_UI_PASSWORD for _ in range(50))


def test_a_stored_password_too_long_for_the_ui_is_replaced(tmp_path, monkeypatch):
    from goldwire.annotate import server
    from goldwire.annotate.settings import ServerPaths, save_credentials

    monkeypatch.delenv("GOLDWIRE_DOCCANO_USERNAME", raising=False)
    monkeypatch.delenv("GOLDWIRE_DOCCANO_PASSWORD", raising=False)
    paths = ServerPaths(tmp_path / "doccano", tmp_path / "venv")
    paths.root.mkdir(parents=True, exist_ok=True)
    save_credentials(paths, "admin", "x" * 32)
    user, password = server._admin_credentials(paths, None, None)
    assert user == "admin" and password != "x" * 32 and len(password) <= 30
    save_credentials(paths, "admin", "short-enough-password")
    assert server._admin_credentials(paths, None, None) == ("admin", "short-enough-password")
