"""An exclusive lock on a file, waited for a bounded time.

Pulls into one ``--out`` folder and pushes to one project name take one, so that two
goldwire commands never write the same folder or create the same project at once. The lock
is ``fcntl.flock`` on a small file: the system releases it when its holder exits, however it
exits, so a crashed command never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from goldwire.errors import UsageError

POLL_SECONDS = 0.05


@contextlib.contextmanager
def held(path: Path, timeout: float, busy: str) -> Iterator[float]:
    """Hold an exclusive lock on ``path`` (created when missing) while the block runs; yields
    how many seconds it waited. Raises :class:`UsageError` ``busy`` (one line saying what
    holds it and what to do) when the lock is not free within ``timeout`` seconds."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with open(path, "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - began >= timeout:
                    raise UsageError(busy) from None
                time.sleep(POLL_SECONDS)
        try:
            yield time.monotonic() - began
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["held"]
