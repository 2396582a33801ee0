"""GLiNER models the user already has (``--model gliner:PATH``).

``PATH`` is a local GLiNER directory (``save_pretrained``: ``gliner_config.json``, weights, and
the tokenizer files); nothing is downloaded (``local_files_only``). The prompts are the label
schema's entity labels, each written as a short phrase ("person" for PER; ``prompts`` sets
others, ``use_descriptions`` uses the schema's descriptions); predictions come back under the
schema's label names, so no label map is needed.

GLiNER reads at most ``max_len`` words (its config) and silently cuts the rest, so a document
is cut into windows of ``max_words`` words (GLiNER's own word splitter) that overlap by
``overlap`` words. Each window keeps the entities that start in the part of it it owns (the
overlaps are split in the middle); with ``flat_ner`` overlapping entities are then resolved by
score, as GLiNER does within a window. GLiNER's offsets are code points of the window's text.

gliner (and torch) are imported when a model is loaded, not when this module is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from goldwire.errors import InputError, UsageError, require
from goldwire.evaluate.models.base import prediction
from goldwire.evaluate.models.spacy_adapter import ExternalModel, entities_from_spans
from goldwire.schema import DEFAULT_ENTITY_LABELS, Document, LabelSchema

# Short prompts for the goldwire labels, in the style of GLiNER's training labels.
DEFAULT_PROMPTS: dict[str, str] = {
    "PER": "person",
    "ORG": "organization",
    "GPE": "country or city",
    "LOC": "location",
    "NORP": "nationality, religious or political group",
    "EVENT": "event",
    "MISC": "miscellaneous named thing",
}


def label_prompts(
    labels: LabelSchema | None,
    prompts: Mapping[str, str] | None = None,
    use_descriptions: bool = False,
) -> dict[str, str]:
    """Label name -> the phrase GLiNER is prompted with, for every entity label of ``labels``.

    Precedence: ``prompts``; the label's description (``use_descriptions``); the short phrase
    of :data:`DEFAULT_PROMPTS`; the label name in lower case.
    """
    infos = (
        {i.name: i.description for i in labels.entities}
        if labels is not None
        else {name: "" for name in DEFAULT_ENTITY_LABELS}
    )
    prompts = dict(prompts or {})
    unknown = sorted(set(prompts) - set(infos))
    if unknown:
        raise UsageError(
            f"prompts for {', '.join(unknown)}, which are not entity labels of the schema "
            f"({', '.join(infos)})"
        )
    out = {}
    for name, description in infos.items():
        if name in prompts:
            out[name] = prompts[name]
        elif use_descriptions and description:
            out[name] = description
        else:
            out[name] = DEFAULT_PROMPTS.get(name, name.lower())
    seen: dict[str, str] = {}
    for name, prompt in out.items():
        if prompt in seen:
            raise UsageError(
                f"labels {seen[prompt]} and {name} have the same prompt {prompt!r}; give them "
                "different prompts"
            )
        seen[prompt] = name
    return out


def word_windows(n_words: int, size: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Windows over ``n_words`` words: ``(first, end, own_first, own_end)``, end exclusive.

    Consecutive windows overlap by ``overlap`` words; each word is owned by exactly one window,
    the overlaps being split in the middle.
    """
    if n_words <= size:
        return [(0, n_words, 0, n_words)]
    step = size - overlap
    firsts = [*range(0, n_words - size, step), n_words - size]
    # the boundary between window k and k + 1 lies in the middle of their overlap
    bounds = [0] + [(firsts[k + 1] + firsts[k] + size) // 2 for k in range(len(firsts) - 1)]
    bounds.append(n_words)
    return [(first, first + size, bounds[k], bounds[k + 1]) for k, first in enumerate(firsts)]


def resolve_flat(spans: Sequence[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
    """Keep the best-scored spans that overlap no better one (GLiNER's flat decoding)."""
    kept: list[tuple[int, int, str, float]] = []
    for span in sorted(spans, key=lambda s: (-s[3], s[0], s[1], s[2])):
        if all(span[1] <= k[0] or k[1] <= span[0] for k in kept):
            kept.append(span)
    return sorted(kept)


class GlinerModel(ExternalModel):
    """A GLiNER model prompted with the label schema's entity labels."""

    name: ClassVar[str] = "gliner"
    summary: ClassVar[str] = "a GLiNER model from a local directory, prompted with the labels"

    def __init__(
        self,
        model: Any,
        *,
        path: str = "",
        labels: LabelSchema | None = None,
        prompts: Mapping[str, str] | None = None,
        use_descriptions: bool = False,
        threshold: float = 0.5,
        flat_ner: bool = True,
        max_words: int | None = None,
        overlap: int | None = None,
        batch_size: int = 8,
    ) -> None:
        super().__init__()
        if not 0.0 <= threshold <= 1.0:
            raise UsageError(f"threshold must be between 0 and 1, got {threshold}")
        self.model = model
        self.path = path
        self.prompts = label_prompts(labels, prompts, use_descriptions)
        self.threshold = float(threshold)
        self.flat_ner = flat_ner
        self.max_words = int(max_words or getattr(model.config, "max_len", 384))
        if self.max_words < 2:
            raise UsageError(f"max_words must be at least 2, got {self.max_words}")
        self.overlap = self.max_words // 4 if overlap is None else int(overlap)
        if not 0 <= self.overlap < self.max_words:
            raise UsageError(
                f"overlap must be between 0 and {self.max_words - 1} words, got {self.overlap}"
            )
        if batch_size < 1:
            raise UsageError(f"batch_size must be at least 1, got {batch_size}")
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: str | Path | None = None, **options: Any) -> GlinerModel:
        """Load a local GLiNER directory; never a name from a hub."""
        require("torch", "gliner")
        gliner = require("gliner", "gliner")
        path = cls._need_path(path)
        folder = Path(path)
        if not (folder / "gliner_config.json").is_file():
            raise InputError(
                f"gliner model {path!r} is not a GLiNER directory (no gliner_config.json); "
                "goldwire loads only local models: download one first "
                "(`hf download NAME --local-dir DIR`) and use --model gliner:DIR"
            )
        try:
            model = gliner.GLiNER.from_pretrained(path, local_files_only=True, map_location="cpu")
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(
                f"gliner model {path!r} cannot be loaded from its directory alone "
                f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); a GLiNER "
                "directory needs its tokenizer files and its encoder config beside "
                "gliner_config.json"
            ) from exc
        model.eval()
        return cls(model, path=path, **options)

    def config(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "prompts": dict(self.prompts),
            "threshold": self.threshold,
            "flat_ner": self.flat_ner,
            "max_words": self.max_words,
            "overlap": self.overlap,
            "batch_size": self.batch_size,
        }

    # ---- prediction

    def predict_document(self, doc: Document) -> Document:
        return next(self.predict([doc]))

    def predict(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            spans = self.spans(doc.text)
            yield prediction(doc, entities=entities_from_spans(doc.text, spans, None))

    def spans(self, text: str) -> list[tuple[int, int, str, float]]:
        """``(start, end, label, score)`` over the whole text, window by window."""
        splitter = self.model.data_processor.words_splitter
        words = [(start, end) for _token, start, end in splitter(text)]
        if not words:
            return []
        windows = word_windows(len(words), self.max_words, self.overlap)
        texts = [text[words[first][0] : words[end - 1][1]] for first, end, _, _ in windows]
        results = self.model.inference(
            texts,
            self.prompts,
            flat_ner=self.flat_ner,
            threshold=self.threshold,
            batch_size=self.batch_size,
        )
        spans = []
        for (first, _end, own_first, own_end), found in zip(windows, results, strict=True):
            offset = words[first][0]
            # the characters this window owns: from its first owned word to the next window's
            own = (words[own_first][0], words[own_end][0] if own_end < len(words) else len(text))
            for ent in found:
                start, end = offset + int(ent["start"]), offset + int(ent["end"])
                if own[0] <= start < own[1]:
                    spans.append((start, end, str(ent["label"]), float(ent["score"])))
        return resolve_flat(spans) if self.flat_ner else sorted(spans)
