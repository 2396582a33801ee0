"""Annotator names -> safe, unique file names in a pull folder, and back.

A Doccano username may be anything its admin form or its database lets through: ``.mallory``
(a hidden file), ``..``, ``../evil`` (a path out of the folder), ``Ann`` beside ``ann`` (one
file on a case-insensitive disk). A pull folder names each annotator's file by
:func:`file_names`: a name that is already safe (letters, digits, ``.``, ``_``, ``-``; a
letter or digit first and last; at most 100 characters) is its own file name, so folders
written before this rule read the same; any other name becomes a readable slug plus a short
hash of the name (``.mallory`` -> ``mallory-<hash>``), and so do names whose file names
would collide (equal ignoring case). The real name stays in every document
(``annotation.annotators``) and in ``summary.json``, which maps each annotator to their file
(``annotators.<name>.file``); :func:`read_file_names` gives the names back.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from goldwire.errors import InputError

SUFFIX = ".jsonl"
SAFE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
READABLE_MAX = 40
HASH_CHARS = 10


def is_safe(name: str) -> bool:
    """Whether ``name`` may be its own file name (see the module docstring)."""
    return SAFE.fullmatch(name) is not None


def slug(name: str, chars: int = HASH_CHARS) -> str:
    """A readable, safe stem for any name: its safe characters plus a hash of the name."""
    readable = _UNSAFE_CHARS.sub("_", name).strip("._-")[:READABLE_MAX].strip("._-") or "user"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:chars]
    return f"{readable}-{digest}"


def file_names(names: Iterable[str]) -> dict[str, str]:
    """``{name: file name}`` for every name: safe names map to themselves, the others and
    names that would collide (ignoring case) to a slug with a hash; all distinct ignoring
    case."""
    names = sorted(set(names))
    stems = {name: name if is_safe(name) else slug(name) for name in names}
    chars = HASH_CHARS
    while True:
        groups: dict[str, list[str]] = {}
        for name, stem in stems.items():
            groups.setdefault(stem.casefold(), []).append(name)
        clashing = [name for group in groups.values() if len(group) > 1 for name in group]
        if not clashing:
            return {name: stem + SUFFIX for name, stem in stems.items()}
        for name in clashing:
            stems[name] = slug(name, chars)
        chars += 6  # distinct names hash apart once the hash is long enough


def _summary_files(folder: Path) -> dict[str, str]:
    """``{name: file name}`` as ``folder/summary.json`` lists them (an entry without ``file``,
    written before file names were recorded: ``<name>.jsonl``); empty when unreadable."""
    try:
        annotators = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["annotators"]
        entries = {str(name): entry for name, entry in annotators.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    out = {}
    for name, entry in entries.items():
        file = entry.get("file") if isinstance(entry, dict) else None
        file = file if isinstance(file, str) and file else name + SUFFIX
        if "/" not in file and "\\" not in file and file not in (".", ".."):
            out[name] = file
    return out


def read_file_names(folder: Path, sub: Path) -> dict[str, Path]:
    """``{annotator name: path}`` of the files in ``sub`` (``folder/annotators``): those the
    summary names (with their real names), then every other visible ``*.jsonl`` under its
    stem (files copied in by hand). Raises :class:`InputError` when two files claim one name."""
    out: dict[str, Path] = {}
    claimed: set[str] = set()
    for name, file in sorted(_summary_files(folder).items()):
        path = sub / file
        if not path.is_file():
            continue  # an annotator with no documents has no file
        if file in claimed:
            other = next(n for n, p in out.items() if p.name == file)
            raise InputError(
                f"{folder / 'summary.json'} maps both {other!r} and {name!r} to {path}; "
                "pull again into a new --out folder"
            )
        out[name] = path
        claimed.add(file)
    for path in sorted(sub.glob("*" + SUFFIX)):
        name = path.name[: -len(SUFFIX)]
        if path.name in claimed or path.name.startswith(".") or not name:
            continue
        if name in out:
            raise InputError(
                f"{path} and {out[name]} both hold annotator {name!r}'s work "
                f"({folder / 'summary.json'} maps {name!r} to {out[name].name}); move one out"
            )
        out[name] = path
    return out


__all__ = ["file_names", "is_safe", "read_file_names", "slug"]
