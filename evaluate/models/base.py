"""The model interface: goldwire documents in, goldwire documents with predictions out.

A model predicts one kind of annotation, its :class:`Task`: ``entities``, ``stances`` or
``doc_stances``. :meth:`Model.predict_document` takes a document and returns a copy of it
(same id, text and metadata) whose annotations are the model's predictions only: an entity
model returns ``entities``, a stance model ``stances`` (each endpoint a span of the text, or a
name only for the article itself when its agency is not mentioned), a document-stance model
``doc_stances``. Nothing else is copied from the input, so a predictions file never carries
gold annotations.

What a model may read besides the text is declared in :attr:`Model.reads`: ``entities`` (a
stance model links the entity mentions it is given, gold or predicted) and
``doc_stance_targets`` (a document-stance model labels the targets it is asked about; their
gold labels are blanked before the model sees them, see :func:`query_document`).

Models that learn are fitted on documents (:meth:`Model.fit`, usually the train split) and
saved to a folder: ``model.json`` (model name, format version, goldwire and library
versions, configuration, what it was trained on) next to the model's own files (JSON, written
through :mod:`goldwire.files`, or joblib for scikit-learn estimators). joblib files are
pickles: load only folders you made.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import warnings
from collections.abc import Iterable, Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from goldwire import __version__
from goldwire.errors import InputError, UsageError
from goldwire.files import write_json
from goldwire.schema import DocStance, Document

FORMAT_VERSION = 1
META_FILE = "model.json"
VERSIONED_LIBRARIES = ("scikit-learn", "numpy", "scipy", "joblib")
GOLD_META_PREFIX = "gold_"  # metadata keys that hold gold annotations (hidden from models)


class Task(str, Enum):
    """The annotation a model predicts (the name of the document field it fills)."""

    ENTITIES = "entities"
    STANCES = "stances"
    DOC_STANCES = "doc_stances"


class ModelVersionWarning(UserWarning):
    """A saved model was made with other library versions than the ones installed."""


def library_versions() -> dict[str, str]:
    """Versions of Python, goldwire and the libraries a saved model may depend on."""
    from importlib import metadata

    out = {"python": platform.python_version(), "goldwire": __version__}
    for name in VERSIONED_LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


class Model:
    """Base class of every goldwire model.

    Subclasses set the class attributes and implement :meth:`predict_document`; models that
    learn also implement :meth:`fit`, :meth:`_save_state` and :meth:`_load_state`.
    """

    name: ClassVar[str] = ""
    task: ClassVar[Task]
    trainable: ClassVar[bool] = False
    reads: ClassVar[frozenset[str]] = frozenset()
    summary: ClassVar[str] = ""

    def __init__(self) -> None:
        self.training: dict[str, Any] = {}

    # ---- what subclasses provide

    def config(self) -> dict[str, Any]:
        """The settings that define the model (saved in model.json)."""
        return {}

    def fit(self, train: Sequence[Document], validation: Sequence[Document] = ()) -> dict[str, Any]:
        """Learn from annotated documents; returns facts about the fit (also kept in
        ``self.training`` and saved)."""
        raise UsageError(f"{self.name} is training-free; use it as it is (--model {self.name})")

    def predict_document(self, doc: Document) -> Document:  # pragma: no cover - interface
        raise NotImplementedError

    def _save_state(self, folder: Path) -> list[str]:
        """Write the learned state into ``folder``; returns the file names written."""
        return []

    @classmethod
    def _load_state(cls, folder: Path, meta: dict[str, Any]) -> Model:
        return cls(**meta.get("config", {}))

    # ---- shared behaviour

    def predict(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            yield self.predict_document(doc)

    @property
    def fitted(self) -> bool:
        return not self.trainable or bool(self.training)

    def check_fitted(self) -> None:
        if not self.fitted:
            raise UsageError(
                f"{self.name} has not been trained; train it with `goldwire evaluate train "
                f"--model {self.name} --corpus CORPUS --out DIR` and use --model {self.name}:DIR"
            )

    def save(self, folder: str | Path) -> Path:
        """Save the model into ``folder`` (created); returns the path of model.json."""
        self.check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = self._save_state(folder)
        meta = {
            "model": self.name,
            "task": self.task.value,
            "format_version": FORMAT_VERSION,
            "versions": library_versions(),
            "config": self.config(),
            "training": self.training,
            "files": files,
        }
        return write_json(folder / META_FILE, meta)

    @classmethod
    def load(cls, folder: str | Path) -> Model:
        """Load a model saved by :meth:`save` (checking its name and format version)."""
        folder = Path(folder)
        meta = read_meta(folder)
        if meta.get("model") != cls.name:
            raise InputError(
                f"{folder}: holds a {meta.get('model')!r} model, not {cls.name!r}; use "
                f"--model {meta.get('model')}:{folder}"
            )
        check_versions(folder, meta)
        model = cls._load_state(folder, meta)
        model.training = dict(meta.get("training") or {})
        return model

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "task": self.task.value,
            "trainable": self.trainable,
            "reads": sorted(self.reads),
            "config": self.config(),
        }


def read_meta(folder: Path) -> dict[str, Any]:
    path = folder / META_FILE
    if not path.is_file():
        raise InputError(
            f"{folder}: not a saved goldwire model (no {META_FILE}); train one with "
            "`goldwire evaluate train`"
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if version != FORMAT_VERSION:
        raise InputError(
            f"{path}: model format version {version} but this goldwire reads "
            f"{FORMAT_VERSION}; retrain the model"
        )
    return meta


def check_versions(folder: Path, meta: dict[str, Any]) -> None:
    """Warn (ModelVersionWarning) when a saved model's library versions differ."""
    saved = meta.get("versions") or {}
    now = library_versions()
    changed = [
        f"{lib} {saved[lib]} -> {now[lib]}"
        for lib in VERSIONED_LIBRARIES
        if lib in saved and saved[lib] != now.get(lib)
    ]
    if changed:
        warnings.warn(
            f"{folder}: saved with other library versions ({', '.join(changed)}); "
            "predictions may differ or loading may fail: retrain the model",
            ModelVersionWarning,
            stacklevel=3,
        )


def prediction(doc: Document, **annotations: list) -> Document:
    """A copy of ``doc`` (id, text, metadata) carrying only the given annotations."""
    return dataclasses.replace(
        doc,
        meta=dict(doc.meta),
        paragraphs=list(doc.paragraphs),
        entities=list(annotations.get("entities", [])),
        stances=list(annotations.get("stances", [])),
        doc_stances=list(annotations.get("doc_stances", [])),
    )


def query_document(doc: Document, reads: frozenset[str] | set[str]) -> Document:
    """What a model is shown of a (gold) document: the text and metadata, the entities if it
    reads them, the document-stance targets (labels blanked) if it reads them, no stances.
    Metadata keys starting with ``gold_`` (gold annotations kept in ``meta``, such as BASIL's
    evidence spans) are left out."""
    targets = []
    if "doc_stance_targets" in reads:
        seen = set()
        for d in doc.doc_stances:
            if d.target not in seen:
                seen.add(d.target)
                targets.append(DocStance(d.target, ""))
    return dataclasses.replace(
        doc,
        meta={k: v for k, v in doc.meta.items() if not k.startswith(GOLD_META_PREFIX)},
        paragraphs=list(doc.paragraphs),
        entities=[dataclasses.replace(e, annotators=[], score=None) for e in doc.entities]
        if "entities" in reads
        else [],
        stances=[],
        doc_stances=targets,
    )
