"""Hugging Face token-classification models the user already has (``--model hf:PATH``).

``PATH`` is a local model directory (``save_pretrained``: config, weights, a *fast* tokenizer);
nothing is downloaded (``local_files_only``). A document is tokenized once with offsets, in
windows of the model's length that overlap by ``stride`` tokens; each token's prediction is
taken from the window where it has the most context on both sides. Sub-tokens are gathered
into the tokenizer's words (``word_ids``) and a word takes the tag of its first sub-token
(``aggregation="first"``), or the entity type of its most confident sub-token (``"max"``) or of
the mean of its sub-tokens' probabilities (``"average"``), the probabilities of a type's tags
(B-, I-, ...) added up; with those two the tag's prefix is still the first sub-token's, since
models trained on sub-tokens tag the pieces after the first ``I-``. Words are then decoded as
IOB2/IOB1/BIOES/IO tags (an ``I-`` without a ``B-`` starts an entity); an entity's score is the
mean of its words' scores.

Fast tokenizers give offsets into the Python string, that is code points, as goldwire. Model
labels become goldwire labels through :class:`~goldwire.evaluate.models.spacy_adapter.LabelMap`.

torch and transformers are imported when a model is loaded, not when this module is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from goldwire.choices import parse_choice
from goldwire.errors import InputError, UsageError, require
from goldwire.evaluate.models.base import prediction
from goldwire.evaluate.models.spacy_adapter import (
    FALLBACK_LABEL,
    ExternalModel,
    LabelMap,
    entities_from_spans,
)
from goldwire.schema import Document, LabelSchema

if TYPE_CHECKING:
    import numpy as np

HUGE_LENGTH = 100_000  # tokenizers without a known limit report ~1e30


class Aggregation(str, Enum):
    """How the sub-tokens of a word decide the word's label."""

    FIRST = "first"
    MAX = "max"
    AVERAGE = "average"

    @classmethod
    def parse(cls, value: str | Aggregation) -> Aggregation:
        return parse_choice(cls, value, "aggregation")


# tag prefix -> (starts an entity, ends it)
_PREFIXES = {
    "B": (True, False),
    "I": (False, False),
    "E": (False, True),
    "L": (False, True),
    "S": (True, True),
    "U": (True, True),
}


