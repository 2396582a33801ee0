"""The benchmark summary: what each run did, figures as the reports write them."""

from __future__ import annotations

from goldwire.evaluate.models.run import ModelRun
from goldwire.evaluate.models.summary import figure_text, run_lines


def test_run_lines_say_training_warnings_and_prediction():
    run = ModelRun(
        "g",
        "gazetteer",
        "gazetteer",
        "entities",
        trained={"seconds": 1.3, "peak_rss_mb": 99.6},
        predicted={
            "documents": 8,
            "seconds": 0.5,
            "docs_per_second": 16.0,
            "peak_rss_mb": 120.2,
            "warnings": ["old model"],
        },
    )
    assert run_lines(run) == [
        "g: trained in 1.3 s, peak RSS 100 MB",
        "g: warning: old model",
        "g: 8 documents in 0.50 s (16.0 documents/s), peak RSS 120 MB",
    ]
    untrained = ModelRun(
        "r",
        "rules-stance",
        "rules-stance",
        "stances",
        predicted={"documents": 1, "seconds": 0.01, "docs_per_second": 100.0, "peak_rss_mb": 30},
    )
    assert run_lines(untrained) == ["r: 1 documents in 0.01 s (100.0 documents/s), peak RSS 30 MB"]


def test_figure_text():
    assert figure_text({"value": 0.5, "ci": [0.4, 0.625]}) == "50.00 [40.00, 62.50]"
    assert figure_text(None) == "–"
