"""Problems: what an annotate command could not do or found not as expected, and where.

Every annotate command (push, pull) reports problems instead of dropping anything silently.
A :class:`Problem` names its kind (``text_mismatch``, ``unmappable_span``, ...), the goldwire
document, the Doccano project, the span, the label and the annotator where it applies.
:class:`ProblemList` is the part every report shares (``add``, ``ok``, ``problem_counts``,
``problems_dict``); :func:`write_problems` writes them as JSON lines (``--problems``,
``problems.jsonl``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goldwire import files


@dataclass
class Problem:
    """Something not uploaded, not pulled or not as expected, with where it happened.

    ``start``/``end`` are code points into the goldwire text, except for a span that could not
    be mapped to code points: it keeps the Doccano project's unit (``detail`` says which)."""

    kind: str
    document: str | None
    detail: str
    project: str | None = None
    start: int | None = None
    end: int | None = None
    label: str | None = None
    user: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def __str__(self) -> str:
        where = f"document {self.document}" if self.document else f"project {self.project}"
        span = f" [{self.start}:{self.end}]" if self.start is not None else ""
        return f"{where}{span}: {self.detail}"


class ProblemList:
    """The problems of a report. A mixin without dataclass fields: the report (a dataclass)
    declares ``problems: list[Problem]`` itself, where its field order wants it."""

    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, document: str | None, detail: str, **where: Any) -> None:
        self.problems.append(Problem(kind, document, detail, **where))

    def problem_counts(self) -> dict[str, int]:
        """How many problems of each kind, in the order they first occurred."""
        return dict(Counter(p.kind for p in self.problems))

    def problems_dict(self, *, listed: bool) -> dict[str, Any]:
        """``problems`` (each one when ``listed``, else how many) and ``problem_counts``, for
        a report's ``to_dict``."""
        problems = [p.to_dict() for p in self.problems] if listed else len(self.problems)
        return {"problems": problems, "problem_counts": self.problem_counts()}


def write_problems(path: str | Path, problems: Iterable[Problem]) -> int:
    """Write ``problems`` as JSON lines to ``path`` (atomically); returns how many."""
    return files.write_jsonl(path, (p.to_dict() for p in problems))


__all__ = ["Problem", "ProblemList", "write_problems"]
