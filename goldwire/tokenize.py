"""The one goldwire tokenizer: deterministic, rule-based, with character offsets.

Used wherever tokens are needed: CoNLL export, token-level agreement, token classifiers and
BIO scoring. Rules, applied left to right at each position (whitespace is never a token):

1. abbreviations of single letters with dots: ``U.S.``, ``U.N.``
2. numbers with inner separators: ``1996-08-22``, ``3.5``, ``1,000``, ``9/11``
3. the clitic ``n't`` and ``'s 're 've 'll 'd 'm`` (straight or curly apostrophe) as their own
   tokens, as in the Penn Treebank and CoNLL-2003: ``Armenia's`` -> ``Armenia`` ``'s``
4. words: letters, digits, underscore and combining marks, hyphenated parts kept together
   (``Nagorno-Karabakh``)
5. any other single character (punctuation, symbols, each emoji code point)

Text made by joining tokens with spaces (as the CoNLL reader does) tokenizes back to tokens
at the same offsets whenever each original token matches one rule; entity boundaries that
fall on whitespace are always token boundaries, so IOB2 round trips keep every entity.
"""

from __future__ import annotations

import re
from typing import NamedTuple

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


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` with code-point offsets (end exclusive)."""
    return [Token(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(text)]


def token_offsets(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN_RE.finditer(text)]
