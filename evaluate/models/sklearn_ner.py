"""``sklearn-ner``: a linear token classifier with BIO decoding.

Each token (:func:`goldwire.tokenize.tokenize`, one sentence per line of the text) becomes a
bag of string features, the usual ones of feature-based NER (Ratinov and Roth 2009): the word
lower-cased, its shape (``Xxxx``, ``dd-dd``) and short shape (``Xx``), prefixes and suffixes up
to four characters, capitalisation, digit and punctuation flags, whether the whole line is in
capitals (CoNLL headlines), the position in the line, and the words and shapes of the two
tokens on either side with the two word bigrams around the token. The features are hashed
(``FeatureHasher``, 2^20 buckets) and an ``SGDClassifier`` (logistic loss, elastic-net-free L2,
averaged weights) predicts the IOB2 tag of each token.

Decoding: the tag sequence of a line is the most probable one under the classifier's
probabilities among the sequences that are valid IOB2 (no ``I-X`` that does not continue an
``X``), found by Viterbi; ``decode="greedy"`` takes each token's best tag instead and lets
:func:`goldwire.bio.iob2_to_spans` read it as conlleval does. Tags become character spans
with :func:`goldwire.bio.iob2_to_spans`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from goldwire.bio import iob2_to_spans, spans_to_iob2
from goldwire.errors import InputError, SpanError, UsageError
from goldwire.evaluate.models.base import Model, Task, prediction
from goldwire.evaluate.models.gazetteer import lines_of_tokens
from goldwire.schema import Document, Entity
from goldwire.tokenize import Token

ESTIMATOR_FILE = "estimator.joblib"
N_FEATURES = 2**20
_UPPER, _LOWER, _DIGIT = re.compile(r"[^\W\d_]", re.U), re.compile(r"[a-z]"), re.compile(r"\d")


def word_shape(word: str) -> str:
    """``Xxxx`` for ``Moscow``, ``dddd-dd-dd`` for a date, ``XX`` for ``EU``."""
    out = []
    for ch in word:
        if ch.isdigit():
            out.append("d")
        elif ch.isalpha():
            out.append("X" if ch.isupper() else "x")
        else:
            out.append(ch)
    return "".join(out)


def short_shape(word: str) -> str:
    """The shape with repeated characters collapsed: ``Xx`` for ``Moscow``."""
    shape = word_shape(word)
    return "".join(ch for i, ch in enumerate(shape) if i == 0 or ch != shape[i - 1])


def line_features(tokens: Sequence[Token]) -> list[list[str]]:
    """The string features of each token of one line (sentence)."""
    words = [t.text for t in tokens]
    lower = [w.lower() for w in words]
    shapes = [short_shape(w) for w in words]
    letters = [w for w in words if any(ch.isalpha() for ch in w)]
    all_caps = len(letters) > 2 and all(w.upper() == w for w in letters)
    n = len(words)

    def at(seq: list[str], i: int) -> str:
        return seq[i] if 0 <= i < n else ("<s>" if i < 0 else "</s>")

    out = []
    for i, w in enumerate(words):
        lw = lower[i]
        f = ["b", f"w={lw}", f"sh={word_shape(w)[:12]}", f"ss={shapes[i]}", f"len={min(len(w), 8)}"]
        f += [f"p{k}={lw[:k]}" for k in range(1, 5) if len(lw) >= k]
        f += [f"s{k}={lw[-k:]}" for k in range(1, 5) if len(lw) >= k]
        if w[:1].isupper():
            f.append("title" if i else "title_first")
        if w.isupper() and len(w) > 1:
            f.append("upper")
        if _DIGIT.search(w):
            f.append("digit")
        if "-" in w:
            f.append("hyphen")
        if "." in w:
            f.append("period")
        if all_caps:
            f.append("caps_line")
        if i == 0:
            f.append("first")
        for d in (-2, -1, 1, 2):
            f.append(f"w{d:+d}={at(lower, i + d)}")
            f.append(f"ss{d:+d}={at(shapes, i + d)}")
        f.append(f"bg-={at(lower, i - 1)}|{lw}")
        f.append(f"bg+={lw}|{at(lower, i + 1)}")
        f.append(f"ssw-={at(shapes, i - 1)}|{shapes[i]}|{at(shapes, i + 1)}")
        out.append(f)
    return out


def allowed_transitions(tags: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(start, trans)`` boolean masks of valid IOB2: ``I-X`` only after ``B-X``/``I-X``."""
    k = len(tags)
    start = np.array([not t.startswith("I-") for t in tags])
    trans = np.ones((k, k), dtype=bool)
    for j, t in enumerate(tags):
        if t.startswith("I-"):
            trans[:, j] = [p in (f"B-{t[2:]}", t) for p in tags]
    return start, trans


def viterbi(logp: np.ndarray, start: np.ndarray, trans: np.ndarray) -> list[int]:
    """The best path through ``logp`` (tokens x tags) using only allowed transitions."""
    n, k = logp.shape
    neg = -1e9
    score = np.where(start, logp[0], neg)
    back = np.zeros((n, k), dtype=np.int64)
    penalty = np.where(trans, 0.0, neg)
    for i in range(1, n):
        cand = score[:, None] + penalty
        back[i] = cand.argmax(axis=0)
        score = cand.max(axis=0) + logp[i]
    path = [int(score.argmax())]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


