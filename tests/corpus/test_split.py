from __future__ import annotations

from collections import Counter

import pytest

from goldwire.corpus.split import SplitRatios
from goldwire.errors import UsageError


def test_assignment_follows_ratios_and_is_deterministic():
    ratios = SplitRatios(0.7, 0.2, 0.1)
    ids = [f"{i:016x}" for i in range(20000)]
    counts = Counter(ratios.assign(i) for i in ids)
    assert abs(counts["train"] / 20000 - 0.7) < 0.02
    assert abs(counts["validation"] / 20000 - 0.2) < 0.02
    assert abs(counts["test"] / 20000 - 0.1) < 0.02
    assert [ratios.assign(i) for i in ids[:100]] == [
        SplitRatios(0.7, 0.2, 0.1).assign(i) for i in ids[:100]
    ]


def test_parse_errors_name_the_fix():
    with pytest.raises(UsageError, match=r"three numbers train,validation,test, got '0.5,0.5'"):
        SplitRatios.parse("0.5,0.5")
    with pytest.raises(UsageError, match="sum to 1"):
        SplitRatios.parse("0.5,0.5,0.5")
