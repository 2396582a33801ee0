"""The managed Doccano server's processes: who they are, whether they live, how to stop them.

``server.json`` (the pid file :mod:`goldwire.annotate.server` writes) records, per process
(``webserver``: gunicorn, ``worker``: celery), its pid, its process group and its start time,
so a pid reused by another program is never taken for ours (:func:`_ownership`). Besides
start and stop, :func:`dead_worker` tells a push or pull waiting for a Doccano task that the
task worker of the managed server is gone, so it fails at once instead of waiting for a task
nobody will run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from goldwire.annotate.settings import ServerPaths, display_url, server_paths


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


def _read_state(paths: ServerPaths) -> dict | None:
    try:
        state = json.loads(paths.state.read_text(encoding="utf-8"))
        return state if isinstance(state.get("processes"), dict) else None
    except (OSError, ValueError, AttributeError):
        return None


def dead_worker(url: str, home: Path | None = None) -> str | None:
    """When ``url`` is the managed server's and its recorded task worker no longer runs, one
    line saying so and how to restart; None otherwise (alive, or not the managed server)."""
    state = _read_state(server_paths(home))
    if state is None or display_url(str(state.get("url", ""))) != display_url(url):
        return None
    record = state["processes"].get("worker")
    if record is None or _ownership(record) == "ours":
        return None
    return (
        f"doccano's task worker is not running (pid {record['pid']} exited); restart the "
        "server with `goldwire annotate server start`"
    )
