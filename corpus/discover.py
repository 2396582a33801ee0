"""Which files a build reads: every entry under the inputs, each accounted for.

:func:`discover` walks the input folders (each folder's files by name, then its subfolders by
name: the order of ``os.walk``) and returns a :class:`Discovery`: the files to read, and every
entry it did not read, with the reason:

* ``skipped`` (by design, counted in ``files.skipped``): ``hidden`` (a name starting with a
  dot; a hidden folder is one entry, not walked into), ``symlink`` (a symbolic link to a
  folder, not followed unless ``follow_symlinks``), ``already-read`` (with
  ``follow_symlinks``: a folder already walked through another path, which guards against
  loops),
  ``not-a-file`` (a FIFO, socket or device: reading one could block the build),
  ``documentation`` (with ``skip_docs``, which the build sets under ``--format auto``: a file
  that travels with a data set to document it, not an article: a name starting with
  ``README``, ``LICENSE``/``LICENCE``, ``COPYING``, ``CHANGELOG``, ``CHANGES``, ``NOTICE``,
  ``CITATION``, ``AUTHORS`` or ``CONTRIBUTING`` (any case, then only a version and
  suffixes: ``README.txt``, ``LICENSE-2.0.txt``; ``READMEFIRST.txt`` and
  ``notice-of-strike.txt`` are not), or ending in
  ``.dtd``, ``.md``, ``.rst`` or ``.cff``, suffixes no reader reads. Reuters-21578 ships
  ``README.txt`` (a 36,000-character text the ``text`` reader would take as an article) and
  ``lewis.dtd``. A file named directly as an input, or any file under an explicit
  ``--format``, is read);
* ``unreadable`` (rejections, counted in ``files.rejected``): ``unreadable-folder``, a folder
  that cannot be listed (permissions, or it vanished during the walk).

Links to files are read like files (a broken one is rejected when read). So
``files.found == files.read + files.rejected + files.skipped`` holds exactly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from goldwire.console import shown_name
from goldwire.corpus.readers import Rejection
from goldwire.errors import UsageError

HIDDEN, SYMLINK, ALREADY_READ, NOT_A_FILE = "hidden", "symlink", "already-read", "not-a-file"
DOCUMENTATION = "documentation"
UNREADABLE_FOLDER = "unreadable-folder"
_DOC_NAME = re.compile(
    r"(?:readme|licen[cs]e|copying|changelog|changes|notice|citation|authors|contributing)"
    r"(?:[-_]\d[\d.]*)?(?:\.\w+)*|.*\.(?:dtd|md|rst|cff)",
    re.IGNORECASE | re.DOTALL,
)


def is_documentation(name: str) -> bool:
    """Whether a file name is one of the documentation files data sets carry (see above)."""
    return _DOC_NAME.fullmatch(name) is not None


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
    DOCUMENTATION: "documentation that travels with the data (README, LICENSE, .dtd, ...), "
    "not read as an article; name the file as an input or pass --format to read it",
}


def discover(inputs: Iterable[Path], *, follow_symlinks: bool = False,
             skip_docs: bool = False) -> Discovery:  # fmt: skip
    """Files under the inputs, in walk order, and every entry not read (see the module);
    ``skip_docs``: documentation files found in folders are skipped, not read."""
    found = Discovery()
    visited: set[tuple[int, int]] = set()
    for root in inputs:
        if root.is_file():
            found.files.append(root)
        elif root.is_dir():
            _walk(root, found, follow_symlinks, visited, skip_docs)
        else:
            raise UsageError(f"{shown_name(root)}: no such file or folder; check the input path")
    return found


def _walk(root: Path, found: Discovery, follow: bool, visited: set[tuple[int, int]],
          skip_docs: bool) -> None:  # fmt: skip
    stack = [root]
    while stack:
        folder = stack.pop()
        listed = _list(folder, found, visited, skip_docs)
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


def _list(folder: Path, found: Discovery, visited: set[tuple[int, int]], skip_docs: bool
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
        elif not (_is_file(entry) or entry.is_symlink()):  # a broken link: rejected when read
            _skip(found, path, NOT_A_FILE)
        elif skip_docs and is_documentation(entry.name):
            _skip(found, path, DOCUMENTATION)
        else:
            files.append(path)
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


__all__ = ["Discovery", "Skipped", "discover", "is_documentation"]
