"""Reports: ranking, significance marks against the best run, rendering."""

from __future__ import annotations

import random

import pytest
from evalgen import LABELS, docs_from_units

from goldwire.errors import UsageError
from goldwire.evaluate.inputs import GoldSet, PredictionSet
from goldwire.evaluate.report import build_report, main_figure, write_report
from goldwire.evaluate.report.write import render_html, render_markdown, report_content
from goldwire.evaluate.scoring import ScoreOptions, score_documents
from goldwire.schema import Document, Entity


def corpus(seed: int = 0, n_docs: int = 60):
    rng = random.Random(seed)
    gold = []
    for _ in range(n_docs):
        spans, pos = [], 0
        for _ in range(rng.randint(2, 6)):
            pos += rng.randint(1, 4)
            spans.append((pos, pos + rng.randint(1, 4), rng.choice(LABELS)))
            pos = spans[-1][1]
        gold.append(spans)
    return gold


def noisy(gold, keep: float, seed: int):
    rng = random.Random(seed)
    return [[s for s in doc if rng.random() < keep] for doc in gold]


def scored(gold, pred, resamples=300):
    g, p = docs_from_units(gold, pred)
    return score_documents(g, p, ScoreOptions(resamples=resamples))


def test_runs_are_ranked_and_marked_against_the_best():
    gold = corpus()
    good, close, bad = noisy(gold, 0.95, 1), noisy(gold, 0.94, 2), noisy(gold, 0.5, 3)
    report = build_report(
        [("bad", scored(gold, bad)), ("good", scored(gold, good)), ("close", scored(gold, close))]
    )
    assert report.main == ("entities.strict", "micro.f1")
    assert [e.name for e in report.runs][0] in ("good", "close")
    marks = {e.name: report.mark(e) for e in report.runs}
    assert marks["bad"] == "*"
    assert sorted(marks[n] for n in ("good", "close")) == ["best", "≈"]
    comp = report.main_comparison(report.runs[-1])
    assert comp.delta > 0 and comp.p_value < 0.05
    assert report.to_dict()["leaderboard"][0]["vs_best"] is None


def test_main_figure_falls_back_when_there_are_no_entities():
    g, p = docs_from_units([[]], [[]])
    result = score_documents(g, p, ScoreOptions(resamples=0))
    assert main_figure(result) == ("entities.strict", "micro.f1")
    assert result.sections["entities.strict"].labels == []


def test_report_needs_distinct_names():
    result = scored([[(0, 2, "PER")]], [[(0, 2, "PER")]], resamples=0)
    with pytest.raises(UsageError, match="run names must differ, a is given twice"):
        build_report([("a", result), ("a", result)])


def test_document_text_is_escaped_in_html(tmp_path):
    text = "<script>alert(1)</script> & Co"
    gold = GoldSet(
        [Document(id="d0", text=text, entities=[Entity("e", 8, 13, "ORG", "alert")])], None, "gold"
    )
    result = score_documents(
        gold, PredictionSet("p", [Document(id="d0", text=text)]), ScoreOptions(resamples=0)
    )
    report = build_report([("run", result)])
    content = report_content(report)
    html = render_html(content)
    assert "<script>" not in html
    assert "&lt;script&gt;«alert»(1)&lt;/script&gt; &amp; Co" in html
    md = render_markdown(
        content, {c.key: f"plots/{c.key}.png" for c in content if hasattr(c, "png")}
    )
    assert "«alert»" in md
    written = write_report(report, tmp_path / "out")
    assert [p.name for p in written] == ["report.md", "report.html", "results.json"]


def test_entity_columns_only_when_some_run_predicts_entities():
    gold = corpus(seed=5, n_docs=20)
    nothing = [[] for _ in gold]
    only_empty = build_report([("stance-only", scored(gold, nothing, resamples=50))])
    assert not any(c[1].startswith("entities.") for c in only_empty.columns)
    mixed = build_report(
        [
            ("stance-only", scored(gold, nothing, resamples=50)),
            ("ner", scored(gold, noisy(gold, 0.8, 4), resamples=50)),
        ]
    )
    assert ("strict F1", "entities.strict", "micro.f1") in mixed.columns


