"""The managed Doccano server: start, stop and inspect it (and install it, through
:mod:`goldwire.annotate.server_venv`, which builds its own virtual environment).

doccano 1.8.4 runs from its own virtual environment (it cannot share one with doccano-client),
built from the pins in ``doccano-constraints.txt``. Its data live in ``<GOLDWIRE_HOME>/doccano``:

    venv/                      the server's virtual environment (or $GOLDWIRE_DOCCANO_VENV)
    db.sqlite3, broker.sqlite3 the database, and the task queue's own SQLite file
    media/                     uploaded files
    secret_key                 this server's Django secret key (0600)
    credentials.json           the admin's username and password (0600)
    server.json                pid file: port, pids and start times of the processes we started
    logs/                      install.log (in the venv), setup.log, webserver.log, worker.log
    goldwire_doccano_settings.py   Django settings: doccano's production settings + the above

``start`` runs gunicorn bound to 127.0.0.1 (``doccano webserver`` binds 0.0.0.0) and one celery
worker, each in its own process group, and waits until ``/v1/health/`` answers 200, which needs
both (the health check runs a task on the worker). Every function returns a value and never
prints; ``goldwire annotate server`` is the CLI over them.

CI pre-installs the server venv with ``python -m goldwire.annotate.server install``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from goldwire import files
from goldwire.annotate.server_venv import (
    DOCCANO_VERSION,
    VenvInfo,
    backend_dir,
    clean_env,
    install,
    locked,
    venv_python,
    venv_ready,
)
from goldwire.annotate.settings import (
    DEFAULT_USERNAME,
    ENV_PASSWORD,
    ENV_USERNAME,
    HOST,
    ServerPaths,
    _env,
    check_port,
    default_port,
    display_url,
    generate_password,
    load_credentials,
    local_url,
    save_credentials,
    server_paths,
)
from goldwire.errors import ServerError, UsageError

if TYPE_CHECKING:
    from goldwire.annotate.http import Health

#: Two sync web workers and one task process: SQLite serialises writers, and with a 30 s busy
#: timeout this many concurrent writers wait for each other instead of failing with
#: "database is locked". The task queue has its own SQLite file, so polling never blocks a save.
WEB_WORKERS = 2
TASK_CONCURRENCY = 1
SQLITE_TIMEOUT = 30
START_TIMEOUT = 180.0
STOP_TIMEOUT = 20.0
PROCESS_NAMES = ("webserver", "worker")


# -- results -------------------------------------------------------------------------------


@dataclass
class ServerStatus:
    """What ``status`` (and ``start``) report. Never holds a password."""

    url: str
    running: bool
    healthy: bool
    health: str
    pids: dict[str, int] = field(default_factory=dict)
    home: str | None = None
    logs: dict[str, str] = field(default_factory=dict)
    credentials: str | None = None
    username: str | None = None
    managed: bool = True
    already_running: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class StopReport:
    """Which of our processes were stopped; ``not_ours`` lists recorded pids now used by others."""

    url: str | None
    stopped: dict[str, int] = field(default_factory=dict)
    not_ours: dict[str, int] = field(default_factory=dict)

    @property
    def was_running(self) -> bool:
        return bool(self.stopped)


# -- the home folder -------------------------------------------------------------------------

SETTINGS_TEMPLATE = '''\
"""Doccano settings written by goldwire (`goldwire annotate server start` rewrites this file)."""

from pathlib import Path as _Path

from config.settings.production import *  # noqa: F401,F403
from config.settings.production import DATABASES

_HOME = _Path(__file__).resolve().parent
SECRET_KEY = (_HOME / "secret_key").read_text(encoding="utf-8").strip()
DATABASES["default"] = {{
    **DATABASES["default"],
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": str(_HOME / "db.sqlite3"),
    "OPTIONS": {{"timeout": {timeout}}},
}}
MEDIA_ROOT = str(_HOME / "media")
DJANGO_DRF_FILEPOND_FILE_STORE_PATH = MEDIA_ROOT
DJANGO_DRF_FILEPOND_UPLOAD_TMP = str(_HOME / "media" / "filepond-temp-uploads")
# The upload folder lives outside doccano's BASE_DIR: without this, /v1/fp/process/ answers 500.
DJANGO_DRF_FILEPOND_ALLOW_EXTERNAL_UPLOAD_DIR = True
CELERY_BROKER_URL = "sqla+sqlite:///" + str(_HOME / "broker.sqlite3")
CELERY_BROKER_TRANSPORT_OPTIONS = {{"connect_args": {{"timeout": {timeout}}}}}
'''

INIT_SCRIPT = r"""
import json, sqlite3, sys
request = json.loads(sys.stdin.read())
import django
django.setup()
from django.conf import settings
from django.core import management
if request["migrate"]:
    management.call_command("migrate", interactive=False)
    management.call_command("create_roles")
    for name in (settings.DATABASES["default"]["NAME"], request["broker"]):
        with sqlite3.connect(name) as db:
            db.execute("PRAGMA journal_mode=WAL")