class SklearnNer(Model):
    """Hashed lexical features, SGD logistic regression, IOB2-constrained Viterbi decoding."""

    name = "sklearn-ner"
    task = Task.ENTITIES
    trainable = True
    summary = "scikit-learn token classifier (word shape, affixes, neighbours) + BIO decoding"

    def __init__(
        self, *, alpha: float = 1e-6, epochs: int = 15, decode: str = "viterbi", seed: int = 0
    ) -> None:
        super().__init__()
        if decode not in ("viterbi", "greedy"):
            raise UsageError(f"decode must be viterbi or greedy, got {decode!r}")
        self.alpha, self.epochs, self.decode, self.seed = alpha, epochs, decode, seed
        self.estimator: Any = None

    def config(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "epochs": self.epochs,
            "decode": self.decode,
            "seed": self.seed,
        }

    @staticmethod
    def _hasher():
        from sklearn.feature_extraction import FeatureHasher

        return FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False)

    def _examples(self, docs: Sequence[Document]) -> Iterator[tuple[list[str], str]]:
        for doc in docs:
            lines = lines_of_tokens(doc.text)
            offsets = [(t.start, t.end) for line in lines for t in line]
            spans = [(e.start, e.end, e.label) for e in doc.entities]
            try:
                tags = spans_to_iob2(offsets, spans, where=f"document {doc.id}")
            except SpanError as exc:
                raise InputError(f"{exc}; sklearn-ner trains on token-aligned entities") from exc
            i = 0
            for line in lines:
                for feats in line_features(line):
                    yield feats, tags[i]
                    i += 1

    def fit(self, train: Sequence[Document], validation: Sequence[Document] = ()) -> dict[str, Any]:
        from sklearn.linear_model import SGDClassifier

        feats, tags = [], []
        for f, t in self._examples(train):
            feats.append(f)
            tags.append(t)
        if len(set(tags)) < 2:
            raise InputError(
                "sklearn-ner needs training documents with entities (and tokens "
                "outside them); the train split has none"
            )
        x = self._hasher().transform(feats)
        del feats
        clf = SGDClassifier(
            loss="log_loss",
            alpha=self.alpha,
            max_iter=self.epochs,
            tol=None,
            average=True,
            random_state=self.seed,
            n_jobs=None,
        )
        clf.fit(x, np.asarray(tags))
        self.estimator = clf
        self._decoding()
        self.training = {
            "documents": len(train),
            "tokens": len(tags),
            "tags": {t: tags.count(t) for t in sorted(set(tags))},
        }
        if validation:
            self.training["validation_token_accuracy"] = self._token_accuracy(validation)
        return self.training

    def _token_accuracy(self, docs: Sequence[Document]) -> float:
        pairs = list(self._examples(docs))
        if not pairs:
            return 0.0
        pred = self.estimator.predict(self._hasher().transform([f for f, _ in pairs]))
        return float(np.mean(pred == np.asarray([t for _, t in pairs])))

    def _decoding(self) -> None:
        self.tags = [str(t) for t in self.estimator.classes_]
        self._start, self._trans = allowed_transitions(self.tags)
        # features x tags, contiguous: X @ W without scikit-learn copying coef_.T per call
        self._weights = np.ascontiguousarray(self.estimator.coef_.T)
        self._intercept = np.asarray(self.estimator.intercept_)

    def log_proba(self, x) -> np.ndarray:
        """Log of the classifier's probabilities (scikit-learn's one-vs-rest logistic
        probabilities, normalised per token) for a hashed feature matrix."""
        from scipy.special import expit

        scores = np.asarray(x @ self._weights) + self._intercept
        proba = expit(scores)
        proba /= proba.sum(axis=1, keepdims=True)
        return np.log(np.clip(proba, 1e-12, None))

    def predict_document(self, doc: Document) -> Document:
        self.check_fitted()
        lines = lines_of_tokens(doc.text)
        entities: list[Entity] = []
        if lines:
            feats = [f for line in lines for f in line_features(line)]
            logp = self.log_proba(self._hasher().transform(feats))
            i = 0
            for line in lines:
                part = logp[i : i + len(line)]
                i += len(line)
                if self.decode == "viterbi":
                    best = viterbi(part, self._start, self._trans)
                else:
                    best = part.argmax(axis=1).tolist()
                tags = [self.tags[j] for j in best]
                for start, end, label in iob2_to_spans([(t.start, t.end) for t in line], tags):
                    entities.append(
                        Entity(f"e{len(entities) + 1}", start, end, label, doc.text[start:end])
                    )
        return prediction(doc, entities=entities)

    def _save_state(self, folder: Path) -> list[str]:
        import joblib

        joblib.dump(self.estimator, folder / ESTIMATOR_FILE, compress=3)
        return [ESTIMATOR_FILE]

    @classmethod
    def _load_state(cls, folder: Path, meta: dict[str, Any]) -> SklearnNer:
        model = cls(**meta.get("config", {}))
        model.estimator = load_joblib(folder / ESTIMATOR_FILE)
        model._decoding()
        return model


def load_joblib(path: Path) -> Any:
    import joblib

    try:
        return joblib.load(path)
    except (OSError, EOFError, ValueError, AttributeError, ImportError, ModuleNotFoundError) as exc:
        raise InputError(f"{path}: cannot load ({exc}); retrain the model") from exc


class VectorizerEstimatorState:
    """Saving and loading for models whose learned state is a fitted ``vectorizer`` and
    ``estimator`` (scikit-learn objects), stored together in ``state_file`` with joblib."""

    state_file: str = "state.joblib"
    vectorizer: Any
    estimator: Any

    def _save_state(self, folder: Path) -> list[str]:
        import joblib

        joblib.dump(
            {"vectorizer": self.vectorizer, "estimator": self.estimator},
            folder / self.state_file,
            compress=3,
        )
        return [self.state_file]

    @classmethod
    def _load_state(cls, folder: Path, meta: dict[str, Any]):
        model = cls(**meta.get("config", {}))
        state = load_joblib(folder / cls.state_file)
        model.vectorizer, model.estimator = state["vectorizer"], state["estimator"]
        return model
