"""Problems: their text, the list every report shares, the JSONL they are written as."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from goldwire.annotate.problems import Problem, ProblemList, write_problems


@dataclass
class _Report(ProblemList):
    name: str
    problems: list[Problem] = field(default_factory=list)
    after: int = 0  # fields may follow ``problems``: the mixin declares none


def test_problem_text_names_the_document_or_the_project():
    assert str(Problem("x", "d1", "gone", start=2, end=5)) == "document d1 [2:5]: gone"
    assert str(Problem("x", None, "gone", project="p")) == "project p: gone"
    assert Problem("x", "d1", "gone", label="PER").to_dict() == {
        "kind": "x",
        "document": "d1",
        "detail": "gone",
        "label": "PER",
    }


def test_a_report_adds_problems_and_counts_them_by_kind_in_order():
    report = _Report("r")
    assert report.ok and report.problem_counts() == {}
    report.add("text_changed", "a", "edited", user="ann")
    report.add("unmappable_span", "b", "inside 😀", start=0, end=1)
    report.add("text_changed", "c", "edited")
    assert not report.ok
    assert list(report.problem_counts().items()) == [("text_changed", 2), ("unmappable_span", 1)]
    assert (report.problems[1].start, report.problems[0].user) == (0, "ann")
    assert _Report("s", after=3).problems == []  # a list of its own, not shared


def test_problems_are_written_as_json_lines(tmp_path):
    problems = [Problem("a", "d", "Ж 😀", start=1, end=2), Problem("b", None, "x", project="p")]
    path = tmp_path / "deep" / "problems.jsonl"
    assert write_problems(path, problems) == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [p.to_dict() for p in problems]
    assert "Ж 😀" in lines[0]  # UTF-8, not escaped
