"""The managed Doccano server: start/stop/status against the real server (started once per
session by the ``doccano_server`` fixture), plus pid-file ownership checks that need none."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldwire.annotate import server, server_venv, settings
from goldwire.annotate.http import DoccanoSession, connect
from goldwire.cli import app
from goldwire.errors import ServerError, UsageError

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
runner = CliRunner()


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = server._proc_stat(int(entry.name))
            if fields and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def invoke(*args: str):
    return runner.invoke(app, ["annotate", "server", *args])


# -- with the real server ----------------------------------------------------------------------

doccano = pytest.mark.doccano


@doccano
def test_start_twice_is_harmless(doccano_server) -> None:
    before = server.status()
    again = server.start(port=doccano_server.port)
    assert again.already_running and again.healthy
    assert again.pids == before.pids
    result = invoke("start", "--port", str(doccano_server.port))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "already running"
    assert server.status().pids == before.pids


@doccano
def test_start_on_another_port_while_running_is_refused(doccano_server, unused_port) -> None:
    with pytest.raises(UsageError) as caught:
        server.start(port=unused_port)
    assert str(caught.value) == (
        f"the managed doccano already runs at {doccano_server.url}; stop it with "
        f"`goldwire annotate server stop` before starting it on port {unused_port}"
    )


@doccano
@linux_only
def test_status_shows_url_pids_and_health(doccano_server) -> None:
    status = server.status()
    assert status.url == f"http://127.0.0.1:{doccano_server.port}"
    assert status.running and status.healthy and status.health == "ok"
    assert set(status.pids) == {"webserver", "worker"}
    assert "gunicorn --bind 127.0.0.1:" in cmdline(status.pids["webserver"])
    assert " worker " in cmdline(status.pids["worker"])
    result = invoke("status", "--json", "-")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)  # the human lines went to standard error
    assert f"doccano: {status.url} (running)" in result.stderr
    assert shown["pids"] == status.pids and shown["health"] == "ok"
    assert shown["username"] == doccano_server.connection.username
    text = invoke("status").output.splitlines()
    assert text[:2] == [f"doccano: {status.url} (running)", "health: ok"]


@doccano
@linux_only
def test_binds_loopback_only_with_sqlite_sized_worker_counts(doccano_server) -> None:
    port_hex = f"{doccano_server.port:04X}"
    listening = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[1].endswith(":" + port_hex) and line.split()[3] == "0A"
    ]
    listening += [
        line.split()[1]
        for line in Path("/proc/net/tcp6").read_text().splitlines()[1:]
        if line.split()[1].endswith(":" + port_hex) and line.split()[3] == "0A"
    ]
    assert listening == [f"0100007F:{port_hex}"]
    pids = server.status().pids
    assert len(group_members(pids["webserver"])) == 1 + server.WEB_WORKERS
    assert len(group_members(pids["worker"])) == 1 + server.TASK_CONCURRENCY


@doccano
def test_secret_files_are_private_and_the_key_is_our_own(doccano_server) -> None:
    paths = doccano_server.paths
    for path in (paths.credentials, paths.secret_key, paths.state):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    username, password = settings.load_credentials(paths)
    assert (username, password) == (
        doccano_server.connection.username,
        doccano_server.connection.password,
    )
    assert username == "admin" and len(password) >= 24
    # the running Django reads its key from our file, not doccano's built-in default
    backend = server_venv.backend_dir(paths.venv)
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from config.settings import base; "
        f"print(s.SECRET_KEY == open({str(paths.secret_key)!r}).read().strip(), "
        "s.SECRET_KEY != 'v8sk33sy82!uw3ty=!jjv5vp7=s2phrzw(m(hrn^f7e_#1h2al')"
    )
    out = subprocess.run(
        [str(paths.venv / "bin" / "python"), "-c", probe],
        cwd=backend,
        capture_output=True,
        text=True,
        env=server._server_env(paths, backend),
        check=True,
    ).stdout.split()
    assert out[-2:] == ["True", "True"]


@doccano
@linux_only
def test_password_is_not_in_the_process_list_environment_or_logs(doccano_server) -> None:
    password = doccano_server.connection.password
    secret_key = doccano_server.paths.secret_key.read_text().strip()
    listing = subprocess.run(
        ["ps", "-eww", "-o", "args"], capture_output=True, text=True, check=True
    ).stdout
    assert "gunicorn --bind 127.0.0.1" in listing  # the listing does show our processes
    assert password not in listing and secret_key not in listing
    for pid in server.status().pids.values():
        for member in group_members(pid):
            environ = Path(f"/proc/{member}/environ").read_bytes().decode(errors="replace")
            assert password not in environ and secret_key not in environ
    paths = doccano_server.paths
    logs = [*paths.logs.glob("*.log"), paths.venv / "goldwire-install.log"]
    assert len(logs) >= 3
    for log in logs:
        if log.exists():
            assert password not in log.read_text(errors="replace"), log


@doccano
def test_login_works_with_the_generated_credentials(doccano_server) -> None:
    with connect(settings.resolve_connection()) as session:
        me = session.json("GET", "/v1/me")
    assert me["username"] == doccano_server.connection.username and me["is_superuser"]
    wrong = settings.Connection(doccano_server.url, "admin", "not-the-password")
    with pytest.raises(ServerError, match=r"rejected the login of user 'admin'; check"):
        connect(wrong)


@doccano
def test_concurrent_writes_do_not_lock_sqlite(doccano_server) -> None:
    """Several annotators saving at once: every write lands, none fails 'database is locked'."""
    suffix = threading.get_ident()

    def create(index: int) -> int:
        with connect(doccano_server.connection, timeout=60) as session:
            ids = []
            for round_ in range(3):
                project = session.json(
                    "POST",
                    "/v1/projects",
                    json={
                        "name": f"lock-{suffix}-{index}-{round_}",
                        "description": "d",
                        "project_type": "SequenceLabeling",
                        "resourcetype": "SequenceLabelingProject",
                    },
                )
                ids.append(project["id"])
            return len(ids)

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert sum(pool.map(create, range(6))) == 18
    with connect(doccano_server.connection) as session:
        found = session.json("GET", "/v1/projects", params={"limit": 100, "q": f"lock-{suffix}"})
        assert session.health().ok
    assert found["count"] == 18


@doccano
@linux_only
def test_stop_stops_exactly_ours_then_start_brings_it_back(doccano_server) -> None:
    decoy = subprocess.Popen(["sleep", "120"], start_new_session=True)
    try:
        before = server.status()
        report = server.stop()
        assert report.stopped == before.pids and report.not_ours == {}
        for pgid in before.pids.values():
            assert group_members(pgid) == []  # masters, web workers and task process all gone
        assert decoy.poll() is None  # an unrelated process group is untouched
        assert not doccano_server.paths.state.exists()

        assert server.stop().stopped == {}  # a second stop is harmless
        result = invoke("stop")
        assert (result.exit_code, result.output) == (0, "doccano was not running\n")
        assert invoke("status").exit_code == 1
        with DoccanoSession(doccano_server.url, retries=1, backoff=0.01) as session:
            with pytest.raises(ServerError) as caught:
                session.get("/v1/health/")
        assert str(caught.value) == (
            f"doccano at {doccano_server.url} refused the connection; start it with "
            "`goldwire annotate server start` or set GOLDWIRE_DOCCANO_URL"
        )
    finally:
        decoy.kill()
        decoy.wait()
        again = server.start(port=doccano_server.port)
    assert not again.already_running and again.healthy
    assert set(again.pids.values()).isdisjoint(before.pids.values())
    # same database and credentials after a restart
    assert settings.resolve_connection() == doccano_server.connection
    with connect(doccano_server.connection) as session:
        assert session.json("GET", "/v1/me")["username"] == "admin"


# -- pid-file ownership, without a server ------------------------------------------------------


def fake_state(home: Path, pid: int, start_time: str | None) -> None:
    paths = settings.server_paths(home)
    paths.root.mkdir(parents=True, exist_ok=True)
    record = {"pid": pid, "pgid": pid, "start_time": start_time, "log": "x.log"}
    state = {"url": "http://127.0.0.1:1", "port": 1, "processes": {"webserver": record}}
    paths.state.write_text(json.dumps(state))


@linux_only
def test_stop_leaves_a_process_alone_that_reuses_a_recorded_pid(clean_env: Path) -> None:
    stranger = subprocess.Popen(["sleep", "120"], start_new_session=True)
    try:
        fake_state(clean_env, stranger.pid, start_time="1")  # another process's start time
        report = server.stop()
        assert report.stopped == {} and report.not_ours == {"webserver": stranger.pid}
        assert stranger.poll() is None
        assert not settings.server_paths().state.exists()
    finally:
        stranger.kill()
        stranger.wait()


@linux_only
def test_stop_kills_our_whole_process_group(clean_env: Path) -> None:
    ours = subprocess.Popen(["sh", "-c", "sleep 120 & sleep 120 & wait"], start_new_session=True)
    try:
        fake_state(clean_env, ours.pid, start_time=server._fingerprint(ours.pid))
        deadline = time.monotonic() + 5
        while len(group_members(ours.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(group_members(ours.pid)) == 3
        report = server.stop(timeout=1)  # sh exits on SIGTERM; its sleeps need the SIGKILL
        assert report.stopped == {"webserver": ours.pid}
        assert ours.wait(timeout=5) == -signal.SIGTERM
        assert group_members(ours.pid) == []  # the grandchildren went too
    finally:
        ours.kill()
        ours.wait()


def test_start_on_a_busy_port_says_what_to_do(clean_env: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServerError) as caught:
            server.start(port=port)
    assert str(caught.value) == (
        f"port {port} on 127.0.0.1 is already in use by another program; pick a free one "
        "with --port (or GOLDWIRE_DOCCANO_PORT), or stop that program"
    )


def test_status_and_stop_when_never_started(clean_env: Path) -> None:
    result = invoke("status", "--json", "-")
    assert result.exit_code == 1
    shown = json.loads(result.stdout)
    assert shown["running"] is False and shown["pids"] == {}
    assert invoke("stop").output == "doccano was not running\n"


def test_admin_account_comes_from_variables_then_the_saved_file(
    clean_env: Path, monkeypatch
) -> None:
    paths = settings.server_paths()
    username, generated = server._admin_credentials(paths, None, None)
    assert username == "admin" and len(generated) >= 24
    settings.save_credentials(paths, "admin", generated)
    assert server._admin_credentials(paths, None, None) == ("admin", generated)  # kept
    monkeypatch.setenv("GOLDWIRE_DOCCANO_PASSWORD", "pw-from-env-1")
    assert server._admin_credentials(paths, None, None) == ("admin", "pw-from-env-1")
    monkeypatch.setenv("GOLDWIRE_DOCCANO_USERNAME", "lead")
    assert server._admin_credentials(paths, None, None) == ("lead", "pw-from-env-1")
    monkeypatch.delenv("GOLDWIRE_DOCCANO_PASSWORD")
    username, password = server._admin_credentials(paths, None, None)
    assert username == "lead" and password not in (generated, "pw-from-env-1")


def test_server_venv_needs_python_3_10_or_3_11(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("GOLDWIRE_DOCCANO_PYTHON", raising=False)
    fake = tmp_path / "python3.13"
    fake.write_text("#!/bin/sh\necho 3 13\n")
    fake.chmod(0o755)
    with pytest.raises(UsageError) as caught:
        server_venv._server_python(str(fake))
    assert str(caught.value) == (
        f"{fake} is not a Python 3.11 or 3.10 interpreter; point --python (or "
        "GOLDWIRE_DOCCANO_PYTHON) at one, since doccano 1.8.4 needs it"
    )
    if sys.version_info[:2] in server_venv.SERVER_PYTHONS:
        assert server_venv._server_python(None) == sys.executable
