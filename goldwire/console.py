"""Where a command's human output goes: the one console factory of the CLI modules, and how
a file name is shown.

Tables and summaries go to standard output, except when the command writes its JSON there
(``--json -``): then they go to standard error, so that standard output is JSON only.

File names come from the file system and may hold anything but ``/`` and NUL: newlines,
terminal escapes, bytes that are not UTF-8 (Python keeps them as surrogate escapes,
``\\udcXX``). :func:`shown_name` is how every message and report line shows a name (a plain
name as it is, any other quoted with escapes, so a name cannot fake a report line or drive the
terminal); :func:`stored_name` is how a name is stored in JSON and dataset fields (valid UTF-8
always: the real name, except that bytes which are not UTF-8 become the four characters
``\\xNN``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from goldwire.files import is_stdout


def console(*, json_path: str | Path | None = None, wide: bool = False, stderr: bool = False):
    """A rich Console for human output (``wide``: at least 120 columns, no highlighting, for
    tables of figures); on standard error when ``json_path`` is ``-`` or ``stderr``."""
    from rich.console import Console

    err = stderr or is_stdout(json_path)
    if wide:
        width = max(120, shutil.get_terminal_size((120, 24)).columns)
        return Console(highlight=False, width=width, stderr=err)
    return Console(stderr=err)


SCREENFUL = 20  # lines of a list shown on the terminal before "... and N more"


def shown_list(
    lines: Sequence[str],
    limit: int = SCREENFUL,
    more_in: str | os.PathLike[str] | None = None,
    hint: str = "",
) -> list[str]:
    """The lines of a long list to print on the terminal: the first ``limit``, then
    ``... and N more (see FILE)`` naming ``more_in``, the file that holds them all (without
    it, ``hint`` in the parentheses, e.g. how to write them all; nothing when empty). A list
    of at most ``limit`` lines is shown whole."""
    if len(lines) <= limit:
        return list(lines)
    where = f"see {shown_name(more_in)}" if more_in is not None else hint
    return [*lines[:limit], f"... and {len(lines) - limit} more" + (f" ({where})" if where else "")]


# control characters (C0, DEL, C1), surrogates (bytes that were not UTF-8), and the
# invisible or reordering ones: line and paragraph separators, bidi and zero-width marks
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u200b-\u200f"
                     "\u202a-\u202e\u2060-\u2069\ufeff]")  # fmt: skip
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\", "'": "\\'"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if _UNSAFE.match(ch):
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return ch


def shown_name(name: str | os.PathLike[str]) -> str:
    """A file name (or path) safe to print on one line: unchanged when it has no control,
    invisible or undecodable character; else in single quotes with those characters escaped
    (``\\n``, ``\\x1b``, ``\\xff`` for a byte that is not UTF-8, ``\\u202e``, and ``\\\\``,
    ``\\'``), so ``'a\\nb.txt'`` is the name ``a``, newline, ``b.txt``."""
    text = os.fspath(name)
    if not _UNSAFE.search(text):
        return text
    return "'" + "".join(_escape(ch) for ch in text) + "'"


def stored_name(name: str | os.PathLike[str]) -> str:
    """A file name (or any text holding one) as valid UTF-8 for JSON and dataset fields: the
    text itself when it is valid; else each byte that was not UTF-8 (a surrogate escape) as
    the four characters ``\\xNN`` and any other lone surrogate as ``\\uDXXX``."""
    text = os.fspath(name)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return re.sub("[\ud800-\udfff]", _stored_surrogate, text)
    return text


def _stored_surrogate(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


__all__ = ["SCREENFUL", "console", "shown_list", "shown_name", "stored_name"]
