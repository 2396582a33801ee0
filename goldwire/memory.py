"""Memory measurement: the one sampler, shared by the model runner and the benchmarks.

* :func:`current_rss_mb` / :func:`max_rss_mb`: this process's resident memory now and its
  peak so far (``/proc``; elsewhere ``getrusage``);
* :func:`proc_fields`, :func:`process_tree`, :func:`reset_peak`: the ``/proc`` readings the
  benchmarks build on (values in KiB, as the kernel gives them);
* :class:`Sampler`: a thread that calls a probe every ``interval`` seconds while a piece of
  work runs and keeps the peak of each value the probe returns. A subclass may override
  :meth:`Sampler.sample` to keep more than peaks (per-process records);
* :class:`PeakMemory`: a :class:`Sampler` of this process's RSS, ``before`` and ``peak`` in MB.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
from collections.abc import Callable, Mapping

Probe = Callable[[], Mapping[str, float]]


def proc_fields(path: str, names: tuple[str, ...]) -> dict[str, int]:
    """``name: value kB`` lines of a ``/proc`` file (a missing file or field is absent)."""
    out: dict[str, int] = {}
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2 and parts[0] in names:
                    out[parts[0]] = int(parts[1])
    except (OSError, ValueError):
        pass
    return out


def status_kib(field: str, pid: int | str = "self") -> int | None:
    """One ``/proc/PID/status`` field in KiB (``VmRSS``, ``VmHWM``, ``RssAnon``...), or None."""
    name = field if field.endswith(":") else field + ":"
    return proc_fields(f"/proc/{pid}/status", (name,)).get(name)


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (Linux ``/proc/PID/task/TID/children``), root first."""
    pids, i = [root], 0
    while i < len(pids):
        try:
            for task in os.listdir(f"/proc/{pids[i]}/task"):
                with open(f"/proc/{pids[i]}/task/{task}/children") as fh:
                    pids.extend(int(p) for p in fh.read().split())
        except OSError:
            pass
        i += 1
    return pids


def max_rss_mb() -> float:
    """The process's peak resident memory so far (MB), from getrusage."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def current_rss_mb() -> float:
    """The process's resident memory now (MB), from /proc; else its peak so far."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return max_rss_mb()


def reset_peak() -> bool:
    """Reset this process's ``VmHWM`` to its current RSS (Linux ``clear_refs`` 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class Sampler:
    """Calls ``probe()`` every ``interval`` seconds in a thread between :meth:`start` and
    :meth:`stop` (or around a ``with`` block) and keeps the peak of every value returned.

    One sample is taken at the start and one at the stop, so a short piece of work is seen
    at least at its ends."""

    def __init__(self, probe: Probe | None = None, interval: float = 0.25) -> None:
        self.probe = probe
        self.interval = interval
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        if self.probe is None:
            return
        for key, value in self.probe().items():
            if value is not None and value > self.peaks.get(key, float("-inf")):
                self.peaks[key] = value

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> Sampler:
        self.sample()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True, name="goldwire-sampler")
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.sample()
        return dict(self.peaks)

    def __enter__(self) -> Sampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PeakMemory(Sampler):
    """This process's RSS while the ``with`` block runs: ``before`` and ``peak`` (MB)."""

    def __init__(self, interval: float = 0.005) -> None:
        super().__init__(lambda: {"rss_mb": current_rss_mb()}, interval)
        self.before = 0.0

    def start(self) -> PeakMemory:
        self.before = current_rss_mb()
        self.peaks = {"rss_mb": self.before}
        super().start()
        return self

    def __enter__(self) -> PeakMemory:
        return self.start()

    @property
    def peak(self) -> float:
        return self.peaks.get("rss_mb", self.before)


__all__ = [
    "PeakMemory",
    "Sampler",
    "current_rss_mb",
    "max_rss_mb",
    "proc_fields",
    "process_tree",
    "reset_peak",
    "status_kib",
]
