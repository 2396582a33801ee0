"""spaCy pipelines the user already has, as goldwire entity models (``--model spacy:PATH``).

``PATH`` is a pipeline directory (``nlp.to_disk``) or the name of an installed pipeline package
(``spacy:en_core_web_sm``); nothing is downloaded. Entities are ``doc.ents``; spaCy's character
offsets are code points of the text, as goldwire's. spaCy gives no entity scores.

Model labels become goldwire labels through a :class:`LabelMap`, shared with the Hugging Face
adapter: a label of the target label set is kept (CoNLL's PER/ORG/LOC/MISC, the goldwire
labels), OntoNotes' PERSON becomes PER, any other label MISC; explicit entries override both.

spaCy is imported when a pipeline is loaded, not when this module is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from goldwire.errors import InputError, UsageError, require
from goldwire.evaluate.models.base import Model, Task, prediction
from goldwire.schema import DEFAULT_ENTITY_LABELS, Document, Entity, LabelSchema

# Model labels (OntoNotes as spaCy's English pipelines, CoNLL, goldwire) -> goldwire labels.
DEFAULT_LABEL_MAP: dict[str, str] = {
    "PERSON": "PER",
    "PER": "PER",
    "ORG": "ORG",
    "GPE": "GPE",
    "LOC": "LOC",
    "NORP": "NORP",
    "EVENT": "EVENT",
    "MISC": "MISC",
}
FALLBACK_LABEL = "MISC"


class LabelMap:
    """Maps a model's entity labels to the target labels; ``None`` drops the entity.

    Order of rules: an entry of ``overrides`` (value ``None`` drops the label); a label that is
    itself a target label; :data:`DEFAULT_LABEL_MAP` (case-insensitive) when its value is a
    target label; else ``fallback`` (``None``: drop). Dropped labels are counted in
    :attr:`dropped`.
    """

    def __init__(
        self,
        targets: Iterable[str] = DEFAULT_ENTITY_LABELS,
        overrides: Mapping[str, str | None] | None = None,
        fallback: str | None = FALLBACK_LABEL,
    ) -> None:
        self.targets = tuple(targets)
        self.overrides = dict(overrides or {})
        wrong = sorted(
            v for v in self.overrides.values() if v is not None and v not in self.targets
        )
        if wrong:
            raise UsageError(
                f"label map targets {', '.join(wrong)} are not labels of the schema "
                f"({', '.join(self.targets)}); map to one of those or to nothing to drop"
            )
        if fallback is not None and fallback not in self.targets:
            fallback = None  # a schema without MISC drops unknown labels instead
        self.fallback = fallback
        self.dropped: Counter[str] = Counter()

    @classmethod
    def for_schema(
        cls,
        labels: LabelSchema | None,
        overrides: Mapping[str, str | None] | str | None = None,
        fallback: str | None = FALLBACK_LABEL,
    ) -> LabelMap:
        if isinstance(overrides, str):
            overrides = parse_label_map(overrides)
        targets = labels.entity_labels if labels is not None else DEFAULT_ENTITY_LABELS
        return cls(targets, overrides, fallback)

    def __call__(self, label: str) -> str | None:
        if label in self.overrides:
            out = self.overrides[label]
        elif label in self.targets:
            out = label
        else:
            out = DEFAULT_LABEL_MAP.get(label.upper())
            if out not in self.targets:
                out = self.fallback
        if out is None:
            self.dropped[label] += 1
        return out

    def config(self) -> dict[str, Any]:
        return {"overrides": dict(self.overrides), "fallback": self.fallback}


def parse_label_map(spec: str) -> dict[str, str | None]:
    """``"PERSON=PER,FAC=LOC,DATE="`` -> ``{"PERSON": "PER", "FAC": "LOC", "DATE": None}``."""
    out: dict[str, str | None] = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        source, sep, target = item.partition("=")
        if not sep or not source.strip():
            raise UsageError(
                f"label map entry {item.strip()!r} is not MODEL_LABEL=LABEL; write e.g. "
                "'PERSON=PER,FAC=LOC,DATE=' (nothing after = drops the label)"
            )
        out[source.strip()] = target.strip() or None
    return out


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` so that it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def entities_from_spans(
    text: str, spans: Iterable[tuple[int, int, str, float | None]], label_map: LabelMap | None
) -> list[Entity]:
    """Entities ``p1, p2, ...`` in text order from ``(start, end, model_label, score)``;
    spans are trimmed of whitespace, mapped through ``label_map`` (when given), empty or
    dropped ones left out."""
    kept = []
    for start, end, label, score in spans:
        start, end = strip_span(text, start, end)
        if start >= end:
            continue
        target = label_map(label) if label_map is not None else label
        if target is not None:
            kept.append((start, end, target, score))
    kept.sort(key=lambda s: (s[0], s[1], s[2]))
    return [
        Entity(f"p{i}", s, e, label, text[s:e], score=score)
        for i, (s, e, label, score) in enumerate(kept, 1)
    ]


class ExternalModel(Model):
    """Base of the adapters: models the user has, loaded from a path, never trained or saved
    by goldwire."""

    task: ClassVar[Task] = Task.ENTITIES
    trainable: ClassVar[bool] = False

    def save(self, folder: str | Path) -> Path:
        raise UsageError(
            f"{self.name} models are not saved by goldwire; use the model directory you "
            f"have with --model {self.name}:PATH"
        )

    @classmethod
    def _need_path(cls, path: str | Path | None) -> str:
        if path is None or not str(path).strip():
            raise UsageError(f"the {cls.name} model needs a path: --model {cls.name}:PATH")
        return str(path)


def _sets_entities(nlp: Any, name: str) -> bool:
    """Whether a pipeline component says it sets ``doc.ents`` (or is named like one that does)."""
    if "ner" in name or "entit" in name:
        return True
    try:
        return "doc.ents" in nlp.get_pipe_meta(name).assigns
    except (KeyError, ValueError, AttributeError):
        return False


class SpacyModel(ExternalModel):
    """Entities of a spaCy pipeline's ``doc.ents``."""

    name: ClassVar[str] = "spacy"
    summary: ClassVar[str] = "a spaCy pipeline (directory or installed package): doc.ents"

    def __init__(
        self,
        nlp: Any,
        *,
        path: str = "",
        labels: LabelSchema | None = None,
        label_map: Mapping[str, str | None] | str | None = None,
        fallback: str | None = FALLBACK_LABEL,
        batch_size: int = 32,
    ) -> None:
        super().__init__()
        if batch_size < 1:
            raise UsageError(f"batch_size must be at least 1, got {batch_size}")
        self.nlp = nlp
        self.path = path
        self.label_map = LabelMap.for_schema(labels, label_map, fallback)
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: str | Path | None = None, **options: Any) -> SpacyModel:
        """Load a pipeline directory or an installed pipeline package (never downloads)."""
        spacy = require("spacy", "spacy")
        path = cls._need_path(path)
        try:
            nlp = spacy.load(path)
        except (OSError, ValueError) as exc:
            raise InputError(
                f"spacy pipeline {path!r} is neither a pipeline directory nor an installed "
                f"pipeline package ({str(exc).splitlines()[0]}); give the directory of "
                "`nlp.to_disk` or install the package with pip"
            ) from exc
        if not any(_sets_entities(nlp, name) for name in nlp.pipe_names):
            raise InputError(
                f"spacy pipeline {path!r} has no entity recognizer (its components: "
                f"{', '.join(nlp.pipe_names) or 'none'})"
            )
        return cls(nlp, path=path, **options)

    def config(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "label_map": self.label_map.config(),
            "batch_size": self.batch_size,
        }

    def predict_document(self, doc: Document) -> Document:
        return next(self.predict([doc]))

    def predict(self, docs: Iterable[Document]) -> Iterator[Document]:
        docs = iter(docs)
        while True:
            batch = [d for _, d in zip(range(self.batch_size), docs, strict=False)]
            if not batch:
                return
            longest = max(len(d.text) for d in batch)
            if longest > self.nlp.max_length:  # a memory guard for parsers; NER is linear
                self.nlp.max_length = longest + 1
            for doc, sdoc in zip(batch, self.nlp.pipe([d.text for d in batch]), strict=True):
                spans = [(e.start_char, e.end_char, e.label_, None) for e in sdoc.ents]
                yield prediction(doc, entities=entities_from_spans(doc.text, spans, self.label_map))
