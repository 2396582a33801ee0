"""``gazetteer``: the CoNLL-2003 shared-task baseline.

Tjong Kim Sang and De Meulder (2003), section 5: the baseline "only identified entities which
had a unique class in the training data. If a phrase was part of more than one entity, the
system would select the longest one." Here:

* **Lexicon**: every entity of the training documents as its token sequence
  (:func:`goldwire.tokenize.tokenize`), with the labels it was annotated with; phrases
  annotated with exactly one label are kept, the others are dropped (counted as ambiguous).
  Whether a phrase also occurs unannotated in the training text is not considered, as in the
  baseline. Matching is case-sensitive on tokens.
  ``ambiguous="majority"`` keeps ambiguous phrases too, with their most frequent label (ties:
  the first label in alphabetical order). On CoNLL-2003 English this variant reproduces the
  recall of the published baseline exactly (65.23 development, 50.90 test), which the
  unique-class rule does not (see docs/benchmarks.md).
* **Tagging**: left to right over the tokens of each line (a CoNLL document's line is one
  sentence; a match never runs across a line break), the longest lexicon phrase starting at
  the current token is tagged and tagging resumes after it; otherwise the next token is tried.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from goldwire.errors import InputError, UsageError
from goldwire.evaluate.models.base import Model, Task, prediction
from goldwire.files import write_json
from goldwire.schema import Document, Entity
from goldwire.tokenize import Token, tokenize

LEXICON_FILE = "gazetteer.json"
AMBIGUOUS = ("drop", "majority")


def lines_of_tokens(text: str) -> list[list[Token]]:
    """Tokens grouped by the line of the text they are on (lines without tokens left out)."""
    out: list[list[Token]] = []
    current: list[Token] = []
    prev_end = 0
    for tok in tokenize(text):
        if current and "\n" in text[prev_end : tok.start]:
            out.append(current)
            current = []
        current.append(tok)
        prev_end = tok.end
    if current:
        out.append(current)
    return out


def entity_phrases(doc: Document) -> tuple[list[tuple[tuple[str, ...], str]], int]:
    """``(token texts, label)`` of each entity of ``doc`` on token boundaries, and how many
    entities are not on token boundaries (left out)."""
    tokens = tokenize(doc.text)
    starts = {t.start: i for i, t in enumerate(tokens)}
    ends = {t.end: i for i, t in enumerate(tokens)}
    out, misaligned = [], 0
    for e in doc.entities:
        first, last = starts.get(e.start), ends.get(e.end)
        if first is None or last is None or last < first:
            misaligned += 1
            continue
        out.append((tuple(t.text for t in tokens[first : last + 1]), e.label))
    return out, misaligned


class Gazetteer(Model):
    """Phrases with a unique class in the training data, longest match first."""

    name = "gazetteer"
    task = Task.ENTITIES
    trainable = True
    summary = (
        "CoNLL-2003 baseline: tag phrases that had a unique class in the training "
        "data, longest match first"
    )

    def __init__(
        self, lexicon: dict[tuple[str, ...], str] | None = None, *, ambiguous: str = "drop"
    ) -> None:
        super().__init__()
        if ambiguous not in AMBIGUOUS:
            raise UsageError(f"ambiguous must be one of {', '.join(AMBIGUOUS)}, got {ambiguous!r}")
        self.ambiguous = ambiguous
        self.lexicon: dict[tuple[str, ...], str] = dict(lexicon or {})
        self._index()

    def config(self) -> dict[str, Any]:
        return {"ambiguous": self.ambiguous}

    def _index(self) -> None:
        self._longest: dict[str, int] = defaultdict(int)
        for phrase in self.lexicon:
            self._longest[phrase[0]] = max(self._longest[phrase[0]], len(phrase))

    def fit(self, train: Sequence[Document], validation: Sequence[Document] = ()) -> dict[str, Any]:
        labels: dict[tuple[str, ...], Counter] = defaultdict(Counter)
        entities = misaligned = 0
        for doc in train:
            phrases, bad = entity_phrases(doc)
            misaligned += bad
            entities += len(phrases)
            for phrase, label in phrases:
                labels[phrase][label] += 1
        if self.ambiguous == "majority":
            self.lexicon = {
                p: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for p, c in labels.items()
            }
        else:
            self.lexicon = {p: next(iter(c)) for p, c in labels.items() if len(c) == 1}
        self._index()
        self.training = {
            "documents": len(train),
            "entities": entities,
            "entities_not_on_token_boundaries": misaligned,
            "phrases": len(labels),
            "phrases_kept": len(self.lexicon),
            "phrases_ambiguous": sum(1 for c in labels.values() if len(c) > 1),
        }
        return self.training

    def match(self, tokens: Sequence[Token]) -> list[tuple[int, int, str]]:
        """``(first token, last token exclusive, label)`` of the longest-first matches."""
        out = []
        i, n = 0, len(tokens)
        while i < n:
            longest = min(self._longest.get(tokens[i].text, 0), n - i)
            for length in range(longest, 0, -1):
                label = self.lexicon.get(tuple(t.text for t in tokens[i : i + length]))
                if label is not None:
                    out.append((i, i + length, label))
                    i += length
                    break
            else:
                i += 1
        return out

    def predict_document(self, doc: Document) -> Document:
        self.check_fitted()
        entities = []
        for line in lines_of_tokens(doc.text):
            for a, b, label in self.match(line):
                start, end = line[a].start, line[b - 1].end
                entities.append(
                    Entity(f"e{len(entities) + 1}", start, end, label, doc.text[start:end])
                )
        return prediction(doc, entities=entities)

    def _save_state(self, folder: Path) -> list[str]:
        rows = sorted([list(p), label] for p, label in self.lexicon.items())
        write_json(folder / LEXICON_FILE, {"phrases": rows}, indent=None)
        return [LEXICON_FILE]

    @classmethod
    def _load_state(cls, folder: Path, meta: dict[str, Any]) -> Gazetteer:
        path = folder / LEXICON_FILE
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))["phrases"]
            lexicon = {tuple(tokens): str(label) for tokens, label in rows}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: cannot read the gazetteer ({exc}); retrain it") from exc
        return cls(lexicon, **meta.get("config", {}))
