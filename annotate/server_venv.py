"""The managed Doccano server's own virtual environment: find an interpreter, install, check.

doccano 1.8.4 cannot share a virtual environment with goldwire (nor with doccano-client): it
is installed into its own, ``<GOLDWIRE_HOME>/doccano/venv`` or ``$GOLDWIRE_DOCCANO_VENV``,
from the pins in ``doccano-constraints.txt`` with a Python 3.11 or 3.10 interpreter. A marker
file in the venv records the doccano version and the constraints' hash, so a changed
constraints file triggers a re-install (:func:`venv_ready`); ``goldwire-install.log`` in the venv
keeps pip's output. Two processes installing at once wait for each other (:func:`locked`).
:mod:`goldwire.annotate.server` runs the server from here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from goldwire import files
from goldwire.annotate.settings import ENV_PYTHON, _env, server_paths
from goldwire.errors import MissingDependencyError, ServerError, UsageError

DOCCANO_VERSION = "1.8.4"
CONSTRAINTS = Path(__file__).with_name("doccano-constraints.txt")
#: pandas 1.5.3 (doccano 1.8.4 needs pandas<2) has wheels up to CPython 3.11 only.
SERVER_PYTHONS = ((3, 11), (3, 10))
VENV_MARKER = "goldwire-doccano.json"
#: goldwire's own variables (passwords among them) never reach pip or doccano.
GOLDWIRE_PREFIX = "GOLDWIRE_"


@dataclass(frozen=True)
class VenvInfo:
    """The server's virtual environment; ``installed`` is False when it was already there."""

    path: Path
    python: str
    doccano: str
    installed: bool
    seconds: float
    log: Path


def _constraints_hash() -> str:
    return hashlib.sha256(CONSTRAINTS.read_bytes()).hexdigest()


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def venv_ready(venv: Path) -> bool:
    """True when ``venv`` holds doccano installed from the current constraints file."""
    try:
        marker = json.loads((venv / VENV_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        venv_python(venv).exists()
        and marker.get("doccano") == DOCCANO_VERSION
        and marker.get("constraints_sha256") == _constraints_hash()
    )


def _python_version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def _server_python(python: str | None) -> str:
    """An interpreter doccano 1.8.4 runs on: ``python``, $GOLDWIRE_DOCCANO_PYTHON, ours, or PATH."""
    import shutil

    wanted = " or ".join(f"{major}.{minor}" for major, minor in SERVER_PYTHONS)
    explicit = python or _env(ENV_PYTHON)
    if explicit:
        if _python_version(explicit) not in SERVER_PYTHONS:
            raise UsageError(
                f"{explicit} is not a Python {wanted} interpreter; point --python (or "
                f"GOLDWIRE_DOCCANO_PYTHON) at one, since doccano {DOCCANO_VERSION} needs it"
            )
        return explicit
    if sys.version_info[:2] in SERVER_PYTHONS:
        return sys.executable
    for major, minor in SERVER_PYTHONS:
        found = shutil.which(f"python{major}.{minor}")
        if found and _python_version(found) == (major, minor):
            return found
    raise MissingDependencyError(
        f"doccano {DOCCANO_VERSION} needs Python {wanted} for its server venv and none was "
        f"found; install one and set GOLDWIRE_DOCCANO_PYTHON to its path"
    )


def install(
    venv: Path | None = None, *, python: str | None = None, force: bool = False
) -> VenvInfo:
    """Install doccano into its own virtual environment (a no-op when already done).

    ``venv`` defaults to ``$GOLDWIRE_DOCCANO_VENV`` or ``<GOLDWIRE_HOME>/doccano/venv``. The pins
    come from ``doccano-constraints.txt``; a changed constraints file triggers a re-install.
    """
    venv = Path(venv).expanduser().resolve() if venv else server_paths().venv
    log = venv / "goldwire-install.log"
    if not force and venv_ready(venv):
        return VenvInfo(venv, str(venv_python(venv)), DOCCANO_VERSION, False, 0.0, log)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with locked(venv.parent / f".{venv.name}.lock"):
        if not force and venv_ready(venv):  # another process installed it meanwhile
            return VenvInfo(venv, str(venv_python(venv)), DOCCANO_VERSION, False, 0.0, log)
        began = time.monotonic()
        base = _server_python(python)
        (venv / VENV_MARKER).unlink(missing_ok=True)
        for step in _install_steps(base, venv, force=force):
            _run_logged(step, log, what=f"installing doccano {DOCCANO_VERSION} into {venv}")
        marker = {"doccano": DOCCANO_VERSION, "constraints_sha256": _constraints_hash()}
        files.write_json(venv / VENV_MARKER, marker, indent=None)
        seconds = round(time.monotonic() - began, 1)
    return VenvInfo(venv, str(venv_python(venv)), DOCCANO_VERSION, True, seconds, log)


def _install_steps(base: str, venv: Path, *, force: bool) -> list[list[str]]:
    """Make the venv with ``base``, install the pinned doccano, check that it imports."""
    return [
        [base, "-m", "venv", *(["--clear"] if force else []), str(venv)],
        [
            str(venv_python(venv)),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--constraint",
            str(CONSTRAINTS),
            f"doccano=={DOCCANO_VERSION}",
            "setuptools",
        ],
        [str(venv_python(venv)), "-c", "import backend, celery, gunicorn, pkg_resources"],
    ]


def _run_logged(argv: list[str], log: Path, *, what: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        code = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_env(),
            check=False,
        ).returncode
    if code != 0:
        raise ServerError(f"{what} failed (exit code {code}); see {log}, fix the cause and retry")


def backend_dir(venv: Path) -> Path:
    """doccano's ``backend`` folder in ``venv`` (the server's working directory)."""
    found = sorted(venv.glob("lib/python3*/site-packages/backend/config/wsgi.py"))
    if not found:
        raise ServerError(
            f"{venv} has no doccano package; reinstall it with "
            "`goldwire annotate server install --force`"
        )
    return found[-1].parent.parent


def clean_env() -> dict[str, str]:
    """Our environment without goldwire's variables (its passwords among them:
    GOLDWIRE_DOCCANO_PASSWORD, _AS_USER_PASSWORD, _REVIEWER_PASSWORD) and without the
    settings that would redirect doccano (DEBUG, DATABASE_URL, CORS and host lists, ...)."""
    dropped = {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "SECRET_KEY",
        "DJANGO_SETTINGS_MODULE",
        "MEDIA_ROOT",
        "DEBUG",
        "PYTHONPATH",
        "PYTHONHOME",
        "CSRF_TRUSTED_ORIGINS",
        "ALLOWED_HOSTS",
    }
    return {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith(GOLDWIRE_PREFIX)
    }


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created when missing) while the block runs."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
