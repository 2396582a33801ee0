"""Documents as CoNLL-2003-style IOB2 lines (``corpus export --format conll``).

Layout, as in the CoNLL-2003 files: a ``-DOCSTART- -X- -X- O`` line and a blank line before
each document, then one token per line as ``token _ _ TAG`` (the POS and chunk columns are
``_``), a blank line after each sentence. Tokens come from :func:`goldwire.tokenize.tokenize`
and tags from :func:`goldwire.bio.spans_to_iob2`; a sentence is a line of the document's text
(lines without tokens are skipped), so a document read by the ``conll`` reader exports back
to the same sentences.

An entity that IOB2 cannot hold (not on token boundaries, overlapping another entity, or
running across a line break) raises :class:`goldwire.errors.SpanError` naming the document,
before any line of that document is yielded.

**Documents without entity gold** (``tagged=False``; ``corpus export --format conll --all``
writes them so) have their tokens without any tag column: one token per line, nothing else,
rather than ``O`` tags that would teach a model that nothing there is an entity. Readers of
CoNLL refuse such lines instead of taking them for ``O``: goldwire's ``conll`` corpus reader
rejects the document ("one column ...; a token line needs the token and its tag") and reads
the others of the file; ``goldwire evaluate`` stops at the first such line (ParseError
"expected a token and a tag"); conlleval (the Perl script and its Python ports) stops at a
line whose number of columns differs from the first line's ("unexpected number of
features"). To train or score, export without ``--all``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from goldwire.bio import spans_to_iob2
from goldwire.errors import SpanError
from goldwire.schema import Document
from goldwire.tokenize import tokenize

DOCSTART_LINE = "-DOCSTART- -X- -X- O"


def document_to_conll(doc: Document, *, tagged: bool = True) -> list[str]:
    """The lines of one document (without newlines), starting with its -DOCSTART- line;
    ``tagged=False``: its tokens alone, without a tag column (see the module docstring)."""
    where = f"document {doc.id or doc.source}"
    tokens = tokenize(doc.text)
    offsets = [(t.start, t.end) for t in tokens]
    if tagged:
        spans = [(e.start, e.end, e.label) for e in doc.entities]
        tags = spans_to_iob2(offsets, spans, where=where)
    else:
        tags = [""] * len(tokens)
    lines = [DOCSTART_LINE, ""]
    prev_end = None
    for token, tag in zip(tokens, tags, strict=True):
        if prev_end is not None and "\n" in doc.text[prev_end : token.start]:
            if tag.startswith("I-"):
                raise SpanError(
                    f"{where}: an entity {tag[2:]} runs across a line break before "
                    f"{token.text!r} at {token.start}; CoNLL sentences are the text's lines, "
                    "so split the entity or join the lines"
                )
            lines.append("")
        lines.append(f"{token.text} _ _ {tag}" if tagged else token.text)
        prev_end = token.end
    if prev_end is not None:
        lines.append("")
    return lines


def documents_to_conll(docs: Iterable[Document]) -> Iterator[str]:
    """CoNLL-2003-style IOB2 lines (without newlines) for the documents, in order."""
    for doc in docs:
        yield from document_to_conll(doc)
