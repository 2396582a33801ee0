"""CoNLL BIO files: reading, token alignment, and the two readings of a tag sequence.

A CoNLL file has one token per line with its tag in the last column, a blank line between
sentences, and ``-DOCSTART-`` lines between documents (ignored as tokens). Tags are IOB1 or
IOB2 (``O``, ``B-X``, ``I-X``).

Two readings of a tag sequence, as seqeval 1.2.2 has them:

* conlleval (seqeval's default mode): :func:`goldwire.bio.iob2_to_token_spans`, where an
  ``I-X`` that does not continue an ``X`` entity starts one;
* strict IOB2 (seqeval ``mode="strict", scheme=IOB2``): :func:`iob2_strict_token_spans`,
  where only ``B-X`` starts an entity and a stray ``I-X`` belongs to none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from goldwire.errors import InputError, ParseError

CONLL_SUFFIXES = (".conll", ".conllx", ".bio", ".iob", ".iob2", ".tsv")
TAG_RE = re.compile(r"^(?:O|[BI]-\S+)$")
DOCSTART = "-DOCSTART-"


@dataclass
class Sentence:
    tokens: list[str]
    tags: list[str]
    lines: list[int]  # line number of each token
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
    doc = 0
    tokens: list[str] = []
    tags: list[str] = []
    lines: list[int] = []

    def flush() -> None:
        nonlocal tokens, tags, lines
        if tokens:
            out.sentences.append(Sentence(tokens, tags, lines, doc))
        tokens, tags, lines = [], [], []

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
            raise ParseError(f"{path}:{lineno}: expected a token and a tag separated by "
                             f"whitespace, got {line.strip()!r}")
        tag = cols[-1]
        if not TAG_RE.match(tag):
            raise ParseError(f"{path}:{lineno}: tag {tag!r} is not an IOB tag (O, B-X or I-X); "
                             "convert IOBES/BILOU tags to IOB2 first")
        tokens.append(cols[0])
        tags.append(tag)
        lines.append(lineno)
    flush()
    return out


def check_aligned(gold: ConllFile, pred: ConllFile) -> None:
    """Raise InputError at the first token where ``pred`` does not follow ``gold``."""
    for gs, ps in zip(gold.sentences, pred.sentences, strict=False):
        for j, (gt, pt) in enumerate(zip(gs.tokens, ps.tokens, strict=False)):
            if gt != pt:
                raise InputError(
                    f"{pred.path}:{ps.lines[j]}: token {pt!r} does not match {gold.path}:"
                    f"{gs.lines[j]} token {gt!r}; both files must hold the same tokens in the "
                    "same order"
                )
        if len(gs.tokens) != len(ps.tokens):
            short, long_ = (ps, gs) if len(ps.tokens) < len(gs.tokens) else (gs, ps)
            n = len(short.tokens)
            where = (f"{pred.path}:{ps.lines[-1]}", f"{gold.path}:{gs.lines[-1]}")
            raise InputError(
                f"sentence boundaries differ: the sentence ending at {where[0]} has "
                f"{len(ps.tokens)} tokens but the gold one ending at {where[1]} has "
                f"{len(gs.tokens)} (first unmatched token {long_.tokens[n]!r}); both files "
                "must split sentences alike"
            )
    if len(gold.sentences) != len(pred.sentences):
        more, fewer = ((gold, pred) if len(gold.sentences) > len(pred.sentences)
                       else (pred, gold))
        extra = more.sentences[len(fewer.sentences)]
        raise InputError(
            f"{more.path}:{extra.lines[0]}: {more.path} continues with a sentence here but "
            f"{fewer.path} has ended ({len(gold.sentences)} gold sentences, "
            f"{len(pred.sentences)} predicted); both files must hold the same tokens"
        )


def iob2_strict_token_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """Entities ``(first, last_exclusive, label)`` under strict IOB2: ``B-X`` then ``I-X``*."""
    out: list[tuple[int, int, str]] = []
    i, n = 0, len(tags)
    while i < n:
        tag = tags[i]
        if tag.startswith("B-"):
            label = tag[2:]
            inside = "I-" + label
            j = i + 1
            while j < n and tags[j] == inside:
                j += 1
            out.append((i, j, label))
            i = j
        else:
            i += 1
    return out