def split_tag(tag: str) -> tuple[str, str | None]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", None)``; ``"PER"`` (IO tags) ->
    ``("I", "PER")``."""
    if tag in ("O", "o", ""):
        return "O", None
    prefix, sep, rest = tag.partition("-")
    if sep and rest and prefix.upper() in _PREFIXES:
        return prefix.upper(), rest
    return "I", tag


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    tag: str
    score: float


def decode_words(words: Sequence[Word]) -> list[tuple[int, int, str, float]]:
    """Entities ``(start, end, model_label, mean word score)`` from tagged words in order."""
    out: list[tuple[int, int, str, float]] = []
    current: list[Any] | None = None  # [label, start, end, scores]

    def close() -> None:
        nonlocal current
        if current is not None:
            out.append((current[1], current[2], current[0], sum(current[3]) / len(current[3])))
        current = None

    for word in words:
        prefix, label = split_tag(word.tag)
        if prefix == "O":
            close()
            continue
        begins, ends = _PREFIXES[prefix]
        if begins or current is None or current[0] != label:
            close()
            current = [label, word.start, word.end, [word.score]]
        else:
            current[2] = word.end
            current[3].append(word.score)
        if ends:
            close()
    close()
    return out


Token = tuple[int, tuple[int, int]]  # (token id, character offsets)


def windows_to_tokens(windows: Sequence[Sequence[Token]], full: Sequence[Token]) -> list[int]:
    """Where each window's content tokens start in the whole document's tokens.

    Windows are consecutive, overlapping slices of the document's tokens. A window is placed
    by its tokens' ids *and* character offsets (the place in the text), so a text that repeats
    itself cannot place it at an earlier repetition, and nothing relies on the tokenizer's
    stride arithmetic.
    """
    full = [(int(i), (int(s), int(e))) for i, (s, e) in full]
    at: dict[tuple[int, int], list[int]] = {}
    for index, (_, offsets) in enumerate(full):
        at.setdefault(offsets, []).append(index)
    starts: list[int] = []
    for window in windows:
        window = [(int(i), (int(s), int(e))) for i, (s, e) in window]
        previous = starts[-1] if starts else 0
        candidates = at.get(window[0][1], []) if window else []
        for start in candidates:
            if start >= previous and full[start : start + len(window)] == window:
                starts.append(start)
                break
        else:
            raise InputError("the tokenizer's windows do not line up with the document's tokens")
    return starts


class HFTokenModel(ExternalModel):
    """A token-classification model (``AutoModelForTokenClassification``) and its tokenizer."""

    name: ClassVar[str] = "hf"
    summary: ClassVar[str] = "a Hugging Face token-classification model from a local directory"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        path: str = "",
        labels: LabelSchema | None = None,
        label_map: Mapping[str, str | None] | str | None = None,
        fallback: str | None = FALLBACK_LABEL,
        aggregation: str | Aggregation = Aggregation.FIRST,
        max_length: int | None = None,
        stride: int | None = None,
        batch_size: int = 8,
    ) -> None:
        super().__init__()
        if not getattr(tokenizer, "is_fast", False):
            raise InputError(
                f"hf model {path or type(model).__name__}: its tokenizer is not a fast "
                "tokenizer, which the character offsets need; save the model with a "
                "tokenizer.json (AutoTokenizer.from_pretrained(..., use_fast=True))"
            )
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.path = path
        self.label_map = LabelMap.for_schema(labels, label_map, fallback)
        self.aggregation = Aggregation.parse(aggregation)
        self.id2label = {int(k): str(v) for k, v in model.config.id2label.items()}
        if all(re.fullmatch(r"LABEL_\d+", v) for v in self.id2label.values()):
            raise InputError(
                f"hf model {path or type(model).__name__}: its config names no labels "
                f"({', '.join(sorted(self.id2label.values())[:3])}, ...); set id2label in its "
                "config.json to the tags it was trained with (B-PER, I-PER, O, ...)"
            )
        self._kinds: dict[str | None, list[int]] = {}  # entity type (None: O) -> its tag ids
        for i, tag in sorted(self.id2label.items()):
            self._kinds.setdefault(split_tag(tag)[1], []).append(i)
        self.max_length = max_length or self._model_length()
        content = self.max_length - tokenizer.num_special_tokens_to_add()
        if content < 2:
            raise UsageError(f"max_length {self.max_length} leaves no room for the text")
        self.stride = content // 4 if stride is None else stride
        if not 0 <= self.stride < content:
            raise UsageError(
                f"stride must be between 0 and {content - 1} (the window holds {content} "
                f"text tokens), got {self.stride}"
            )
        if batch_size < 1:
            raise UsageError(f"batch_size must be at least 1, got {batch_size}")
        self.batch_size = batch_size

    def _model_length(self) -> int:
        limit = int(self.tokenizer.model_max_length)
        positions = getattr(self.model.config, "max_position_embeddings", None)
        if limit >= HUGE_LENGTH:
            # RoBERTa-like models keep 2 positions for padding: stay below both conventions
            limit = positions - 2 if positions else 512
        return min(limit, positions) if positions else limit

    @classmethod
    def load(cls, path: str | Path | None = None, **options: Any) -> HFTokenModel:
        """Load a local model directory; never a name from a hub."""
        require("torch", "transformers")
        transformers = require("transformers", "transformers")
        path = cls._need_path(path)
        if not Path(path).is_dir():
            raise InputError(
                f"hf model {path!r} is not a directory; goldwire loads only local models: "
                "download one first (`hf download NAME --local-dir DIR`) and use --model hf:DIR"
            )
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = transformers.AutoModelForTokenClassification.from_pretrained(
                path, local_files_only=True
            )
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(
                f"hf model {path!r} cannot be loaded as a token-classification model with its "
                f"tokenizer ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
            ) from exc
        return cls(model, tokenizer, path=path, **options)

    def config(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "label_map": self.label_map.config(),
            "aggregation": self.aggregation.value,
            "max_length": self.max_length,
            "stride": self.stride,
            "batch_size": self.batch_size,
        }

    # ---- prediction

    def predict_document(self, doc: Document) -> Document:
        spans = decode_words(self.words(doc.text))
        return prediction(doc, entities=entities_from_spans(doc.text, spans, self.label_map))

    def words(self, text: str) -> list[Word]:
        """The words of ``text`` (the tokenizer's) with offsets, predicted tag and score."""
        if not text.strip():
            return []
        full = self.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        n = len(full["input_ids"])
        if n == 0:
            return []
        offsets = full["offset_mapping"]
        probs = self.token_probabilities(text, list(zip(full["input_ids"], offsets, strict=True)))
        word_ids = full.word_ids()
        groups: dict[Any, list[int]] = {}
        for i in range(n):
            key = word_ids[i] if word_ids[i] is not None else ("token", i)
            groups.setdefault(key, []).append(i)
        words = []
        for tokens in groups.values():
            spans = [offsets[i] for i in tokens if offsets[i][1] > offsets[i][0]]
            if not spans:
                continue
            label_id, score = self._aggregate(probs[tokens])
            words.append(
                Word(
                    min(s for s, _ in spans),
                    max(e for _, e in spans),
                    self.id2label[label_id],
                    score,
                )
            )
        words.sort(key=lambda w: w.start)
        return words

    def _aggregate(self, probs: np.ndarray) -> tuple[int, float]:
        """The tag id and score of a word from its sub-tokens' probabilities (in order)."""
        first = probs[0]
        if self.aggregation is Aggregation.FIRST:
            best = int(first.argmax())
            return best, float(first[best])
        if self.aggregation is Aggregation.MAX:
            row = probs[int(probs.max(axis=1).argmax())]
        else:
            row = probs.mean(axis=0)
        scores = {kind: float(row[ids].sum()) for kind, ids in self._kinds.items()}
        kind = max(scores, key=scores.__getitem__)
        ids = self._kinds[kind]
        return ids[int(first[ids].argmax())], scores[kind]

    def token_probabilities(self, text: str, full: Sequence[Token]) -> np.ndarray:
        """Label probabilities of each of the document's tokens (``full``: ids and offsets of
        the text tokenized whole; rows in that order), each from the window where the token
        is farthest from a window edge."""
        import numpy as np

        enc = self.tokenizer(
            text,
            truncation=True,
            max_length=self.max_length,
            stride=self.stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=True,
            return_tensors="pt",
        )
        n_windows = enc["input_ids"].shape[0]
        # per window: the positions of the text's tokens, and where they start in the document
        content = [
            [i for i, s in enumerate(enc.sequence_ids(w)) if s == 0] for w in range(n_windows)
        ]
        windows = [
            list(
                zip(
                    enc["input_ids"][w, pos].tolist(),
                    enc["offset_mapping"][w, pos].tolist(),
                    strict=True,
                )
            )
            for w, pos in enumerate(content)
        ]
        starts = windows_to_tokens(windows, full)
        n = len(full)
        out = np.zeros((n, len(self.id2label)), dtype=np.float32)
        margin = np.full(n, -1)
        for w, probs in enumerate(self._window_probabilities(enc)):
            pos, first = content[w], starts[w]
            m = len(pos)
            k = np.arange(m)
            # context on each side; a window edge that is the document's edge cuts nothing
            left = k if first > 0 else np.full(m, m)
            right = m - 1 - k if first + m < n else np.full(m, m)
            edge = np.minimum(left, right)
            better = edge > margin[first : first + m]
            rows = np.flatnonzero(better)
            margin[first + rows] = edge[rows]
            out[first + rows] = probs[np.asarray(pos)[rows]]
        if (margin < 0).any():
            raise InputError("the tokenizer's windows left tokens of the document unpredicted")
        return out

    def _window_probabilities(self, enc: Any) -> Iterator[np.ndarray]:
        """Label probabilities (positions x labels) of each window, computed in batches."""
        torch = require("torch", "transformers")
        names = ("input_ids", "attention_mask", "token_type_ids")
        inputs = {k: v for k, v in enc.items() if k in names}
        n_windows = enc["input_ids"].shape[0]
        for b in range(0, n_windows, self.batch_size):
            batch = {k: v[b : b + self.batch_size] for k, v in inputs.items()}
            with torch.inference_mode():
                logits = self.model(**batch).logits
            yield from torch.softmax(logits.float(), dim=-1).numpy()
