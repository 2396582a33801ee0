"""Report plots as PNG bytes (matplotlib, Agg backend, imported only when a report is made)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from goldwire.errors import require

SKIPPED = "plots skipped: matplotlib is not installed (pip install 'goldwire[report]')"


def skipped() -> str | None:
    """Why a report's plots cannot be drawn here (the line said instead), or None."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return SKIPPED
    return None


def _pyplot():
    matplotlib = require("matplotlib", "report")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def f1_by_label(
    labels: Sequence[str],
    runs: Sequence[tuple[str, Sequence[tuple[float, float | None, float | None]]]],
    title: str,
) -> bytes:
    """Grouped bars: F1 per label for each run, with confidence-interval whiskers.

    ``runs``: (run name, one (value, low, high) per label).
    """
    plt = _pyplot()
    import numpy as np

    n_runs = max(len(runs), 1)
    width = 0.8 / n_runs
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(labels) * max(1, n_runs / 2)), 3.8))
    for i, (name, values) in enumerate(runs):
        v = 100 * np.array([t[0] for t in values])
        low = 100 * np.array([t[0] - (t[1] if t[1] is not None else t[0]) for t in values])
        high = 100 * np.array([(t[2] if t[2] is not None else t[0]) - t[0] for t in values])
        ax.bar(
            x + (i - (n_runs - 1) / 2) * width,
            v,
            width,
            label=name,
            yerr=np.vstack([low, high]),
            capsize=3,
            error_kw={"elinewidth": 1},
        )
    ax.set_xticks(
        x,
        labels,
        rotation=30 if len(labels) > 8 else 0,
        ha="right" if len(labels) > 8 else "center",
    )
    ax.set_ylim(0, 105)
    ax.set_ylabel("F1 (%)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    if len(runs) > 1:
        ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    counts: Sequence[Sequence[int]],
    title: str,
    *,
    xlabel: str = "predicted",
    ylabel: str = "gold",
) -> bytes:
    """A count heatmap with the numbers written in the cells."""
    plt = _pyplot()
    import numpy as np

    data = np.asarray(counts, dtype=float)
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(columns), 0.9 + 0.55 * len(rows)))
    shown = np.log1p(data)
    ax.imshow(shown, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    top = shown.max() if shown.size else 0.0
    for (i, j), v in np.ndenumerate(data):
        ax.text(
            j,
            i,
            f"{int(v)}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if top and shown[i, j] > 0.6 * top else "black",
        )
    return _png(fig)


def leaderboard(
    names: Sequence[str], values: Sequence[tuple[float, float | None, float | None]], title: str
) -> bytes:
    """Horizontal points with confidence intervals, best run on top."""
    plt = _pyplot()

    fig, ax = plt.subplots(figsize=(6.5, 0.9 + 0.4 * len(names)))
    for i, (v, low, high) in enumerate(values):
        y = len(names) - 1 - i
        if low is not None and high is not None:
            ax.hlines(y, 100 * low, 100 * high, color="#4a7ab5", linewidth=2)
        ax.plot([100 * v], [y], "o", color="#1f3b63")
    ax.set_yticks(range(len(names)), list(reversed(list(names))))
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_xlabel(f"{title} (%), with confidence intervals")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)