# Declare the task queue now: the web server and the worker would both create its row on
# first use, and kombu's SQL transport lets the loser of that race crash the worker.
from config.celery import app as celery_app
with celery_app.connection_for_write() as connection:
    connection.default_channel.queue_declare(queue=celery_app.conf.task_default_queue)
from django.contrib.auth import get_user_model
user, created = get_user_model().objects.get_or_create(username=request["username"])
user.is_staff = user.is_superuser = True
user.set_password(request["password"])
user.save()
print(f"admin account {user.username!r} {'created' if created else 'updated'}")
"""


def _server_env(paths: ServerPaths, backend: Path) -> dict[str, str]:
    return {
        **clean_env(),
        "PYTHONPATH": f"{backend}{os.pathsep}{paths.root}",
        "DJANGO_SETTINGS_MODULE": paths.settings_module.stem,
        "PYTHONUNBUFFERED": "1",
    }


def _prepare_home(paths: ServerPaths) -> None:
    for folder in (paths.root, paths.media, paths.logs):
        folder.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.root, 0o700)
    if not paths.secret_key.exists():
        import secrets

        files.write_text(paths.secret_key, secrets.token_urlsafe(50), private=True)
    files.write_text(paths.settings_module, SETTINGS_TEMPLATE.format(timeout=SQLITE_TIMEOUT))


MAX_UI_PASSWORD = 30  # Doccano's login form keeps its button disabled for longer passwords


def _admin_credentials(
    paths: ServerPaths, username: str | None, password: str | None
) -> tuple[str, str]:
    """The admin account to ensure: explicit/env values, else the saved ones, else generated."""
    username = username or _env(ENV_USERNAME)
    password = password or _env(ENV_PASSWORD)
    stored = load_credentials(paths)
    if password:
        return username or (stored[0] if stored else DEFAULT_USERNAME), password
    if stored and (username is None or username == stored[0]):
        if len(stored[1]) <= MAX_UI_PASSWORD:
            return stored
        # an earlier goldwire generated 32 characters, which Doccano's login form refuses
        return stored[0], generate_password()
    return username or DEFAULT_USERNAME, generate_password()


def _initialise(paths: ServerPaths, backend: Path, username: str, password: str) -> None:
    """Migrate (once per doccano version) and ensure the admin account; password via stdin."""
    marker = {"doccano": DOCCANO_VERSION}
    try:
        migrated = json.loads(paths.initialised.read_text(encoding="utf-8")) == marker
    except (OSError, ValueError):
        migrated = False
    migrated = migrated and paths.database.exists()
    request = {
        "migrate": not migrated,
        "broker": str(paths.broker),
        "username": username,
        "password": password,
    }
    log = paths.log("setup")
    with open(log, "ab") as out:
        result = subprocess.run(
            [str(venv_python(paths.venv)), "-c", INIT_SCRIPT],
            input=json.dumps(request).encode(),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=backend,
            env=_server_env(paths, backend),
            check=False,
        )
    if result.returncode != 0:
        raise ServerError(
            f"setting up doccano's database in {paths.root} failed (exit code "
            f"{result.returncode}); see {log}"
        )
    files.write_json(paths.initialised, marker, indent=None)
    save_credentials(paths, username, password)


# -- processes -------------------------------------------------------------------------------


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat from the state on (index 0 = state), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()


def _fingerprint(pid: int) -> str | None:
    """When process ``pid`` started (its identity across pid reuse); None if not running."""
    if Path("/proc/self/stat").exists():
        fields = _proc_stat(pid)
        if fields is None or fields[0] in ("Z", "X"):
            return None
        return fields[19]
    out = subprocess.run(
        ["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True, check=False
    ).stdout.strip()
    return out or None


def _group_alive(pgid: int) -> bool:
    """True while process group ``pgid`` has a member that is not a zombie."""
    if Path("/proc/self/stat").exists():
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                fields = _proc_stat(int(entry.name))
                if fields and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
                    return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ownership(record: dict) -> str:
    """'ours' (alive, same start time), 'orphans' (leader gone, group left) or 'gone'/'other'."""
    pid = int(record["pid"])
    started = _fingerprint(pid)
    if started is not None:
        try:
            same_group = os.getpgid(pid) == int(record["pgid"])
        except ProcessLookupError:
            same_group = False
        return "ours" if started == record["start_time"] and same_group else "other"
    # Linux and macOS never hand out a pid that is still some group's id, so members of
    # the recorded group are leftovers of the group we started.
    return "orphans" if _group_alive(int(record["pgid"])) else "gone"


LAUNCHER = r"""
import json, os, subprocess, sys
spec = json.loads(sys.stdin.read())
with open(spec["log"], "ab", buffering=0) as log:
    child = subprocess.Popen(
        spec["argv"], cwd=spec["cwd"], env=spec["env"], stdin=subprocess.DEVNULL,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
    )
