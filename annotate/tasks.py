"""Waiting for Doccano's tasks (imports and exports run on its celery worker), boundedly.

``GET /v1/tasks/status/{id}`` says only whether a task is ready and, once it is, its result
or error: a task whose worker is gone (killed, out of memory) stays "not ready" for ever. So
:func:`wait_task`

* on the managed server, checks every :data:`WORKER_CHECK` seconds that the task worker
  goldwire started is alive (:func:`~goldwire.annotate.server_processes.dead_worker`) and
  fails within seconds when it is not, naming `goldwire annotate server start`;
* on any server, gives up after a bound scaled to the task: :data:`TASK_WAIT_BASE` seconds
  plus :data:`TASK_WAIT_PER_EXAMPLE` per example (120 s + 0.1 s each: 220 s for a push batch
  of 1,000 documents, 1,120 s for exporting 10,000 examples), many times what the managed
  server takes. ``GOLDWIRE_DOCCANO_TASK_WAIT`` and ``GOLDWIRE_DOCCANO_TASK_WAIT_PER_EXAMPLE``
  set the two numbers (e.g. for a slow or busy remote server). A task of unknown size keeps
  the earlier bound of :data:`TASK_WAIT_UNSIZED` seconds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.server_processes import dead_worker
from goldwire.errors import ServerError, UsageError

ENV_TASK_WAIT = "GOLDWIRE_DOCCANO_TASK_WAIT"
ENV_TASK_WAIT_PER_EXAMPLE = "GOLDWIRE_DOCCANO_TASK_WAIT_PER_EXAMPLE"
TASK_WAIT_BASE = 120.0
TASK_WAIT_PER_EXAMPLE = 0.1
TASK_WAIT_UNSIZED = 900.0
WORKER_CHECK = 2.0
#: Polling backs off: the next status request comes after 1/POLL_BACKOFF of the time waited so
#: far (a late answer idles us at most that share), between ``poll`` and MAX_POLL seconds.
POLL_BACKOFF = 6.0
MAX_POLL = 2.0


class TaskWorkerGone(ServerError):
    """The managed server's task worker exited: no task will finish until it is restarted."""


class TaskTimeout(ServerError):
    """A task gave no result within its bound."""


@dataclass(frozen=True)
class TaskStatus:
    ready: bool
    result: Any = None
    error: str | None = None


def task_status(session: DoccanoSession, task_id: str) -> TaskStatus:
    data = session.json("GET", f"/v1/tasks/status/{task_id}")
    error = data.get("error")
    if isinstance(error, dict):
        error = str(error.get("text") or error)
    return TaskStatus(bool(data.get("ready")), data.get("result"), error or None)


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise UsageError(f"{name}={raw!r} is not a number of seconds; set it to e.g. {default:g}")
    return value


def task_wait_bound(examples: int | None) -> float:
    """Seconds to wait for a task over ``examples`` examples (None: size unknown)."""
    if examples is None:
        return TASK_WAIT_UNSIZED
    base = _seconds(ENV_TASK_WAIT, TASK_WAIT_BASE)
    return base + _seconds(ENV_TASK_WAIT_PER_EXAMPLE, TASK_WAIT_PER_EXAMPLE) * examples


def _timed_out(session: DoccanoSession, task_id: str, seconds: float, examples: int | None):
    size = f" ({examples} examples)" if examples is not None else ""
    return TaskTimeout(
        f"no result from doccano at {session.url} after {seconds:g} s for task {task_id}{size}; "
        "check the server's task worker (for the managed server: `goldwire annotate server "
        f"status`), then run the command again; a slow server may need a larger {ENV_TASK_WAIT}"
    )


def wait_task(
    session: DoccanoSession,
    task_id: str,
    *,
    examples: int | None = None,
    timeout: float | None = None,
    poll: float = 0.1,
) -> TaskStatus:
    """Poll a task until it is done (a retried task is not done until its last attempt).

    Polls back off (:data:`POLL_BACKOFF`): 15 requests for a 2 s task, 43 for 45 s (the
    earlier steps of at most 0.25 s made 11 and 183).
    Gives up after ``timeout`` seconds (default: :func:`task_wait_bound` of ``examples``);
    on the managed server, as soon as its task worker is found dead.
    """
    bound = task_wait_bound(examples) if timeout is None else timeout
    began = time.monotonic()
    checked = began - WORKER_CHECK  # check the worker on the first round
    while True:
        status = task_status(session, task_id)
        if status.ready:
            return status
        now = time.monotonic()
        if now - checked >= WORKER_CHECK:
            checked = now
            gone = dead_worker(session.url)
            if gone:
                raise TaskWorkerGone(gone)
        if now - began > bound:
            raise _timed_out(session, task_id, bound, examples)
        time.sleep(min(poll_delay(now - began, poll), max(bound - (now - began), 0.0) + poll))


def poll_delay(waited: float, poll: float = 0.1) -> float:
    """Seconds until the next status request after ``waited`` seconds."""
    return min(max(waited / POLL_BACKOFF, poll), MAX_POLL)
