"""IOB2 <-> character spans, the one place this conversion happens."""

from __future__ import annotations

from collections.abc import Sequence

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


def iob2_to_spans(
    offsets: Sequence[tuple[int, int]], tags: Sequence[str]
) -> list[tuple[int, int, str]]:
    """Character spans ``(start, end, label)`` for IOB2 tags over tokens with offsets."""
    return [(offsets[a][0], offsets[b - 1][1], lab) for a, b, lab in iob2_to_token_spans(tags)]
