"""Reader for CoNLL-style IOB2 files (``conll``): CoNLL-2003 and two-column ``token TAG``.

One token per line, the NER tag in the last column (CoNLL-2003: ``token POS chunk NER``),
blank lines between sentences and ``-DOCSTART-`` lines between documents. A file without
``-DOCSTART-`` lines is one document.

Each document's text is its tokens joined by single spaces, one sentence per line, so the
text's lines are the sentences and every token is a whitespace-separated word of the text.
Entities come from the IOB2 tags (:func:`goldwire.bio.iob2_to_spans`, read sentence by
sentence), with ids ``e1``, ``e2``, ...; the entities layer has status ``reader:conll`` (the
other layers ``none``). Each sentence is one ``body`` paragraph.

When the second sentence (or the third, after a byline) is a dateline such as
``LONDON 1996-08-30`` or ``AKRON , Ohio 1996-08-22``, the document gets ``dateline`` (the
city: the tokens before the first comma), ``published`` (the date) and ``title`` (the first
sentence); the text itself is never restructured.

The split comes from the file name (``train*``; ``valid*``, ``dev*``, ``*testa`` ->
``validation``; ``test*``, ``*testb`` -> ``test``). The language is ``options.language``, or
``en`` when the document has CoNLL-2003 English columns (Penn Treebank POS tags), else left
for the pipeline to detect.

A line that cannot be read (one column, an invalid tag, a different column count) rejects
its document, naming the file, line and document; the rest of the file goes on. An ``I-X``
that does not continue an ``X`` entity (IOB1 style) starts a new entity, as conlleval reads
it, and is counted in ``meta["iob_repaired"]``; with ``options.strict`` it rejects the
document instead.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from goldwire.bio import iob2_to_spans
from goldwire.corpus.readers.base import Reader, ReadOptions, Rejection
from goldwire.schema import Document, Entity, Paragraph

DOCSTART = "-DOCSTART-"
TAG_RE = re.compile(r"^(?:O|[BI]-\S+)$")
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# Penn Treebank POS tags as used in CoNLL-2003 English (the second of four columns)
PENN_TAGS = frozenset(
    "CC CD DT EX FW IN JJ JJR JJS LS MD NN NNS NNP NNPS PDT POS PRP PRP$ RB RBR RBS RP SYM TO "
    "UH VB VBD VBG VBN VBP VBZ WDT WP WP$ WRB NN|SYM -LRB- -RRB- `` '' \" $ # ( ) , . :".split()
)
SNIFF_SUFFIXES = (".conll", ".iob", ".iob2", ".bio")


@dataclass
class _Doc:
    """A document being collected: sentences of (token, tag) and the lines they came from."""

    number: int
    line: int  # first line of the document (its -DOCSTART- line, or its first token)
    sentences: list[list[tuple[str, str]]] = field(default_factory=list)
    sentence_lines: list[list[int]] = field(default_factory=list)
    columns: int = 0
    pos: list[str] = field(default_factory=list)
    error: tuple[int, str] | None = None  # (line, message) of the first problem
    open: bool = False  # the current sentence is still being filled

    def add(self, token: str, tag: str, lineno: int) -> None:
        if not self.open:
            self.sentences.append([])
            self.sentence_lines.append([])
            self.open = True
        self.sentences[-1].append((token, tag))
        self.sentence_lines[-1].append(lineno)


def split_from_name(path: Path) -> str | None:
    """The preset split a file name implies: train / validation / test, or None."""
    stem = path.name.lower()
    if re.search(r"testa(?![a-z])", stem):
        return "validation"
    if re.search(r"testb(?![a-z])", stem):
        return "test"
    for prefix, split in (("train", "train"), ("valid", "validation"), ("dev", "validation"),
                          ("test", "test")):  # fmt: skip
        if stem.startswith(prefix):
            return split
    return None


def is_tag(value: str) -> bool:
    return TAG_RE.match(value) is not None


def _tagged_line(line: str) -> bool:
    cols = line.split()
    return len(cols) >= 2 and is_tag(cols[-1])


def _valid_date(token: str) -> str | None:
    m = DATE_RE.match(token)
    if m is None:
        return None
    try:
        return datetime.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def _is_city_token(token: str) -> bool:
    """An upper-case place word: LONDON, AL-AIN, ST., N'DJAMENA."""
    return token[0].isupper() and not any(ch.islower() for ch in token)


