"""CoNLL BIO files: reading, token alignment, and the two readings of a tag sequence.

A CoNLL file has one token per line with its tag in the last column, a blank line between
sentences, and ``-DOCSTART-`` lines between documents (ignored as tokens). Tags are IOB1 or
IOB2 (``O``, ``B-X``, ``I-X``).

Two readings of a tag sequence, as seqeval 1.2.2 has them:

* conlleval (seqeval's default mode): :func:`goldwire.bio.iob2_to_token_spans`, where an
  ``I-X`` that does not continue an ``X`` entity starts one;
* strict IOB2 (seqeval ``mode="strict", scheme=IOB2``): :meth:`FlatTags.strict_spans`,
  where only ``B-X`` starts an entity and a stray ``I-X`` belongs to none.

Both work on a whole file at once (:class:`FlatTags`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from goldwire.bio import iob2_token_arrays
from goldwire.errors import InputError, ParseError
from goldwire.evaluate.matching import SpanArrays

CONLL_SUFFIXES = (".conll", ".conllx", ".bio", ".iob", ".iob2", ".tsv")
TAG_RE = re.compile(r"^(?:O|[BI]-\S+)$")
DOCSTART = "-DOCSTART-"


@dataclass
class Sentence:
    tokens: list[str]
    tags: list[str]
    line: int  # line number of the first token; token j is on line ``line + j``
    doc: int  # index of the document (-DOCSTART- block) it belongs to


@dataclass
class ConllFile:
    path: str
    sentences: list[Sentence] = field(default_factory=list)
    has_docstart: bool = False

    @property
    def n_docs(self) -> int:
        return self.sentences[-1].doc + 1 if self.sentences else 0


def is_conll_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in CONLL_SUFFIXES


def read_conll(path: str | Path) -> ConllFile:
    """Read a CoNLL BIO file; a bad line is a ParseError naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    out = ConllFile(str(path))
    doc, first = 0, 0
    tokens: list[str] = []
    tags: list[str] = []
    shared: dict[str, str] = {}  # one string object per distinct token
    valid: dict[str, str] = {}  # the same for the tags, each checked once

    def flush() -> None:
        nonlocal tokens, tags
        if tokens:
            out.sentences.append(Sentence(tokens, tags, first, doc))
        tokens, tags = [], []

    for lineno, line in enumerate(text.splitlines(), 1):
        cols = line.split()
        if not cols:
            flush()
            continue
        if cols[0] == DOCSTART:
            flush()
            if out.sentences and out.sentences[-1].doc == doc:
                doc += 1
            out.has_docstart = True
            continue
        if len(cols) < 2:
            raise ParseError(
                f"{path}:{lineno}: expected a token and a tag separated by "
                f"whitespace, got {line.strip()!r}"
            )
        tag = valid.get(cols[-1])
        if tag is None:  # a tag not seen before: checked once
            tag = cols[-1]
            if not TAG_RE.match(tag):
                raise ParseError(
                    f"{path}:{lineno}: tag {tag!r} is not an IOB tag (O, B-X or I-X); "
                    "convert IOBES/BILOU tags to IOB2 first"
                )
            valid[tag] = tag
        if not tokens:
            first = lineno
        tokens.append(shared.setdefault(cols[0], cols[0]))
        tags.append(tag)
    flush()
    return out


def check_aligned(gold: ConllFile, pred: ConllFile) -> None:
    """Raise InputError at the first token where ``pred`` does not follow ``gold``."""
    for gs, ps in zip(gold.sentences, pred.sentences, strict=False):
        if gs.tokens == ps.tokens:
            continue
        for j, (gt, pt) in enumerate(zip(gs.tokens, ps.tokens, strict=False)):
            if gt != pt:
                raise InputError(
                    f"{pred.path}:{ps.line + j}: token {pt!r} does not match {gold.path}:"
                    f"{gs.line + j} token {gt!r}; both files must hold the same tokens in the "
                    "same order"
                )
        if len(gs.tokens) != len(ps.tokens):
            short, long_ = (ps, gs) if len(ps.tokens) < len(gs.tokens) else (gs, ps)
            n = len(short.tokens)
            where = (
                f"{pred.path}:{ps.line + len(ps.tokens) - 1}",
                f"{gold.path}:{gs.line + len(gs.tokens) - 1}",
            )
            raise InputError(
                f"sentence boundaries differ: the sentence ending at {where[0]} has "
                f"{len(ps.tokens)} tokens but the gold one ending at {where[1]} has "
                f"{len(gs.tokens)} (first unmatched token {long_.tokens[n]!r}); both files "
                "must split sentences alike"
            )
    if len(gold.sentences) != len(pred.sentences):
        more, fewer = (gold, pred) if len(gold.sentences) > len(pred.sentences) else (pred, gold)
        extra = more.sentences[len(fewer.sentences)]
        raise InputError(
            f"{more.path}:{extra.line}: {more.path} continues with a sentence here but "
            f"{fewer.path} has ended ({len(gold.sentences)} gold sentences, "
            f"{len(pred.sentences)} predicted); both files must hold the same tokens"
        )


@dataclass
class FlatTags:
    """All tags of a file in one list, each sentence followed by one ``O`` separator."""

    tags: list[str]
    starts: np.ndarray  # index in ``tags`` of each sentence's first tag

    @classmethod
    def of(cls, conll: ConllFile) -> FlatTags:
        tags: list[str] = []
        starts = np.empty(len(conll.sentences), dtype=np.int64)
        for i, s in enumerate(conll.sentences):
            starts[i] = len(tags)
            tags += s.tags
            tags.append("O")
        return cls(tags, starts)

    def labels(self) -> set[str]:
        return {t[2:] for t in set(self.tags) if t != "O"}

    def _units(self, first: np.ndarray, last: np.ndarray, label: np.ndarray) -> SpanArrays:
        unit = np.searchsorted(self.starts, first, side="right") - 1
        return SpanArrays(unit, first - self.starts[unit], last - self.starts[unit], label)

    def conlleval_spans(self, code: dict[str, int]) -> SpanArrays:
        """Entities under the conlleval reading (:func:`goldwire.bio.iob2_token_arrays`,
        :func:`~goldwire.bio.iob2_to_token_spans` in numpy) run once over the whole file
        (the separators keep sentences apart)."""
        first, last, index, names = iob2_token_arrays(self.tags)
        to_code = np.array([code[name] for name in names], dtype=np.int64)
        return self._units(first, last, to_code[index])

    def strict_spans(self, code: dict[str, int]) -> SpanArrays:
        """Entities under strict IOB2 (seqeval ``mode="strict"``): ``B-X`` then ``I-X``*;
        an ``I-X`` that does not continue a ``B-X`` belongs to no entity."""
        distinct = sorted(set(self.tags))
        index = {t: i for i, t in enumerate(distinct)}
        kind = np.array([t[0] for t in distinct])  # "B", "I" or "O"
        label = np.array([code.get(t[2:], -1) for t in distinct], dtype=np.int64)
        tag = np.fromiter(map(index.__getitem__, self.tags), dtype=np.int64, count=len(self.tags))
        k, lab = kind[tag], label[tag]
        # tag j continues the entity before it: I-X after B-X or I-X
        link = (k == "I") & np.r_[False, (lab[1:] == lab[:-1]) & (k[:-1] != "O")]
        first = np.flatnonzero(k == "B")
        breaks = np.flatnonzero(~link)
        last = breaks[np.searchsorted(breaks, first + 1)]  # the separator O ends every run
        return self._units(first, last, lab[first])
