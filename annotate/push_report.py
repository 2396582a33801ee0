"""What a push reports: :class:`PushReport` for the whole push (what ``--json`` prints), one
:class:`TargetReport` per Doccano project, the problems and notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from goldwire.annotate.problems import Problem, ProblemList


@dataclass
class TargetReport:
    """What happened in one Doccano project."""

    project: dict[str, Any]
    created: bool = False
    guideline_updated: bool = False
    labels: list[dict[str, Any]] = field(default_factory=list)
    listing: str = ""  # how the project was listed: "new", "local record" or "export"
    examples_before: int = 0
    examples_after: int = 0
    uploaded: int = 0
    unchanged: int = 0
    mismatched: int = 0
    batches: int = 0
    resumed_batches: int = 0
    duplicates_removed: int = 0
    foreign_examples: int = 0  # examples without a goldwire id
    uploaded_labels: dict[str, int] = field(default_factory=dict)
    suggestions_created: dict[str, int] = field(default_factory=dict)  # through the API

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PushReport(ProblemList):
    url: str
    user: str
    documents: int = 0
    targets: list[TargetReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "user": self.user,
            "documents": self.documents,
            "projects": [t.to_dict() for t in self.targets],
            **self.problems_dict(listed=True),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
        }
