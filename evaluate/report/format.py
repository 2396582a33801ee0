"""Number formatting shared by the terminal tables and the reports (scores in percent)."""

from __future__ import annotations

from goldwire.evaluate.bootstrap import Comparison, Estimate


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def estimate(est: Estimate | None, *, ci: bool = True) -> str:
    """``86.41 [84.66, 88.06]`` (percent; the interval only when resampled)."""
    if est is None:
        return "–"
    if not ci or est.low is None:
        return pct(est.value)
    return f"{pct(est.value)} [{pct(est.low)}, {pct(est.high)}]"


def p_value(p: float | None, resamples: int) -> str:
    if p is None:
        return "–"
    if p == 0:
        return f"< {1 / resamples:.3g}" if resamples else "0"
    return f"{p:.3f}"


def delta(comp: Comparison | None) -> str:
    if comp is None:
        return "–"
    d = f"{100 * comp.delta:+.2f}"
    if comp.low is None:
        return d
    return f"{d} [{100 * comp.low:+.2f}, {100 * comp.high:+.2f}]"
