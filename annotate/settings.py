"""Where the managed Doccano server keeps its files, and which server goldwire talks to.

Everything a user sets per machine comes from an environment variable (the CLI also accepts
options with the same ``envvar=``):

- ``GOLDWIRE_HOME``: goldwire's data folder (default: ``platformdirs.user_data_dir("goldwire")``);
  the managed server lives in its ``doccano/`` subfolder.
- ``GOLDWIRE_DOCCANO_URL``, ``GOLDWIRE_DOCCANO_USERNAME``, ``GOLDWIRE_DOCCANO_PASSWORD``: use any
  Doccano server instead of the managed one. No command takes a password as an argument
  (every local user can read a command line): passwords come from these variables, or from
  standard input with ``--password-stdin``.
- ``GOLDWIRE_DOCCANO_AS_USER_PASSWORD``, ``GOLDWIRE_DOCCANO_REVIEWER_PASSWORD``: the passwords
  of the annotator a push creates suggestions as (``--as-user``) and of a review's reviewer
  (without them, the API token ``goldwire annotate users add`` saved for that user).
  No ``GOLDWIRE_*`` variable reaches the managed server's processes.
- ``GOLDWIRE_DOCCANO_PORT``: port of the managed server (default 8000);
  ``GOLDWIRE_DOCCANO_PUBLIC_HOST``: the names a reverse proxy serves it under (``--public-host``).
- ``GOLDWIRE_DOCCANO_TASK_WAIT``, ``GOLDWIRE_DOCCANO_TASK_WAIT_PER_EXAMPLE``: how long to wait
  for one of Doccano's import or export tasks (see :mod:`goldwire.annotate.tasks`).
- ``GOLDWIRE_DOCCANO_VENV``: an existing (or wanted) virtual environment for the server, e.g. a
  cache shared by several homes; ``GOLDWIRE_DOCCANO_PYTHON``: the interpreter to build it with.

Only the standard library, platformdirs and :mod:`goldwire.files` (its private, atomic
writes keep the credentials) are imported here, so the CLI starts fast.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from goldwire import files
from goldwire.errors import UsageError

ENV_HOME = "GOLDWIRE_HOME"
ENV_URL = "GOLDWIRE_DOCCANO_URL"
ENV_USERNAME = "GOLDWIRE_DOCCANO_USERNAME"
ENV_PASSWORD = "GOLDWIRE_DOCCANO_PASSWORD"
ENV_PORT = "GOLDWIRE_DOCCANO_PORT"
ENV_VENV = "GOLDWIRE_DOCCANO_VENV"
ENV_PYTHON = "GOLDWIRE_DOCCANO_PYTHON"
ENV_AS_USER_PASSWORD = "GOLDWIRE_DOCCANO_AS_USER_PASSWORD"
ENV_REVIEWER_PASSWORD = "GOLDWIRE_DOCCANO_REVIEWER_PASSWORD"

DEFAULT_PORT = 8000
DEFAULT_USERNAME = "admin"
HOST = "127.0.0.1"


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def goldwire_home() -> Path:
    """goldwire's data folder: ``$GOLDWIRE_HOME`` or the platform's user data folder."""
    value = _env(ENV_HOME)
    if value:
        return Path(value).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("goldwire")).resolve()


def default_port() -> int:
    """The managed server's port: ``$GOLDWIRE_DOCCANO_PORT`` or 8000."""
    value = _env(ENV_PORT)
    if value is None:
        return DEFAULT_PORT
    return check_port(value)


def check_port(value: int | str) -> int:
    """Return ``value`` as a TCP port number or raise a UsageError naming the fix."""
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = -1
    if not 1 <= port <= 65535:
        raise UsageError(
            f"port {value!r} is not a TCP port; pass --port (or GOLDWIRE_DOCCANO_PORT) "
            "with a number from 1 to 65535"
        )
    return port


def local_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def display_url(url: str) -> str:
    """``url`` without any ``user:password@`` part and trailing slash, for messages."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/")


@dataclass(frozen=True)
class ServerPaths:
    """The files of one managed Doccano server, all under ``<GOLDWIRE_HOME>/doccano``."""

    root: Path
    venv: Path

    @property
    def database(self) -> Path:
        return self.root / "db.sqlite3"

    @property
    def broker(self) -> Path:
        """The task queue's own SQLite file, so queue polling never locks the main database."""
        return self.root / "broker.sqlite3"

    @property
    def media(self) -> Path:
        return self.root / "media"

    @property
    def secret_key(self) -> Path:
        return self.root / "secret_key"

    @property
    def credentials(self) -> Path:
        return self.root / "credentials.json"

    @property
    def state(self) -> Path:
        """The pid file: which processes this home started, on which port."""
        return self.root / "server.json"

    @property
    def initialised(self) -> Path:
        return self.root / "initialised.json"

    @property
    def settings_module(self) -> Path:
        return self.root / "goldwire_doccano_settings.py"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"


