"""The reader interface.

A reader turns one decoded file into documents. It is a generator: for each document it
yields a :class:`goldwire.schema.Document` (``id`` and ``text_sha256`` are filled by the
pipeline afterwards from the final text, so readers may leave ``id`` empty) or a
:class:`Rejection` naming what could not be read and why. Nothing is dropped silently:
whatever a reader skips, it yields a Rejection for.

Readers are pure: same input, same output; they never touch global state, so the pipeline
can run them in worker processes.

A reader of a public corpus that brings gold for one layer (CoNLL-2003 entities, BASIL
stances, FNC-1 document stances) names that layer in ``gold_layer`` and gives its documents
:meth:`Reader.annotation`: that layer ``reader:<name>``, the others ``none``. Every other
reader leaves the default ``none`` on every layer (nobody annotated the articles), except the
``jsonl`` reader's goldwire documents, which keep the status they were written with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from goldwire.provenance import Annotation, reader_status
from goldwire.schema import Document


@dataclass(frozen=True)
class ReadOptions:
    """Options every reader may use; each reader ignores what it does not need."""

    year: int | None = None
    language: str | None = None
    # JSONL field mapping: goldwire field -> JSON key (dotted paths allowed: "meta.date")
    fields: tuple[tuple[str, str], ...] = ()
    strict: bool = False


@dataclass
class Rejection:
    """Something in the input that did not become a document, with the reason."""

    source: str
    reason: str  # a short code: empty, binary, undecodable, unparseable, schema, no-body, ...
    message: str  # one line: what is wrong and what to do
    item: str = ""  # where inside the file: "line 12", "document 3"

    def to_json(self) -> dict[str, str]:
        return {
            "source": self.source,
            "reason": self.reason,
            "item": self.item,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Rejection:
        return cls(data["source"], data["reason"], data["message"], data.get("item", ""))


@dataclass
class Reader:
    """Base class: subclasses set ``name``/``suffixes`` and implement ``read``."""

    name: str = ""
    suffixes: tuple[str, ...] = ()
    description: str = ""
    extra_meta: dict[str, str] = field(default_factory=dict)
    # a reader whose files have a known encoding sets it; the pipeline then decodes its files
    # with it instead of sniffing (decode_bytes), e.g. "latin-1" for Reuters-21578 .sgm
    encoding: str | None = None
    # the layer whose gold a public corpus brings (goldwire.provenance.LAYERS), or None
    gold_layer: str | None = None

    def annotation(self) -> Annotation:
        """A document's annotation status as this reader gives it: ``reader:<name>`` on its
        gold layer, ``none`` elsewhere."""
        annotation = Annotation()
        if self.gold_layer is not None:
            annotation.set_status(self.gold_layer, reader_status(self.name))
        return annotation

    def sniff(self, path: Path, head: str) -> bool:
        """Whether this reader recognises a file (used by ``--format auto``)."""
        return path.suffix.lower() in self.suffixes

    def read(
        self, path: Path, text: str, options: ReadOptions
    ) -> Iterator[Document | Rejection]:  # pragma: no cover - interface
        raise NotImplementedError
