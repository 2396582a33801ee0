"""Output folders: which folder a command may replace, staging beside it, the move into place.

Every command that writes a folder (``--out``) follows one rule, so nothing goldwire did not
write is ever lost:

* :func:`check_output`, called before any work starts: ``--out`` may be nothing yet, an empty
  folder, or a folder of the command's own :class:`OutputKind` (a goldwire corpus for the
  corpus commands, recognised by a marker file such as ``goldwire.json`` and, optionally, a
  test of the folder). Anything else (a folder of other files, a file) raises
  :class:`~goldwire.errors.OutputError`. ``--out`` and the inputs may not overlap either way
  (``--out`` is an input, lies inside an input folder, or holds an input), after resolving
  symlinks.
* :func:`staging`: a hidden folder beside ``--out`` (``.NAME.WHAT-XXXX``, same file system)
  that receives the new version and is removed however the command ends, including SIGTERM
  and SIGHUP (the CLI turns them into :class:`~goldwire.errors.Terminated`, see
  :mod:`goldwire.cli`). A disk that fills up (ENOSPC, EDQUOT) becomes one
  :class:`~goldwire.errors.DiskFullError` line naming the output (:func:`no_space_named`).
  Each staging folder holds a marker (:data:`STAGING_MARKER`: pid, host, start time, output);
  :func:`remove_stale_staging` removes a folder only when its marker proves it belongs to
  this output and to a process of this host that is gone (a ``kill -9``, a power cut).
* :func:`replace_folder`: the new version replaces the old by two renames, with SIGINT,
  SIGTERM and SIGHUP held until both are done; the folder it replaces is checked again.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from goldwire.errors import DiskFullError, OutputError

STAGING_MARKER = ".goldwire-staging.json"
NO_SPACE = frozenset(e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if e is not None)
HELD_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@dataclass(frozen=True)
class OutputKind:
    """What a command writes: ``name`` for messages ("goldwire corpus"), ``marker`` a file
    every folder of this kind holds, ``check`` (optional) a further test of such a folder
    (e.g. that the marker parses)."""

    name: str
    marker: str
    check: Callable[[Path], bool] | None = None

    def owns(self, folder: Path) -> bool:
        """Whether ``folder`` is a folder of this kind (so it may be replaced)."""
        if not (folder / self.marker).is_file():
            return False
        return self.check is None or self.check(folder)


Input = tuple[str, Path]  # what the input is ("input", "gold file") and its path


def check_output(out: Path, kind: OutputKind, inputs: Iterable[Input] = ()) -> None:
    """Raise OutputError unless ``out`` may be written: it overlaps none of ``inputs`` and is
    nothing yet, an empty folder or a folder ``kind`` owns."""
    check_no_overlap(out, inputs)
    check_replaceable(out, kind)


def check_no_overlap(out: Path, inputs: Iterable[Input]) -> None:
    """Raise OutputError naming ``out`` and the input when they are the same path, ``out``
    lies inside an input folder or an input lies inside ``out`` (symlinks resolved)."""
    target = Path(out).resolve()
    for what, path in inputs:
        source = Path(path).resolve()
        if source == target:
            raise OutputError(f"--out {out} is the {what} {path}; writing it would replace "
                              "the input: pick another --out")  # fmt: skip
        if target.is_relative_to(source):
            raise OutputError(f"--out {out} is inside the {what} {path}; pick an --out "
                              "outside the inputs")  # fmt: skip
        if source.is_relative_to(target):
            raise OutputError(f"the {what} {path} is inside --out {out}; writing --out "
                              "would replace it: pick another --out")  # fmt: skip


def check_output_files(outputs: Iterable[tuple[str, Path | None]], inputs: Iterable[Input]) -> None:
    """Raise OutputError when a file a command will write (``--json PATH``, a predictions
    ``--out``) is one of its ``inputs`` or another of its outputs, lies inside an input
    folder (symlinks resolved), or is an existing folder; ``None`` and ``-`` (standard
    output) are skipped. Called before any work starts."""
    seen = [(what, Path(path), Path(path).resolve()) for what, path in inputs]
    for option, path in outputs:
        if path is None or str(path) == "-":
            continue
        if Path(path).is_dir():
            raise OutputError(f"{option} {path} is a folder; give a file path")
        target = Path(path).resolve()
        for what, source, resolved in seen:
            if resolved == target:
                raise OutputError(f"{option} {path} is the {what} {source}; writing it would "
                                  "replace it: pick another path")  # fmt: skip
            if target.is_relative_to(resolved) and resolved.is_dir():
                raise OutputError(f"{option} {path} is inside the {what} {source}; pick a "
                                  "path outside it")  # fmt: skip
        seen.append((f"output of {option}", Path(path), target))


def check_replaceable(out: Path, kind: OutputKind) -> None:
    """Raise OutputError unless ``out`` is nothing yet, an empty folder or ``kind``'s own."""
    out = Path(out)
    if not out.exists():
        if out.is_symlink():
            raise OutputError(f"{out}: a broken symbolic link; pick another folder or "
                              "remove the link")  # fmt: skip
        return
    if not out.is_dir():
        raise OutputError(f"{out}: a file, not a folder; pick another folder or remove "
                          "the file")  # fmt: skip
    if kind.owns(out) or not any(out.iterdir()):
        return
    raise OutputError(f"{out}: the folder is not empty and not a {kind.name} (no usable "
                      f"{kind.marker}); goldwire replaces only a folder it wrote: pick another "
                      "folder or empty it")  # fmt: skip