def venv_dir(home: Path | None = None) -> Path:
    """The server's virtual environment: ``$GOLDWIRE_DOCCANO_VENV`` or ``<home>/doccano/venv``."""
    value = _env(ENV_VENV)
    if value:
        return Path(value).expanduser().resolve()
    return (home or goldwire_home()) / "doccano" / "venv"


def server_paths(home: Path | None = None, venv: Path | None = None) -> ServerPaths:
    home = Path(home).expanduser().resolve() if home is not None else goldwire_home()
    return ServerPaths(root=home / "doccano", venv=Path(venv) if venv else venv_dir(home))


def generate_password() -> str:
    # 24 characters: Doccano's login form refuses passwords longer than 30
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Connection:
    """Where a Doccano server is and who logs in; the password never shows in its repr."""

    url: str
    username: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.username} at {display_url(self.url)}"


def load_credentials(paths: ServerPaths) -> tuple[str, str] | None:
    """The managed server's admin ``(username, password)``, or None before its first start."""
    try:
        data = json.loads(paths.credentials.read_text(encoding="utf-8"))
        return str(data["username"]), str(data["password"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"{paths.credentials} is not a goldwire credentials file; delete it and run "
            "`goldwire annotate server start` to make a new admin password"
        ) from exc


def save_credentials(paths: ServerPaths, username: str, password: str) -> None:
    data = {"username": username, "password": password}
    files.write_json(paths.credentials, data, indent=None, private=True)


def managed_url(paths: ServerPaths) -> str:
    """The managed server's URL: the running one's, else the one it would start on."""
    try:
        state = json.loads(paths.state.read_text(encoding="utf-8"))
        return str(state["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return local_url(default_port())


def is_managed(url: str, home: Path | None = None) -> bool:
    """Whether ``url`` is the managed server's."""
    return display_url(url) == display_url(managed_url(server_paths(home)))


def server_url(url: str | None = None, *, home: Path | None = None) -> str:
    """The server a command talks to: ``url``, else ``GOLDWIRE_DOCCANO_URL``, else the managed
    one; checked to be an http(s) URL."""
    url = (url or _env(ENV_URL) or "").strip() or managed_url(server_paths(home))
    url = url.rstrip("/")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise UsageError(
            f"{display_url(url)!r} is not an http(s) URL; pass --url (or set GOLDWIRE_DOCCANO_URL) "
            "like http://127.0.0.1:8000"
        )
    return url


def resolve_connection(
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    *,
    home: Path | None = None,
) -> Connection:
    """Which Doccano server to use and how to log in.

    Explicit arguments win, then ``GOLDWIRE_DOCCANO_URL`` / ``_USERNAME`` / ``_PASSWORD``.
    Without a URL the managed server is meant, and missing credentials come from its
    credentials file (written by ``goldwire annotate server start``). A remote server needs
    both a username and a password.
    """
    url = server_url(url, home=home)
    username = username or _env(ENV_USERNAME)
    password = password or _env(ENV_PASSWORD)
    paths = server_paths(home)
    own_url = managed_url(paths)
    is_managed = display_url(url) == display_url(own_url)
    if (username is None or password is None) and is_managed:
        stored = load_credentials(paths)
        if stored is not None and (username is None or username == stored[0]):
            username, password = stored[0], password or stored[1]
        elif stored is None and password is None:
            raise UsageError(
                f"no credentials for the managed doccano at {display_url(url)} yet; run "
                "`goldwire annotate server start` first (it creates the admin account), or set "
                "GOLDWIRE_DOCCANO_USERNAME and GOLDWIRE_DOCCANO_PASSWORD"
            )
    missing = [
        (what, env)
        for what, env, value in (
            ("username", ENV_USERNAME, username),
            ("password", ENV_PASSWORD, password),
        )
        if value is None
    ]
    if missing:
        raise UsageError(
            f"no {' or '.join(what for what, _ in missing)} for doccano at {display_url(url)}; "
            f"set {' and '.join(env for _, env in missing)}"
        )
    return Connection(url=url, username=username, password=password)