print(child.pid, flush=True)
os._exit(0)
"""


def _launch(name: str, argv: list[str], paths: ServerPaths, backend: Path) -> dict:
    """Start ``argv`` detached (own session and process group, not our child); record it."""
    log = paths.log(name)
    spec = {"argv": argv, "cwd": str(backend), "env": _server_env(paths, backend), "log": str(log)}
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )
    try:
        pid = int(result.stdout.strip())
    except ValueError:
        raise ServerError(
            f"could not start doccano's {name} ({result.stderr.strip()[-200:]}); see {log}"
        ) from None
    start_time = _fingerprint(pid)
    return {"pid": pid, "pgid": pid, "start_time": start_time, "log": str(log)}


def _commands(paths: ServerPaths, backend: Path, port: int) -> dict[str, list[str]]:
    bin_dir = paths.venv / "bin"
    return {
        "webserver": [
            str(bin_dir / "gunicorn"),
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(WEB_WORKERS),
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            "--chdir",
            str(backend),
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            "--capture-output",
            "config.wsgi",
        ],
        "worker": [
            str(bin_dir / "celery"),
            "--app=config",
            f"--workdir={backend}",
            "worker",
            "--loglevel=info",
            f"--concurrency={TASK_CONCURRENCY}",
            "--without-gossip",
            "--without-mingle",
            "--hostname=goldwire-doccano@%h",
        ],
    }


def _terminate(records: dict[str, dict], timeout: float) -> tuple[dict[str, int], dict[str, int]]:
    """Stop each of our process groups: SIGTERM to its leader (gunicorn's master and celery's
    main process stop their workers and let running requests and tasks finish), then SIGKILL
    to whatever is left of the group after ``timeout`` seconds."""
    stopped: dict[str, int] = {}
    not_ours: dict[str, int] = {}
    for name, record in records.items():
        owner = _ownership(record)
        if owner == "other":
            not_ours[name] = int(record["pid"])
        elif owner in ("ours", "orphans"):
            with contextlib.suppress(ProcessLookupError):
                if owner == "ours":
                    os.kill(int(record["pid"]), signal.SIGTERM)
                else:
                    os.killpg(int(record["pgid"]), signal.SIGTERM)
            stopped[name] = int(record["pid"])
    groups = [int(records[name]["pgid"]) for name in stopped]
    for pgid in _wait_gone(groups, timeout):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    _wait_gone(groups, 5.0)  # SIGKILL is delivered asynchronously
    return stopped, not_ours


def _wait_gone(groups: list[int], seconds: float) -> list[int]:
    """Wait up to ``seconds`` for the process groups to end; return those still alive."""
    deadline = time.monotonic() + seconds
    while True:
        alive = [pgid for pgid in groups if _group_alive(pgid)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.1)


# -- state (pid file) and locking ------------------------------------------------------------


def _read_state(paths: ServerPaths) -> dict | None:
    try:
        state = json.loads(paths.state.read_text(encoding="utf-8"))
        return state if isinstance(state.get("processes"), dict) else None
    except (OSError, ValueError, AttributeError):
        return None


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise ServerError(
                f"port {port} on {HOST} is already in use by another program; pick a free one "
                "with --port (or GOLDWIRE_DOCCANO_PORT), or stop that program"
            ) from None


def _health(url: str, timeout: float = 10.0) -> Health:
    from goldwire.annotate.http import DoccanoSession

    with DoccanoSession(url, retries=0) as session:
        return session.health(timeout=timeout)


def _wait_healthy(state: dict, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for name, record in state["processes"].items():
            if _ownership(record) != "ours":
                raise ServerError(
                    f"doccano's {name} exited during start-up; see {record['log']}, fix the "
                    "cause and run `goldwire annotate server start` again"
                )
        health = _health(state["url"], timeout=5.0)
        if health.ok:
            return
        if time.monotonic() > deadline:
            logs = " and ".join(r["log"] for r in state["processes"].values())
            raise ServerError(
                f"doccano at {state['url']} did not become healthy within {timeout:g} s "
                f"({health}); see {logs}"
            )
        time.sleep(0.5)


# -- start / stop / status -------------------------------------------------------------------


def start(
    *,
    port: int | None = None,
    home: Path | None = None,
    username: str | None = None,
    password: str | None = None,
    timeout: float = START_TIMEOUT,
) -> ServerStatus:
    """Start the managed server (installing and initialising it first when needed).

    Harmless when it already runs on ``port``: the running server's status is returned with
    ``already_running=True``. The admin is ``username``/``password`` (default: the
    GOLDWIRE_DOCCANO_USERNAME / _PASSWORD variables), else the saved or a generated account.
    """
    paths = server_paths(home)
    port = check_port(port) if port is not None else default_port()
    paths.root.mkdir(parents=True, exist_ok=True)
    with locked(paths.lock):
        state = _read_state(paths)
        if state is not None:
            owners = {n: _ownership(r) for n, r in state["processes"].items()}
            if all(owner == "ours" for owner in owners.values()):
                if state["port"] != port:
                    raise UsageError(
                        f"the managed doccano already runs at {state['url']}; stop it with "
                        "`goldwire annotate server stop` before starting it on port "
                        f"{port}"
                    )
                return _status(paths, state, already_running=True)
            _terminate(state["processes"], STOP_TIMEOUT)  # a half-dead earlier start
            paths.state.unlink(missing_ok=True)
        _check_port_free(port)
        install(paths.venv)
        backend = backend_dir(paths.venv)
        _prepare_home(paths)
        _initialise(paths, backend, *_admin_credentials(paths, username, password))
        state = {"url": local_url(port), "port": port, "venv": str(paths.venv), "processes": {}}
        try:
            for name, argv in _commands(paths, backend, port).items():
                state["processes"][name] = _launch(name, argv, paths, backend)
                files.write_json(paths.state, state, private=True)
            _wait_healthy(state, timeout)
        except BaseException:
            _terminate(state["processes"], STOP_TIMEOUT)
            paths.state.unlink(missing_ok=True)
            raise
        return _status(paths, state)


def stop(*, home: Path | None = None, timeout: float = STOP_TIMEOUT) -> StopReport:
    """Stop the processes that ``start`` recorded, and only those; harmless when none run."""
    paths = server_paths(home)
    if not paths.root.exists():
        return StopReport(url=None)
    with locked(paths.lock):
        state = _read_state(paths)
        if state is None:
            return StopReport(url=None)
        stopped, not_ours = _terminate(state["processes"], timeout)
        paths.state.unlink(missing_ok=True)
        return StopReport(url=state.get("url"), stopped=stopped, not_ours=not_ours)


def _status(paths: ServerPaths, state: dict, *, already_running: bool = False) -> ServerStatus:
    processes = state["processes"]
    alive = {name: _ownership(record) == "ours" for name, record in processes.items()}
    running = bool(processes) and all(alive.values())
    health = _health(state["url"]) if running else None
    if health is None:
        dead = ", ".join(name for name, ok in alive.items() if not ok) or "all"
        text = f"not running ({dead} stopped; run `goldwire annotate server start`)"
    else:
        text = str(health)
    stored = load_credentials(paths)
    return ServerStatus(
        url=state["url"],
        running=running,
        healthy=bool(health and health.ok),
        health=text,
        pids={name: int(r["pid"]) for name, r in processes.items() if alive[name]},
        home=str(paths.root),
        logs={name: r["log"] for name, r in processes.items()},
        credentials=str(paths.credentials) if stored else None,
        username=stored[0] if stored else None,
        already_running=already_running,
    )


def status(*, home: Path | None = None, url: str | None = None) -> ServerStatus:
    """The managed server's URL, pids and health; with ``url``, the health of that server."""
    if url:
        health = _health(url)
        return ServerStatus(
            url=display_url(url),
            running=health.reachable,
            healthy=health.ok,
            health=str(health),
            managed=False,
        )
    paths = server_paths(home)
    state = _read_state(paths)
    if state is None:
        stored = load_credentials(paths) if paths.root.exists() else None
        return ServerStatus(
            url=local_url(default_port()),
            running=False,
            healthy=False,
            health="not running (start it with `goldwire annotate server start`)",
            home=str(paths.root),
            credentials=str(paths.credentials) if stored else None,
            username=stored[0] if stored else None,
        )
    return _status(paths, state)


__all__ = [
    "DOCCANO_VERSION",
    "MAX_UI_PASSWORD",
    "ServerStatus",
    "StopReport",
    "VenvInfo",
    "install",
    "start",
    "status",
    "stop",
    "venv_ready",
]


if __name__ == "__main__":  # python -m goldwire.annotate.server install|start|stop|status
    from goldwire.cli import app

    app(["annotate", "server", *sys.argv[1:]], prog_name="python -m goldwire.annotate.server")
