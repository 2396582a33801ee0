"""Where a command's human output goes: the one console factory of the CLI modules.

Tables and summaries go to standard output, except when the command writes its JSON there
(``--json -``): then they go to standard error, so that standard output is JSON only.
"""

from __future__ import annotations

import shutil
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


__all__ = ["console"]
