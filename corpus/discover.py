"""Which files a build reads: every entry under the inputs, each accounted for.

:func:`discover` walks the input folders (each folder's files by name, then its subfolders by
name: the order of ``os.walk``) and returns a :class:`Discovery`: the files to read, and every
entry it did not read, with the reason:

* ``skipped`` (by design, counted in ``files.skipped``): ``hidden`` (a name starting with a
  dot; a hidden folder is one entry, not walked into), ``symlink`` (a symbolic link to a
  folder, not followed unless ``follow_symlinks``), ``already-read`` (with
  ``follow_symlinks``: a folder already walked through another path, which guards against
  loops),
  ``not-a-file`` (a FIFO, socket or device: reading one could block the build);
* ``unreadable`` (rejections, counted in ``files.rejected``): ``unreadable-folder``, a folder
  that cannot be listed (permissions, or it vanished during the walk).

Links to files are read like files (a broken one is rejected when read). So
``files.found == files.read + files.rejected + files.skipped`` holds exactly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from goldwire.console import shown_name
from goldwire.corpus.readers import Rejection
from goldwire.errors import UsageError

HIDDEN, SYMLINK, ALREADY_READ, NOT_A_FILE = "hidden", "symlink", "already-read", "not-a-file"
UNREADABLE_FOLDER = "unreadable-folder"


@dataclass
class Skipped:
    """An entry the build did not read, by design, with the reason and a one-line message."""

    source: str
    reason: str
    message: str


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unreadable: list[Rejection] = field(default_factory=list)

    @property
    def found(self) -> int:
        return len(self.files) + len(self.skipped) + len(self.unreadable)


_MESSAGES = {
    HIDDEN: "hidden (its name starts with a dot), not read; rename it to read it",
    SYMLINK: "a symbolic link to a folder, not followed; pass --follow-symlinks to read it",
    ALREADY_READ: "the same folder as one already read (through a symbolic link), not read twice",
    NOT_A_FILE: "not a regular file (a FIFO, socket or device), not read",
}


def discover(inputs: Iterable[Path], *, follow_symlinks: bool = False) -> Discovery:
    """Files under the inputs, in walk order, and every entry not read (see the module)."""
    found = Discovery()
    visited: set[tuple[int, int]] = set()
    for root in inputs:
        if root.is_file():
            found.files.append(root)
        elif root.is_dir():
            _walk(root, found, follow_symlinks, visited)
        else:
            raise UsageError(f"{shown_name(root)}: no such file or folder; check the input path")
    return found


def _walk(root: Path, found: Discovery, follow: bool, visited: set[tuple[int, int]]) -> None:
    stack = [root]
    while stack:
        folder = stack.pop()
        listed = _list(folder, found, visited)
        if listed is None:
            continue
        files, folders = listed
        found.files.extend(files)
        subfolders = []
        for entry in folders:
            path = folder / entry.name
            if entry.is_symlink() and not follow:
                _skip(found, path, SYMLINK)
            else:
                subfolders.append(path)
        stack.extend(reversed(subfolders))  # popped in name order, depth first like os.walk


def _list(folder: Path, found: Discovery, visited: set[tuple[int, int]]
          ) -> tuple[list[Path], list[os.DirEntry]] | None:  # fmt: skip
    """A folder's files and subfolder entries (each sorted by name), its skipped entries
    recorded; None when it cannot be listed (recorded) or was walked already."""
    try:
        st = folder.stat()
        if (st.st_dev, st.st_ino) in visited:
            _skip(found, folder, ALREADY_READ)
            return None
        visited.add((st.st_dev, st.st_ino))
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        source = str(folder)
        found.unreadable.append(
            Rejection(
                source,
                UNREADABLE_FOLDER,
                f"{shown_name(source)}: cannot list this folder ({exc.strerror or exc}); its "
                "files are not read: fix its permissions or remove it from the input",
            )
        )
        return None
    files, folders = [], []
    for entry in entries:
        path = folder / entry.name
        if entry.name.startswith("."):
            _skip(found, path, HIDDEN)
        elif _is_dir(entry):
            folders.append(entry)
        elif _is_file(entry) or entry.is_symlink():  # a broken link is rejected when read
            files.append(path)
        else:
            _skip(found, path, NOT_A_FILE)
    return files, folders


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _skip(found: Discovery, path: Path, reason: str) -> None:
    source = str(path)
    found.skipped.append(Skipped(source, reason, f"{shown_name(source)}: {_MESSAGES[reason]}"))


__all__ = ["Discovery", "Skipped", "discover"]
