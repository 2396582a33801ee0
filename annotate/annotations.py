"""A pull folder: every annotator's documents, matched across annotators by document id.

``goldwire annotate pull`` writes one goldwire JSONL per annotator::

    DIR/annotators/<username>.jsonl

A document present in an annotator's file counts as **annotated by** that annotator, even
with no entity marked (an empty list is an annotation: "nothing to mark here"). Documents
are matched by ``id``; every copy of a document must have the same ``text_sha256``, since
offsets only agree when the texts do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from goldwire.errors import InputError, UsageError
from goldwire.schema import Document, LabelSchema, read_jsonl

ANNOTATORS_DIR = "annotators"
PULL_HINT = "pull annotations with `goldwire annotate pull`"


@dataclass(frozen=True)
class AnnotationSet:
    """Every annotator's copy of every document of one pull folder.

    ``documents`` maps a document id to ``{annotator: Document}``, ids in the order they
    first appear (annotators read in sorted order), annotators sorted within each document.
    """

    folder: Path
    annotators: tuple[str, ...]
    files: dict[str, Path]
    documents: dict[str, dict[str, Document]]

    def __len__(self) -> int:
        return len(self.documents)

    def annotated_by(self, doc_id: str) -> tuple[str, ...]:
        return tuple(self.documents[doc_id])

    def shared(self, a: str, b: str) -> list[str]:
        """Ids of the documents both ``a`` and ``b`` annotated."""
        return [i for i, copies in self.documents.items() if a in copies and b in copies]

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every pair of annotators, ``a < b``."""
        return combinations(self.annotators, 2)

    def documents_by_annotator(self) -> dict[str, int]:
        return {
            name: sum(1 for copies in self.documents.values() if name in copies)
            for name in self.annotators
        }

    def multiply_annotated(self) -> int:
        """How many documents at least two annotators annotated."""
        return sum(1 for copies in self.documents.values() if len(copies) >= 2)


def annotator_files(folder: str | Path) -> dict[str, Path]:
    """``{username: path}`` of ``folder/annotators/*.jsonl`` (hidden files skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; {PULL_HINT} --out {folder}")
    sub = folder / ANNOTATORS_DIR
    if not sub.is_dir():
        raise InputError(
            f"{folder}: no {ANNOTATORS_DIR}/ folder; a pull folder holds "
            f"{ANNOTATORS_DIR}/<username>.jsonl, one file per annotator ({PULL_HINT})"
        )
    files = {
        p.stem: p for p in sorted(sub.glob("*.jsonl")) if not p.name.startswith(".") and p.stem
    }
    if not files:
        raise InputError(
            f"{sub}: no <username>.jsonl files; {PULL_HINT} or copy one JSONL per annotator here"
        )
    return files


def load_annotations(folder: str | Path, labels: LabelSchema | None = None) -> AnnotationSet:
    """Read a pull folder; every span is checked, and with ``labels`` every label too.

    Raises :class:`InputError` for a missing folder, a document id used twice in one file,
    or copies of one document whose ``text_sha256`` differ between annotators.
    """
    folder = Path(folder)
    files = annotator_files(folder)
    documents: dict[str, dict[str, Document]] = {}
    for name, path in files.items():
        seen: set[str] = set()
        for doc in read_jsonl(path):
            if doc.id in seen:
                raise InputError(
                    f"{path}: document {doc.id} appears twice; keep one copy per annotator"
                )
            seen.add(doc.id)
            if labels is not None:
                try:
                    doc.validate(labels)
                except InputError as exc:
                    raise type(exc)(f"{path}: {exc}") from None
            copies = documents.setdefault(doc.id, {})
            if copies:
                _check_same_text(doc, path, copies, files)
            copies[name] = doc
    return AnnotationSet(folder, tuple(files), files, documents)


def _check_same_text(
    doc: Document, path: Path, copies: dict[str, Document], files: dict[str, Path]
) -> None:
    other_name, other = next(iter(copies.items()))
    if other.text_sha256 != doc.text_sha256:
        raise InputError(
            f"{path}: document {doc.id} has text_sha256 {doc.text_sha256[:12]}… but "
            f"{files[other_name].name} has {other.text_sha256[:12]}… for the same id; the "
            "annotators saw different texts: pull both from the same project or drop the "
            "stale file"
        )


def require_pairs(annotations: AnnotationSet) -> None:
    """Raise unless at least two annotators share at least one document."""
    if len(annotations.annotators) < 2:
        raise UsageError(
            f"{annotations.folder}: agreement needs at least two annotators, found "
            f"{len(annotations.annotators)} ({', '.join(annotations.annotators)}); "
            f"assign documents to a second annotator and pull again"
        )
