"""The one goldwire tokenizer: deterministic, rule-based, with character offsets.

Used wherever tokens are needed: CoNLL export, token-level agreement, token classifiers and
BIO scoring. Rules, applied left to right at each position (whitespace is never a token):

1. abbreviations of single letters with dots: ``U.S.``, ``U.N.``
2. numbers with inner separators: ``1996-08-22``, ``3.5``, ``1,000``, ``9/11``
3. the clitic ``n't`` and ``'s 're 've 'll 'd 'm`` (straight or curly apostrophe) as their own
   tokens, as in the Penn Treebank and CoNLL-2003: ``Armenia's`` -> ``Armenia`` ``'s``
4. words: letters, digits, underscore and combining marks, hyphenated parts kept together
   (``Nagorno-Karabakh``)
5. any other single character (punctuation, symbols, emoji)

Grapheme clusters are never split (Unicode extended grapheme clusters, the ``regex`` module's
``\\X``): a token that ends inside a cluster is extended to the cluster's end, and merged with
the tokens it then overlaps, so a flag (two regional indicators), an emoji with its skin tone
or its variation selector (U+FE0F), a ZWJ sequence or a letter with combining marks is one
token, never pieces. Whitespace is never part of a token, so the one place a token boundary
can fall inside a cluster is next to whitespace the cluster holds: a combining mark or U+FE0F
right after a space (``" \\u0301"``, one cluster by the Unicode rules) is a token of its own.
ASCII text has no multi-character cluster but CR LF, so it tokenizes exactly as by the rules.

Text made by joining tokens with spaces (as the CoNLL reader does) tokenizes back to tokens
at the same offsets whenever each original token matches one rule; entity boundaries that
fall on whitespace are always token boundaries, so IOB2 round trips keep every entity.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import regex

_W = r"[\w\u0300-\u036f\u0483-\u0489]"
TOKEN_RE = re.compile(
    rf"""
      (?:[^\W\d_]\.){{2,}}                       # U.S.
    | \d+(?:[.,:/\-]\d+)*                        # 1,000.5  1996-08-22
    | (?i:n['\u2019]t)(?!{_W})                   # n't
    | ['\u2019](?i:s|re|ve|ll|d|m)(?!{_W})       # 's 're ...
    | {_W}+?(?=(?i:n['\u2019]t)(?!{_W}))         # do|n't
    | {_W}+(?:-{_W}+)*                           # words, hyphenated
    | \S                                         # anything else, one character
    """,
    re.VERBOSE,
)


class Token(NamedTuple):
    start: int
    end: int
    text: str


_GRAPHEME = regex.compile(r"\X")


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` with code-point offsets (end exclusive)."""
    return [Token(s, e, text[s:e]) for s, e in token_offsets(text)]


def token_offsets(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each token (see the module docstring)."""
    spans = [m.span() for m in TOKEN_RE.finditer(text)]
    if text.isascii() or not spans:
        return spans
    return _whole_graphemes(text, spans)


def _whole_graphemes(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans with every end moved to its grapheme cluster's end (never over whitespace),
    spans that then overlap merged into one."""
    bounds = {m.end() for m in _GRAPHEME.finditer(text)}
    n = len(text)
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s < out[-1][1]:
            s, prev_end = out.pop()
            e = max(e, prev_end)
        while e < n and e not in bounds and not text[e].isspace():
            e += 1
        out.append((s, e))
    return out
