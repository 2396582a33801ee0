"""How a build names its inputs: ``source`` relative to the input root given on the command
line, so no row, report or card holds a path of the building machine.

* :func:`input_name` is how an input root is recorded, once, in ``goldwire.json``
  (``build.inputs``): as given on the command line, except that an absolute path under the
  working folder is made relative to it (``/home/me/proj/articles`` run from
  ``/home/me/proj`` -> ``articles``). An absolute path elsewhere stays as given: it is the
  only way to say where the data came from.
* :func:`source_name` is a file's ``source``: the root's name, then the file's path below the
  root, with ``/`` (``reuters21578/reut2-000.sgm``); a file given directly as an input is its
  name (``train.txt``). Readers append their item (``train.txt#373``). A root without a name
  of its own (``.``) takes the working folder's name. Two roots of the same name give
  sources that only ``build.inputs`` tells apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def input_name(root: Path) -> str:
    """An input root as recorded in ``goldwire.json`` (see the module docstring)."""
    if root.is_absolute():
        try:
            return root.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return root.as_posix()
    return root.as_posix()


def source_name(path: Path, roots: Sequence[Path]) -> str:
    """The ``source`` of a file found under one of ``roots`` (the path itself, as given,
    when it is under none of them)."""
    for root in roots:
        if path == root:
            return path.name or path.resolve().name
        try:
            below = path.relative_to(root)
        except ValueError:
            continue
        return "/".join((root.name or root.resolve().name, *below.parts))
    return str(path)


def renamed(text: str, raw: str, name: str) -> str:
    """``text`` (a source or a message) with the file's path ``raw`` replaced by ``name``."""
    return text.replace(raw, name) if raw != name else text


__all__ = ["input_name", "renamed", "source_name"]
