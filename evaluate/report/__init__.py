"""Reports across runs: a leaderboard with significance marks, per-label tables, error analysis.

:func:`build_report` scores nothing itself: it takes scored runs on the same gold, ranks them
by the main figure, runs the paired bootstrap test of every run against the best, and returns
a :class:`Report` (which also carries the caveats said under the title, e.g. a benchmark's
"only 8 documents"); :func:`write_report` renders it as ``report.md``, a self-contained
``report.html`` (plots embedded as base64 PNG) and ``results.json``.
"""

from goldwire.evaluate.report.build import Report, RunEntry, build_report, main_figure
from goldwire.evaluate.report.write import write_report

__all__ = ["Report", "RunEntry", "build_report", "main_figure", "write_report"]
