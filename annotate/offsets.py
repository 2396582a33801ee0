"""Offsets between goldwire's code points and what Doccano stores.

goldwire offsets are Python code points. Doccano 1.8.4 stores whatever integers it gets;
its browser UI produces

* **UTF-16 code units** when the project's ``grapheme_mode`` is off (JavaScript string
  indices: every character outside the Basic Multilingual Plane, such as most emoji, counts
  as two), and
* **grapheme clusters** when ``grapheme_mode`` is on (the UI splits text with the
  grapheme-splitter library; we segment with ``regex``'s ``\\X``, Unicode extended grapheme
  clusters).

:class:`OffsetMap` converts both ways for one text. Converting back raises
:class:`OffsetError` when a stored offset falls inside a character (between the two halves
of a surrogate pair) or inside a grapheme cluster, or past the end: such a span cannot be
mapped and is reported, never silently moved.
"""

from __future__ import annotations

from enum import Enum

from goldwire.errors import SpanError


class Unit(str, Enum):
    codepoint = "codepoint"
    utf16 = "utf16"
    grapheme = "grapheme"


class OffsetError(SpanError):
    """A stored offset does not fall on a character (or grapheme) boundary of the text."""


class OffsetMap:
    """Code point offsets <-> offsets in ``unit`` for one text.

    ``bounds`` lists, for every boundary k in ``unit`` (0..n_units), the code point offset
    where it falls; code point offsets that are not boundaries have no unit offset.
    """

    def __init__(self, text: str, unit: Unit | str) -> None:
        self.text = text
        self.unit = Unit(unit)
        self.identity = self.unit is Unit.codepoint or (
            self.unit is Unit.utf16 and (text.isascii() or max(map(ord, text)) <= 0xFFFF)
        )
        self.bounds: list[int] = []  # unit offset -> code point offset (-1: not a boundary)
        self._units_of: dict[int, int] = {}  # code point offset -> unit offset
        if self.identity:
            return
        if self.unit is Unit.utf16:
            for i, ch in enumerate(text):
                self.bounds.append(i)
                if ord(ch) > 0xFFFF:
                    self.bounds.append(-1)
        else:
            import regex

            self.bounds = [m.start() for m in regex.finditer(r"\X", text)]
        self.bounds.append(len(text))
        self._units_of = {cp: k for k, cp in enumerate(self.bounds) if cp >= 0}

    def to_units(self, cp: int) -> int:
        """The ``unit`` offset of a code point offset (must be a boundary in that unit)."""
        if self.identity:
            return cp
        try:
            return self._units_of[cp]
        except KeyError:
            raise OffsetError(
                f"code point offset {cp} is not on a {self.unit.value} boundary of the text; "
                "the span cannot be expressed in that unit"
            ) from None

    def to_codepoints(self, units: int) -> int:
        """The code point offset of a stored ``unit`` offset."""
        n = len(self.text) if self.identity else len(self.bounds) - 1
        if not 0 <= units <= n:
            raise OffsetError(f"offset {units} lies outside the text ({n} {self.unit.value} units)")
        if self.identity:
            return units
        cp = self.bounds[units]
        if cp < 0:
            raise OffsetError(
                f"UTF-16 offset {units} falls between the two halves of "
                f"{self.text[self.bounds[units - 1]]!r}; the span cannot be mapped"
            )
        return cp

    def span_to_units(self, start: int, end: int) -> tuple[int, int]:
        return self.to_units(start), self.to_units(end)

    def span_to_codepoints(self, start: int, end: int) -> tuple[int, int]:
        return self.to_codepoints(start), self.to_codepoints(end)