# --------------------------------------------------------------------------- full disks


@contextlib.contextmanager
def no_space_named(where: Path, fix: str = "choose another --out") -> Iterator[None]:
    """Turn an OSError of a full device (ENOSPC, EDQUOT) into one DiskFullError line
    naming ``where``; any other error passes unchanged."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in NO_SPACE:
            raise
        raise DiskFullError(f"no space left on device while writing {where}; free space "
                            f"or {fix}") from exc  # fmt: skip


# --------------------------------------------------------------------------- staging


def _host() -> str:
    return socket.gethostname()


def staging_dir(out: Path, what: str) -> Path:
    """A new hidden folder next to ``out`` (``.NAME.WHAT-XXXX``; same file system, so the
    final move is a rename) holding its :data:`STAGING_MARKER`; stale staging folders of
    ``out`` are removed first (:func:`remove_stale_staging`)."""
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.{what}-", dir=parent))
    marker = {"pid": os.getpid(), "host": _host(), "started": time.time(),
              "out": str(out.resolve())}  # fmt: skip
    try:
        (work / STAGING_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return work


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, another user's
        return True
    return True


def _stale(folder: Path, out: Path) -> bool:
    """Whether ``folder``'s marker proves it is a staging folder of ``out`` whose process,
    on this host, is gone; anything unreadable or unexpected proves nothing."""
    try:
        marker = json.loads((folder / STAGING_MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if not isinstance(marker, dict) or not isinstance(marker.get("pid"), int):
        return False
    if marker.get("host") != _host() or marker.get("out") != str(out.resolve()):
        return False
    return marker["pid"] != os.getpid() and not _alive(marker["pid"])


def remove_stale_staging(out: Path) -> list[Path]:
    """Remove the staging folders of ``out`` left by a goldwire process of this host that no
    longer runs (see :func:`_stale`); returns them. Nothing else is touched."""
    parent = out.resolve().parent
    if not parent.is_dir():
        return []
    removed = []
    for folder in sorted(parent.glob(f".{out.name}.*-*")):
        if folder.is_dir() and not folder.is_symlink() and _stale(folder, out):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextlib.contextmanager
def staging(out: Path, what: str) -> Iterator[Path]:
    """A staging folder for ``out`` (:func:`staging_dir`), removed when the block ends
    however it ends; a full disk inside the block is a DiskFullError naming ``out``."""
    with no_space_named(out):
        work = staging_dir(out, what)
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- the move


def block_stop_signals() -> set | None:
    """Block :data:`HELD_SIGNALS` in this thread (they wait, pending; threads and processes
    started meanwhile inherit the mask); returns the previous mask for
    :func:`restore_signals` (None where signal masks do not exist)."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)


def restore_signals(previous: set | None) -> None:
    """Put back the mask :func:`block_stop_signals` returned; a signal that came meanwhile
    is delivered now."""
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP wait until the block ends (main thread only; elsewhere
    nothing is held); the first that came is then raised again with its own handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, _frame: caught.append(signum))
                for s in HELD_SIGNALS}  # fmt: skip
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        if caught:
            signal.raise_signal(caught[0])


def replace_folder(new: Path, out: Path, kind: OutputKind) -> None:
    """Move the folder ``new`` to ``out``; an old ``out`` (nothing, empty, or ``kind``'s own:
    checked again here) is moved aside first and removed only afterwards; a failed move puts
    it back. Signals wait until it is done."""
    with held_signals():
        check_replaceable(out, kind)
        backup = None
        if out.exists():
            backup = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(backup)
        try:
            new.rename(out)
        except BaseException:
            if backup is not None:
                backup.rename(out)
            raise
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)


__all__ = [
    "HELD_SIGNALS",
    "NO_SPACE",
    "STAGING_MARKER",
    "block_stop_signals",
    "OutputKind",
    "check_no_overlap",
    "check_output",
    "check_output_files",
    "check_replaceable",
    "held_signals",
    "no_space_named",
    "remove_stale_staging",
    "replace_folder",
    "restore_signals",
    "staging",
    "staging_dir",
]