def _match_dateline(tokens: list[str]) -> tuple[str, str] | None:
    """``(city, iso_date)`` for ``CITY [, Region] YYYY-MM-DD`` tokens, else None."""
    if len(tokens) < 2:
        return None
    date = _valid_date(tokens[-1])
    if date is None:
        return None
    place = tokens[:-1]
    comma = place.index(",") if "," in place else len(place)
    city, region = place[:comma], place[comma + 1 :]
    if not city or not all(_is_city_token(t) for t in city):
        return None
    if comma < len(place) and not region:
        return None
    if not all(t == "." or t[0].isupper() for t in region):
        return None
    return " ".join(city), date


def find_dateline(sentences: list[list[str]]) -> tuple[str, str, str] | None:
    """``(city, iso_date, raw_date)`` from the second sentence, or from the third when the
    second is a byline or the place of a dateline whose date stands alone (``MONTGOMERY ,
    Ala .`` then ``1996-08-22``)."""
    if len(sentences) < 2:
        return None
    found = _match_dateline(sentences[1])
    if found is not None:
        return (*found, sentences[1][-1])
    second = sentences[1]
    if len(sentences) < 3 or len(second) > 6 or any(_valid_date(t) for t in second):
        return None
    third = sentences[2]
    found = _match_dateline(third)
    if found is None and len(third) == 1:
        found = _match_dateline(second + third)
    if found is None:
        return None
    return (*found, third[-1])


