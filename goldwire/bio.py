"""IOB2 <-> character spans, the one place this conversion happens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from goldwire.errors import SpanError


def spans_to_iob2(
    offsets: Sequence[tuple[int, int]],
    spans: Sequence[tuple[int, int, str]],
    *,
    where: str = "document",
) -> list[str]:
    """Tag tokens (given by offsets) with IOB2 tags for character spans ``(start, end, label)``.

    A span must start at a token start and end at a token end; otherwise SpanError names it,
    since IOB2 cannot hold it. Overlapping spans cannot be expressed either and are refused.
    """
    tags = ["O"] * len(offsets)
    starts = {s: i for i, (s, _) in enumerate(offsets)}
    ends = {e: i for i, (_, e) in enumerate(offsets)}
    for start, end, label in sorted(spans):
        first, last = starts.get(start), ends.get(end)
        if first is None or last is None or last < first:
            raise SpanError(
                f"{where}: span [{start}:{end}] {label} does not fall on token boundaries, "
                "so IOB2 cannot express it; check the tokenizer or the span"
            )
        if any(t != "O" for t in tags[first : last + 1]):
            raise SpanError(
                f"{where}: span [{start}:{end}] {label} overlaps another span; IOB2 holds no "
                "overlapping spans"
            )
        tags[first] = f"B-{label}"
        for i in range(first + 1, last + 1):
            tags[i] = f"I-{label}"
    return tags


def iob2_to_token_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entities as ``(first_token, last_token_exclusive, label)`` from IOB2/IOB1 tags.

    An ``I-X`` that does not continue an ``X`` entity starts a new one (conlleval's reading).
    """
    out: list[tuple[int, int, str]] = []
    cur_start, cur_label = -1, ""
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, label = tag.partition("-")
        if prefix not in ("B", "I", "E", "S"):
            prefix, label = "O", ""
        continues = prefix == "I" and cur_label == label and cur_start >= 0
        if cur_start >= 0 and not continues:
            out.append((cur_start, i, cur_label))
            cur_start, cur_label = -1, ""
        if prefix in ("B", "I") and not continues:
            cur_start, cur_label = i, label
    return out


def iob2_token_arrays(tags: Sequence[str]) -> tuple[Any, Any, Any, list[str]]:
    """:func:`iob2_to_token_spans` in numpy, for a whole file of tags at once: the entities'
    first tokens, last tokens (exclusive) and label indexes (int64 arrays, in order), and the
    sorted labels the indexes point into.

    Token ``j`` continues the entity before it when it is ``I-X`` and token ``j - 1`` is
    ``B-X`` or ``I-X`` (the same ``X``); every other ``B-*`` or ``I-*`` starts one, which
    runs up to the next token that does not continue it. Tags with another prefix
    (``O``, ``E-X``, ``S-X``, anything else) are outside any entity."""
    import numpy as np

    index = {tag: i for i, tag in enumerate(dict.fromkeys(tags))}  # the distinct tags
    parts = [tag.partition("-") for tag in index]
    labels = sorted({label for prefix, _, label in parts if prefix in ("B", "I")})
    code = {label: i for i, label in enumerate(labels)}
    # per distinct tag, then one more for the O that ends the last entity
    kind = np.array([_KINDS.get(prefix, 0) for prefix, _, _ in parts] + [0], dtype=np.int8)
    label = np.array([code.get(lab, -1) if prefix in ("B", "I") else -1
                      for prefix, _, lab in parts] + [-1], dtype=np.int64)  # fmt: skip
    n = len(tags)
    tag = np.empty(n + 1, dtype=np.int64)
    tag[:n] = np.fromiter(map(index.__getitem__, tags), dtype=np.int64, count=n)
    tag[n] = len(index)
    k, lab = kind[tag], label[tag]
    inside = k > 0
    continues = np.zeros(n + 1, dtype=bool)
    continues[1:] = (k[1:] == 2) & inside[:-1] & (lab[1:] == lab[:-1])
    first = np.flatnonzero(inside & ~continues)
    breaks = np.flatnonzero(~continues)
    last = breaks[np.searchsorted(breaks, first, side="right")]
    return first, last, lab[first], labels


_KINDS = {"B": 1, "I": 2}


def iob2_to_spans(
    offsets: Sequence[tuple[int, int]], tags: Sequence[str]
) -> list[tuple[int, int, str]]:
    """Character spans ``(start, end, label)`` for IOB2 tags over tokens with offsets."""
    return [(offsets[a][0], offsets[b - 1][1], lab) for a, b, lab in iob2_to_token_spans(tags)]
