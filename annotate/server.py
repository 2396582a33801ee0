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

Hardening, on top of doccano's own settings (which run ``if DEBUG:`` before production turns
DEBUG off, and so allow every web origin): no cross-origin access at all, only requests for
the loopback host names (plus ``--public-host`` ones, for a reverse proxy) are answered, no
development-server origins are CSRF-trusted. doccano's processes get an environment without
goldwire's variables and anything named like a secret, and create their files with umask 077
(the home folder 0700, the databases and logs 0600).

CI pre-installs the server venv with ``python -m goldwire.annotate.server install``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from goldwire import files
from goldwire.annotate import doccano_patch
from goldwire.annotate.server_processes import (  # noqa: F401 (_fingerprint, _proc_stat: tests)
    _fingerprint,
    _ownership,
    _proc_stat,
    _read_state,
    _terminate,
)
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
    public_hosts: list[str] = field(default_factory=list)

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
FILE_UPLOAD_PERMISSIONS, FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o600, 0o700  # Django's: 0o644
CELERY_BROKER_URL = "sqla+sqlite:///" + str(_HOME / "broker.sqlite3")
CELERY_BROKER_TRANSPORT_OPTIONS = {{"connect_args": {{"timeout": {timeout}}}}}
# No cross-origin access: doccano's base settings test DEBUG before production turns it off,
# so they let every web origin read the API (a login token from 127.0.0.1 included).
DEBUG = False
CORS_ORIGIN_ALLOW_ALL = CORS_ALLOW_ALL_ORIGINS = False
CORS_ALLOWED_ORIGINS = CORS_ORIGIN_WHITELIST = []
CORS_ALLOWED_ORIGIN_REGEXES = CORS_ORIGIN_REGEX_WHITELIST = []
# Loopback names plus `--public-host` ones; no dev-server (localhost:3000) origins.
ALLOWED_HOSTS = {hosts!r}
CSRF_TRUSTED_ORIGINS = {origins!r}
'''

#: The Host names the managed server answers besides ``--public-host`` ones.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_HOST_NAME = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?(?::[0-9]{1,5})?"
)


def public_host_settings(public_hosts: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """``(ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS)``: the loopback names, plus each public
    ``NAME[:PORT]`` (a reverse proxy's) with its https and http origins."""
    hosts, origins = list(LOOPBACK_HOSTS), []
    for name in public_hosts:
        if not _HOST_NAME.fullmatch(name):
            raise UsageError(
                f"--public-host {name!r} is not a host name; pass the name (and port) the "
                "browser uses, like doccano.example.org or doccano.example.org:8443"
            )
        host = name.rsplit(":", 1)[0].lower()
        if host not in hosts:
            hosts.append(host)
        origins += [f"https://{name.lower()}", f"http://{name.lower()}"]
    return hosts, list(dict.fromkeys(origins))


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


#: Names of variables that may hold someone's secret: kept from doccano's processes.
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL", re.IGNORECASE)


def _server_env(paths: ServerPaths, backend: Path) -> dict[str, str]:
    """The environment of doccano's processes: ours without goldwire's variables and
    secrets (see :func:`clean_env`), pointing at this home's settings."""
    kept = {k: v for k, v in clean_env().items() if not SECRET_NAME.search(k)}
    return {
        **kept,
        "PYTHONPATH": f"{backend}{os.pathsep}{paths.root}",
        "DJANGO_SETTINGS_MODULE": paths.settings_module.stem,
        "PYTHONUNBUFFERED": "1",
    }


def _prepare_home(paths: ServerPaths, public_hosts: Sequence[str] = ()) -> None:
    for folder in (paths.root, paths.media, paths.logs):
        folder.mkdir(parents=True, exist_ok=True)
    if not paths.secret_key.exists():
        import secrets

        files.write_text(paths.secret_key, secrets.token_urlsafe(50), private=True)
    hosts, origins = public_host_settings(public_hosts)
    text = SETTINGS_TEMPLATE.format(timeout=SQLITE_TIMEOUT, hosts=hosts, origins=origins)
    doccano_patch.install_app(paths.root)  # goldwire's app: a faster export
    files.write_text(paths.settings_module, text + doccano_patch.settings_text())
    _make_private(paths)


#: Files and folders an earlier goldwire (or doccano itself) made readable by others.
PRIVATE_FILES = ("db.sqlite3", "broker.sqlite3")


def _make_private(paths: ServerPaths) -> None:
    """Mode 0700 for the home, logs and media folders, 0600 for the databases (with their
    -wal/-shm files) and logs; the processes we start create files with umask 077."""
    for folder in (paths.root, paths.media, paths.logs):
        if folder.is_dir():
            os.chmod(folder, 0o700)
    names = [f"{n}{end}" for n in PRIVATE_FILES for end in ("", "-wal", "-shm", "-journal")]
    for path in [*(paths.root / n for n in names), *paths.logs.glob("*.log")]:
        if path.is_file():
            os.chmod(path, 0o600)


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
    with open(os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as out:
        result = subprocess.run(
            [str(venv_python(paths.venv)), "-c", INIT_SCRIPT],
            input=json.dumps(request).encode(),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=backend,
            env=_server_env(paths, backend),
            umask=0o077,
            check=False,
        )
    _make_private(paths)
    if result.returncode != 0:
        raise ServerError(
            f"setting up doccano's database in {paths.root} failed (exit code "
            f"{result.returncode}); see {log}"
        )
    files.write_json(paths.initialised, marker, indent=None)
    save_credentials(paths, username, password)


# -- processes (their records and stopping: server_processes) ---------------------------------


LAUNCHER = r"""
import json, os, subprocess, sys
os.umask(0o077)
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


# -- port and health ------------------------------------------------------------------------


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
    public_hosts: Sequence[str] = (),
) -> ServerStatus:
    """Start the managed server (installing and initialising it first when needed).

    Harmless when it already runs on ``port`` (with the same ``public_hosts``): the running
    server's status is returned with ``already_running=True``. The admin is
    ``username``/``password`` (default: the GOLDWIRE_DOCCANO_USERNAME / _PASSWORD variables),
    else the saved or a generated account. The server answers only requests for its loopback
    names and ``public_hosts`` (a reverse proxy's ``NAME[:PORT]``), and no other web origin.
    """
    paths = server_paths(home)
    port = check_port(port) if port is not None else default_port()
    public = list(dict.fromkeys(h.lower() for h in public_hosts))
    public_host_settings(public)  # a bad name fails before anything starts
    paths.root.mkdir(parents=True, exist_ok=True)
    with locked(paths.lock):
        state = _read_state(paths)
        if state is not None:
            owners = {n: _ownership(r) for n, r in state["processes"].items()}
            if all(owner == "ours" for owner in owners.values()):
                _check_same_server(state, port, public)
                return _status(paths, state, already_running=True)
            _terminate(state["processes"], STOP_TIMEOUT)  # a half-dead earlier start
            paths.state.unlink(missing_ok=True)
        _check_port_free(port)
        install(paths.venv)
        backend = backend_dir(paths.venv)
        _prepare_home(paths, public)
        _initialise(paths, backend, *_admin_credentials(paths, username, password))
        state = {"url": local_url(port), "port": port, "venv": str(paths.venv),
                 "public_hosts": public, "processes": {}}  # fmt: skip
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


def _check_same_server(state: dict, port: int, public_hosts: list[str]) -> None:
    """Refuse to report a running server as started when it runs with other options."""
    if state["port"] != port:
        raise UsageError(
            f"the managed doccano already runs at {state['url']}; stop it with "
            f"`goldwire annotate server stop` before starting it on port {port}"
        )
    running = state.get("public_hosts") or []
    if running != public_hosts:
        shown = ", ".join(running) or "none"
        raise UsageError(
            f"the managed doccano already runs at {state['url']} with public hosts {shown}; "
            "stop it with `goldwire annotate server stop` before starting it with other "
            "--public-host names"
        )


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
        public_hosts=list(state.get("public_hosts") or []),
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