class ConllReader(Reader):
    """CoNLL-2003 / IOB2 token-per-line files; documents split at ``-DOCSTART-``."""

    def __init__(self) -> None:
        super().__init__(
            "conll",
            (*SNIFF_SUFFIXES, ".txt"),
            "CoNLL-2003 or token-TAG IOB2 file, documents split at -DOCSTART-",
            gold_layer="entities",
        )

    def sniff(self, path: Path, head: str) -> bool:
        if path.suffix.lower() in SNIFF_SUFFIXES or re.search(f"^{DOCSTART}", head, re.M):
            return True
        lines = [line for line in head.split("\n") if line.strip()]
        tagged = sum(1 for line in lines if _tagged_line(line))
        return tagged >= 2 and tagged > len(lines) / 2

    def read(self, path: Path, text: str, options: ReadOptions) -> Iterator[Document | Rejection]:
        split = split_from_name(path)
        doc: _Doc | None = None
        number = 0
        for lineno, line in enumerate(text.split("\n"), 1):
            cols = line.split()
            if not cols:
                if doc is not None:
                    doc.open = False
                continue
            if cols[0] == DOCSTART:
                if doc is not None:
                    yield self._finish(path, doc, split, options)
                number += 1
                doc = _Doc(number, lineno)
                continue
            if doc is None:
                number += 1
                doc = _Doc(number, lineno)
            if doc.error is None:
                self._add_line(path, doc, cols, lineno)
        if doc is not None:
            yield self._finish(path, doc, split, options)

    def _add_line(self, path: Path, doc: _Doc, cols: list[str], lineno: int) -> None:
        if len(cols) < 2:
            doc.error = (
                lineno,
                f"one column ({cols[0]!r}); a token line needs the token and its tag "
                "separated by whitespace ('token TAG' or 'token POS chunk TAG')",
            )
            return
        if doc.columns and len(cols) != doc.columns:
            first = doc.sentence_lines[0][0]
            doc.error = (
                lineno,
                f"{len(cols)} columns where line {first} has {doc.columns}; every token line "
                "of a document needs the same columns",
            )
            return
        tag = cols[-1]
        if not is_tag(tag):
            doc.error = (
                lineno,
                f"invalid tag {tag!r}; tags must be O, B-LABEL or I-LABEL (IOB2), in the last "
                "column",
            )
            return
        doc.columns = len(cols)
        if len(cols) == 4:
            doc.pos.append(cols[1])
        doc.add(cols[0], tag, lineno)

    def _finish(
        self, path: Path, doc: _Doc, split: str | None, options: ReadOptions
    ) -> Document | Rejection:
        source = f"{path}#{doc.number}"
        if doc.error is not None:
            line, problem = doc.error
            return Rejection(
                str(path),
                "unparseable",
                f"{path}:{line}: {problem} (document {doc.number}, which is skipped)",
                f"line {line}",
            )
        if not doc.sentences:
            return Rejection(
                str(path),
                "empty",
                f"{path}:{doc.line}: document {doc.number} has no tokens; remove the extra "
                f"{DOCSTART} line",
                f"line {doc.line}",
            )
        repaired = 0
        for sentence, lines in zip(doc.sentences, doc.sentence_lines, strict=True):
            bad = _non_iob2(sentence)
            if bad and options.strict:
                i = bad[0]
                tag, prev = sentence[i][1], sentence[i - 1][1] if i else "O"
                return Rejection(
                    str(path),
                    "unparseable",
                    f"{path}:{lines[i]}: tag {tag} after {prev} does not continue an entity, "
                    f"which IOB2 does not allow (document {doc.number}, which is skipped); "
                    f"make it B-{tag[2:]}, or read without strict to accept IOB1",
                    f"line {lines[i]}",
                )
            repaired += len(bad)
        return self._document(path, doc, source, split, repaired, options)

    def _document(
        self,
        path: Path,
        doc: _Doc,
        source: str,
        split: str | None,
        repaired: int,
        options: ReadOptions,
    ) -> Document:
        pieces: list[str] = []
        paragraphs: list[Paragraph] = []
        spans: list[tuple[int, int, str]] = []
        pos = 0
        for sentence in doc.sentences:
            if pieces:
                pieces.append("\n")
                pos += 1
            start = pos
            offsets = []
            for i, (token, _) in enumerate(sentence):
                if i:
                    pos += 1
                offsets.append((pos, pos + len(token)))
                pos += len(token)
            pieces.append(" ".join(token for token, _ in sentence))
            paragraphs.append(Paragraph("body", start, pos))
            spans.extend(iob2_to_spans(offsets, [tag for _, tag in sentence]))
        text = "".join(pieces)
        entities = [
            Entity(f"e{i}", start, end, label, text[start:end])
            for i, (start, end, label) in enumerate(spans, 1)
        ]
        meta = {"reader": self.name, "columns": str(doc.columns), "line": str(doc.line)}
        if split is not None:
            meta["split"] = split
        if repaired:
            meta["iob_repaired"] = str(repaired)
        tokens = [[token for token, _ in sentence] for sentence in doc.sentences]
        found = find_dateline(tokens)
        return Document(
            id="",
            text=text,
            source=source,
            dateline=found[0] if found else None,
            published=found[1] if found else None,
            published_raw=found[2] if found else None,
            title=" ".join(tokens[0]) if found else "",
            paragraphs=paragraphs,
            language=options.language or _language(doc),
            meta=meta,
            entities=entities,
            annotation=self.annotation(),
        )


def _language(doc: _Doc) -> str | None:
    """``en`` for CoNLL-2003 English columns (90% Penn Treebank POS tags), else None."""
    if doc.columns != 4 or not doc.pos:
        return None
    penn = sum(1 for tag in doc.pos if tag in PENN_TAGS)
    return "en" if penn >= 0.9 * len(doc.pos) else None


def _non_iob2(sentence: list[tuple[str, str]]) -> list[int]:
    """Indices of the ``I-X`` tags that do not continue an ``X`` entity (IOB1 style)."""
    out, prev = [], "O"
    for i, (_, tag) in enumerate(sentence):
        if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
            out.append(i)
        prev = tag
    return out
