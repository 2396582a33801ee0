"""Extraction models behind one interface (:class:`~goldwire.evaluate.models.base.Model`).

``MODELS`` maps a model name to its class. :func:`load_model` turns a ``--model`` value,
``NAME`` or ``NAME:PATH``, into a ready model: a trained model loaded from the folder that
``goldwire evaluate train`` wrote, a training-free model as it is (``rules-stance:PATH``
gives it the entity model saved in ``PATH``), or an adapter of a model the user has
(``spacy:PATH``). Heavy libraries are imported by a model when it is built, not here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldwire.errors import UsageError

if TYPE_CHECKING:
    from goldwire.evaluate.models.base import Model, Task

# name -> (module, class): classes are imported on first use, so that the CLI starts without
# numpy / scikit-learn and an adapter's library is only touched when that adapter is used
_REGISTRY: dict[str, tuple[str, str]] = {
    "gazetteer": ("gazetteer", "Gazetteer"),
    "sklearn-ner": ("sklearn_ner", "SklearnNer"),
    "rules-stance": ("rules_stance", "RulesStance"),
    "sklearn-stance": ("sklearn_stance", "SklearnStance"),
    "prior-stance": ("sklearn_stance", "PriorStance"),
    "sklearn-docstance": ("sklearn_docstance", "SklearnDocStance"),
    "spacy": ("spacy_adapter", "SpacyModel"),
    "hf": ("hf_adapter", "HFTokenModel"),
    "transformers": ("hf_adapter", "HFTokenModel"),
    "gliner": ("gliner_adapter", "GlinerModel"),
}


class _Models(Mapping):
    """The model registry: a read-only mapping name -> model class, imported lazily."""

    def __getitem__(self, name: str) -> type[Model]:
        module, cls = _REGISTRY[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), cls)

    def __iter__(self) -> Iterator[str]:
        return iter(_REGISTRY)

    def __len__(self) -> int:
        return len(_REGISTRY)


MODELS: Mapping[str, type[Model]] = _Models()


def __getattr__(name: str):  # Model, Task, read_meta without importing base eagerly
    if name in ("Model", "Task", "read_meta"):
        return getattr(importlib.import_module(f"{__name__}.base"), name)
    raise AttributeError(name)


def model_class(name: str) -> type[Model]:
    try:
        return MODELS[name]
    except KeyError:
        raise UsageError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}") from None


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``NAME`` or ``NAME:PATH`` -> (name, path or None)."""
    name, sep, path = spec.strip().partition(":")
    if not name:
        raise UsageError(f"--model needs a model name (NAME or NAME:PATH), got {spec!r}")
    if sep and not path:
        raise UsageError(f"--model {spec!r} ends with ':' but gives no path; use NAME:PATH")
    return name, path or None


def create_model(name: str, params: dict[str, Any] | None = None) -> Model:
    """A new (untrained) model with the given settings."""
    cls = model_class(name)
    try:
        return cls(**(params or {}))
    except TypeError as exc:
        raise UsageError(f"{name}: bad setting ({exc}); see the model's documentation") from exc


def load_model(spec: str) -> Model:
    """The model for a ``--model`` value: ``NAME`` or ``NAME:PATH``."""
    name, path = parse_spec(spec)
    cls = model_class(name)
    if path is not None:
        return cls.load(path)
    if cls.trainable:
        raise UsageError(
            f"{name} must be trained first: `goldwire evaluate train --model {name} --corpus "
            f"CORPUS --out DIR`, then use --model {name}:DIR"
        )
    from goldwire.evaluate.models.base import Model

    if cls.load.__func__ is not Model.load.__func__:  # type: ignore[attr-defined]
        return cls.load(None)  # adapters that need a path say so
    return cls()


def load_saved(path: str | Path) -> Model:
    """Whatever model a folder written by ``goldwire evaluate train`` holds."""
    from goldwire.evaluate.models.base import read_meta

    meta = read_meta(Path(path))
    return model_class(str(meta.get("model"))).load(Path(path))


__all__ = [
    "MODELS",
    "Model",
    "Task",
    "create_model",
    "load_model",
    "load_saved",
    "model_class",
    "parse_spec",
]
