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
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from goldwire.bio import spans_to_iob2
from goldwire.errors import SpanError
from goldwire.schema import Document
from goldwire.tokenize import tokenize

DOCSTART_LINE = "-DOCSTART- -X- -X- O"


def document_to_conll(doc: Document) -> list[str]:
    """The lines of one document (without newlines), starting with its -DOCSTART- line."""
    where = f"document {doc.id or doc.source}"
    tokens = tokenize(doc.text)
    offsets = [(t.start, t.end) for t in tokens]
    tags = spans_to_iob2(offsets, [(e.start, e.end, e.label) for e in doc.entities], where=where)
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
        lines.append(f"{token.text} _ _ {tag}")
        prev_end = token.end
    if prev_end is not None:
        lines.append("")
    return lines


def documents_to_conll(docs: Iterable[Document]) -> Iterator[str]:
    """CoNLL-2003-style IOB2 lines (without newlines) for the documents, in order."""
    for doc in docs:
        yield from document_to_conll(doc)
