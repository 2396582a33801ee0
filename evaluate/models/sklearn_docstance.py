"""``sklearn-docstance``: document stance toward a target text, FNC-1 style.

Each (document, target) pair, the target being e.g. an FNC-1 headline, becomes one feature
row, after the FNC-1 baselines (Riedel et al. 2017, "A simple but tough-to-beat baseline for
the Fake News Challenge stance detection task"; the official FNC-1 baseline's overlap and
refuting-word features):

* TF-IDF of the target and TF-IDF of the document text (one vectoriser fitted on the training
  targets and texts; unigrams and bigrams, sublinear tf, English stop words removed);
* the cosine similarity of the two TF-IDF vectors, in ten bins as well as raw;
* word overlap: Jaccard similarity and overlap counts of the lower-cased content words of
  the target and of the text's first 250 words and of the whole text;
* refuting and hedging words (``fake``, ``hoax``, ``denied``, ``reportedly``, ...) in the
  target and the text, also multiplied by the cosine similarity, so that the linear model
  can use them only where the pair is related.

A multinomial logistic regression (``class_weight="balanced"`` off by default: FNC-1 is
scored on raw counts) predicts the label. The targets asked about are the document's
``doc_stances`` targets (their labels are blanked before the model sees them) and the
corpus's ``doc_stance_targets``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from goldwire.errors import InputError
from goldwire.evaluate.models.base import Model, Task, prediction
from goldwire.evaluate.models.sklearn_ner import VectorizerEstimatorState
from goldwire.schema import DocStance, Document

WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
REFUTING = frozenset(
    "fake fraud hoax false deny denies denied denial not despite nope doubt doubts bogus "
    "debunk debunked debunks pranks retract retracted retracts rumor rumour rumors rumours "
    "unverified unconfirmed misleading satire".split()
)
HEDGING = frozenset(
    "reportedly allegedly claims claimed claim apparently purportedly may might could "
    "possibly unconfirmed rumored rumoured suggests suggested according".split()
)


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD_RE.findall(text)]


def content(tokens: Sequence[str]) -> set[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return {t for t in tokens if t not in ENGLISH_STOP_WORDS and len(t) > 1}


def pair_features(target: str, body: str, cosine: float) -> list[float]:
    """The dense features of one pair (overlap, refuting and hedging words, cosine bins)."""
    t_words, b_words = words(target), words(body)
    t_set, b_set, lead = content(t_words), content(b_words), content(b_words[:250])
    union = t_set | b_set
    overlap = len(t_set & b_set)
    refute_t = sum(w in REFUTING for w in t_words)
    refute_b = sum(w in REFUTING for w in b_words)
    hedge_b = sum(w in HEDGING for w in b_words)
    bins = [0.0] * 10
    bins[min(9, int(cosine * 10))] = 1.0
    return [
        cosine,
        len(t_set & b_set) / len(union) if union else 0.0,
        overlap / len(t_set) if t_set else 0.0,
        len(t_set & lead) / len(t_set) if t_set else 0.0,
        float(refute_t > 0),
        np.log1p(refute_b),
        np.log1p(hedge_b),
        float(refute_t > 0) * cosine,
        np.log1p(refute_b) * cosine,
        np.log1p(hedge_b) * cosine,
        *bins,
    ]


class SklearnDocStance(VectorizerEstimatorState, Model):
    """TF-IDF of target and text, cosine and overlap features, logistic regression."""

    name = "sklearn-docstance"
    state_file = "docstance.joblib"
    task = Task.DOC_STANCES
    trainable = True
    reads = frozenset({"doc_stance_targets"})
    summary = "TF-IDF of target and text + cosine/overlap features, logistic regression"

    def __init__(
        self,
        *,
        max_features: int = 5000,
        c: float = 1.0,
        class_weight: str | None = None,
        seed: int = 0,
        targets: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.max_features, self.c, self.class_weight, self.seed = (
            max_features,
            c,
            class_weight,
            seed,
        )
        self.targets = tuple(targets)  # the corpus's doc_stance_targets, asked of every doc
        self.vectorizer: Any = None
        self.estimator: Any = None

    def config(self) -> dict[str, Any]:
        return {
            "max_features": self.max_features,
            "c": self.c,
            "class_weight": self.class_weight,
            "seed": self.seed,
            "targets": list(self.targets),
        }

    def _matrix(self, pairs: Sequence[tuple[str, str]], bodies: dict[str, Any]):
        """Feature rows of ``(target, text)`` pairs; ``bodies`` caches text vectors."""
        from scipy import sparse

        targets = self.vectorizer.transform([t for t, _ in pairs])
        missing = [b for b in {b for _, b in pairs} if b not in bodies]
        if missing:
            for b, row in zip(missing, self.vectorizer.transform(missing), strict=True):
                bodies[b] = row
        body_rows = sparse.vstack([bodies[b] for _, b in pairs]).tocsr()
        cos = np.asarray(targets.multiply(body_rows).sum(axis=1)).ravel()
        dense = np.array(
            [pair_features(t, b, float(c)) for (t, b), c in zip(pairs, cos, strict=True)]
        )
        return sparse.hstack([targets, body_rows, sparse.csr_matrix(dense)]).tocsr()

    def fit(self, train: Sequence[Document], validation: Sequence[Document] = ()) -> dict[str, Any]:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        pairs, labels = _labelled_pairs(train)
        if len(set(labels)) < 2:
            raise InputError(
                "sklearn-docstance needs training documents with document "
                "stances of at least two labels; the train split has "
                f"{len(labels)} pair(s) and labels {sorted(set(labels))}"
            )
        self.vectorizer = TfidfVectorizer(
            max_features=self.max_features,
            ngram_range=(1, 2),
            sublinear_tf=True,
            stop_words="english",
            dtype=np.float32,
        )
        texts = sorted({t for t, _ in pairs} | {b for _, b in pairs})
        self.vectorizer.fit(texts)
        x = self._matrix(pairs, {})
        self.estimator = LogisticRegression(
            C=self.c, max_iter=2000, class_weight=self.class_weight, random_state=self.seed
        )
        self.estimator.fit(x, np.asarray(labels))
        self.training = {
            "documents": len(train),
            "pairs": len(pairs),
            "labels": {c: labels.count(c) for c in sorted(set(labels))},
            "vocabulary": len(self.vectorizer.vocabulary_),
        }
        if validation:
            v_pairs, v_labels = _labelled_pairs(validation)
            if v_pairs:
                pred = self.estimator.predict(self._matrix(v_pairs, {}))
                self.training["validation_accuracy"] = float(np.mean(pred == np.asarray(v_labels)))
        return self.training

    def predict_document(self, doc: Document) -> Document:
        self.check_fitted()
        targets = list(dict.fromkeys([d.target for d in doc.doc_stances] + list(self.targets)))
        out: list[DocStance] = []
        if targets:
            x = self._matrix([(t, doc.text) for t in targets], {})
            proba = self.estimator.predict_proba(x)
            classes = [str(c) for c in self.estimator.classes_]
            for target, row in zip(targets, proba, strict=True):
                best = int(row.argmax())
                out.append(DocStance(target, classes[best], score=float(row[best])))
        return prediction(doc, doc_stances=out)


def _labelled_pairs(docs: Sequence[Document]) -> tuple[list[tuple[str, str]], list[str]]:
    pairs, labels = [], []
    for doc in docs:
        seen = set()
        for d in doc.doc_stances:
            if d.target in seen or not d.label:
                continue
            seen.add(d.target)
            pairs.append((d.target, doc.text))
            labels.append(d.label)
    return pairs, labels
