"""The one progress protocol, and the progress bars the commands draw with it.

Library functions that take long accept ``progress(phase, done, total)``: ``phase`` names
what is going on ("reading files", "seed: uploading"), ``done`` counts finished items and
``total`` is how many there will be, or ``None`` when nobody knows yet. Calls are frequent
and must be cheap; a phase may start at ``done == 0`` and ends when ``done == total``. The
library never draws anything itself: only the CLI modules pass :class:`Bars`.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, phase: str, done: int, total: int | None) -> None: ...


def no_progress(phase: str, done: int, total: int | None) -> None:
    """The default: report nothing."""
    return None


class Bars:
    """Rich progress bars on standard error, one per phase, fed through :class:`Progress`.

    Drawn only on a terminal (and not at all with ``enabled=False``, e.g. under ``--json``),
    removed when done (``transient``); a phase shows done/total, its rate, the time taken
    and, with a total, the time left."""

    def __init__(self, enabled: bool = True, *, transient: bool = True) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        console = Console(stderr=True)
        self.bars = RichProgress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=transient,
            disable=not enabled or not console.is_terminal,
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> Bars:
        self.bars.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.__exit__(*exc)

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        task = self.tasks.get(phase)
        if task is None:
            task = self.tasks[phase] = self.bars.add_task(phase, total=total or None)
        self.bars.update(task, completed=done, total=total or None)


def _RateColumn():  # noqa: N802 (a column factory: rich is imported only when bars are drawn)
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Items per second, once there is a rate."""

        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if not speed else f"{speed:,.1f}/s", style="progress.data.speed")

    return RateColumn()


__all__ = ["Bars", "Progress", "no_progress"]
