"""Writing files: the one home of goldwire's JSON, JSONL and text writers.

Every write is atomic: the content goes to a hidden temporary file in the target's folder
(the same file system), which replaces the target only once it is complete. A write that
fails (an exception, a full disk) leaves the old file as it was and no temporary file
behind. Parent folders are created. JSON is UTF-8 (``ensure_ascii=False``) and ends with a
newline; JSONL has one object per line.

``-`` as a path writes JSON to standard output instead (``--json -``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

STDOUT = "-"


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, private: bool = False) -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; it becomes ``path`` when the
    ``with`` block ends without an exception, and is removed otherwise.

    ``mode`` is ``"w"`` (UTF-8 text, ``\\n`` line endings) or ``"wb"``; ``private`` gives the
    file mode 0600 (credentials)."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes only, mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if not private:
            os.chmod(tmp, 0o666 & ~_UMASK)
        if mode == "wb":
            handle: IO = os.fdopen(fd, "wb")
        else:
            handle = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        with handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_umask() -> int:
    mask = os.umask(0o022)  # read once, at import: os.umask can only be read by setting it
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def write_text(path: str | Path, text: str, *, private: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_open(path, private=private) as handle:
        handle.write(text)
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def json_text(
    data: Any, *, indent: int | None = 2, default: Callable[[Any], Any] | None = None
) -> str:
    """``data`` as goldwire writes JSON: UTF-8 text, ``indent`` spaces (``None``: one compact
    line), a final newline."""
    separators = (",", ":") if indent is None else None
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=default,
                      separators=separators)  # fmt: skip
    return text + "\n"


def is_stdout(path: str | Path | None) -> bool:
    """Whether ``path`` is ``-``: standard output."""
    return path is not None and str(path) == STDOUT


def write_json(
    path: str | Path,
    data: Any,
    *,
    indent: int | None = 2,
    default: Callable[[Any], Any] | None = None,
    private: bool = False,
) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (``-``: standard output)."""
    text = json_text(data, indent=indent, default=default)
    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return Path(STDOUT)
    return write_text(path, text, private=private)


def write_jsonl(path: str | Path, records: Iterable[Any]) -> int:
    """Write each record as one JSON line to ``path`` atomically; returns how many."""
    n = 0
    with atomic_open(path) as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


__all__ = [
    "STDOUT",
    "atomic_open",
    "is_stdout",
    "json_text",
    "write_bytes",
    "write_json",
    "write_jsonl",
    "write_text",
]