def test_caveats_come_right_under_the_title_in_every_rendering(tmp_path):
    import json

    result = scored([[(0, 2, "PER")]], [[(0, 2, "PER")]], resamples=0)
    report = build_report([("run", result)], caveats=["Only 1 document.", "Gold <mentions>."])
    out = tmp_path / "out"
    write_report(report, out)
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith(
        "# goldwire evaluation report\n\n**Caveat.** Only 1 document.\n\n"
        "**Caveat.** Gold &lt;mentions&gt;.\n\nGold: "
    )
    html = (out / "report.html").read_text(encoding="utf-8")
    title = html.index("</h1>")
    assert html.index('<p class="caveat"><strong>Caveat.</strong> Only 1 document.</p>') > title
    assert '<p class="caveat"><strong>Caveat.</strong> Gold &lt;mentions&gt;.</p>' in html
    assert html.index("Gold &lt;mentions&gt;.") < html.index("<p>Gold: ")
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["caveats"] == ["Only 1 document.", "Gold <mentions>."]
    plain = build_report([("run", result)])
    content = report_content(plain)
    md = render_markdown(content, {c.key: f"{c.key}.png" for c in content if hasattr(c, "png")})
    assert plain.caveats == [] and "Caveat" not in md and "Caveat" not in render_html(content)


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "[click](javascript:alert(3))",
    "`code` *em* _em_ | pipe \\ back",
    "<a href='javascript:alert(4)'>x</a>",
]


def test_markdown_report_is_inert_in_a_commonmark_renderer_with_html_on():
    from markdown_it import MarkdownIt

    text = " ".join(HOSTILE) + " tail"
    start = text.index("script")
    gold = GoldSet(
        [Document(id="d0", text=text, entities=[Entity("e", start, start + 6, "ORG", "script")])],
        None,
        "gold",
    )
    result = score_documents(
        gold, PredictionSet("p", [Document(id="d0", text=text)]), ScoreOptions(resamples=0)
    )
    content = report_content(build_report([("<b>run</b>", result)], caveats=HOSTILE))
    md = render_markdown(content, {c.key: f"{c.key}.png" for c in content if hasattr(c, "png")})
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    tags = _tags(rendered)
    table = {"table", "thead", "tbody", "tr", "th", "td"}
    assert "td" in {t for t, _ in tags}, "the tables render as tables"
    assert {t for t, _ in tags} <= {"h1", "h2", "h3", "p", "strong", "img"} | table, tags
    assert [a for t, a in tags if a] == [], "only plain tags; the text brought no attributes"
    # the text itself survives, shown as written
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "[click](javascript:alert(3))" in rendered
    assert "`code` *em* _em_ | pipe \\ back" in rendered
    assert "&lt;b&gt;run&lt;/b&gt;" in rendered


def _tags(rendered: str) -> list[tuple[str, list]]:
    """Every start tag a browser would build from ``rendered``, with its attributes (an
    ``img`` of our own plots keeps its src and alt: left out)."""
    from html.parser import HTMLParser

    found: list[tuple[str, list]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            own_plot = tag == "img" and [k for k, _ in attrs] == ["src", "alt"]
            aligned = tag in ("th", "td") and attrs in ([], [("style", "text-align:left")])
            found.append((tag, [] if own_plot or aligned else attrs))

    Collect().feed(rendered)
    return found


def test_without_matplotlib_the_tables_are_written_and_the_plots_said_skipped(
    tmp_path, monkeypatch
):
    import json
    import sys

    gold = corpus(seed=3, n_docs=12)
    report = build_report(
        [("a", scored(gold, noisy(gold, 0.9, 1), 50)), ("b", scored(gold, noisy(gold, 0.6, 2), 50))]
    )
    with_plots = tmp_path / "with"
    write_report(report, with_plots)
    drawn = sorted(p.name for p in (with_plots / "plots").iterdir())
    assert drawn  # the same report draws plots where matplotlib is installed
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    out = tmp_path / "out"
    written = write_report(report, out)
    assert [p.name for p in written] == ["report.md", "report.html", "results.json"]
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.md", "results.json"]
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    line = "plots skipped: matplotlib is not installed (pip install 'goldwire\\[report\\]')."
    assert line in md and "![" not in md
    assert "<img" not in html and "plots skipped: matplotlib is not installed" in html
    assert "| 1 | a | best |" in md  # the leaderboard table is still there
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["leaderboard"]
