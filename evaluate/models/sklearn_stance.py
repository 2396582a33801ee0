"""``sklearn-stance``: a classifier over candidate (holder, target) mention pairs.

**Candidates.** The mentions of a document are found as for ``rules-stance`` (its entities,
else an entity model's, else capitalised phrases). Every mention is a candidate target; its
candidate holders are the other mentions of its sentence and of the sentences before and
after it (at most :attr:`SklearnStance.max_holders`, nearest first), and the article itself
(its agency mention, or its agency's name when the agency is not mentioned). Mentions with
the same normalised name are never paired.

**Features** (``DictVectorizer``): sentence distance and order; the words between holder and
target in one sentence, the cue-lexicon hits between them and in the target's sentence (with
polarity and negation, :data:`~goldwire.evaluate.models.rules_stance.CUES`); whether the
holder is the article, the sentence's speaker or the subject of a cue, whether the target is
the first mention after a cue; entity labels; the words around both mentions; how often the
target's and holder's names occur in the document and whether they are in the title; where
the target's sentence is (title, first sentences, rest).

**Labels** for training come from the gold stances: a candidate takes a gold stance's label
when its spans overlap the gold holder and target spans, or, for name-only gold (BASIL), when
its names match the gold names (equal after :func:`~goldwire.evaluate.stance.normalize_name`,
or the mention's words are part of the name and end with its last word: ``Trump`` for
``Donald Trump``) and, when the gold keeps evidence spans (``meta["gold_stance_evidence"]``),
the evidence lies in the holder's or target's sentence. Every other candidate is ``NONE``.
The ``fit`` report gives the share of gold triples that some candidate covers (the recall a
perfect classifier could reach).

**Classifier**: logistic regression; a candidate is predicted when its best non-NONE class
has probability at least :attr:`SklearnStance.threshold`, chosen on the validation split
(candidate-level F1 over the stance classes) when the validation split has stances. Per
(holder name, target name) the label with the largest summed probability is kept.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from goldwire.errors import InputError
from goldwire.evaluate.models.base import Model, Task, prediction
from goldwire.evaluate.models.rules_stance import (
    MUTUAL,
    SPEECH_RE,
    CueMatch,
    Span,
    agency_endpoint,
    as_mention,
    cluster,
    document_mentions,
    endpoint_key,
    find_cues,
    sentence_spans,
    speaker,
    subject,
)
from goldwire.evaluate.models.sklearn_ner import VectorizerEstimatorState
from goldwire.evaluate.stance import normalize_name
from goldwire.schema import Document, Mention, Stance

NONE = "NONE"
WORD_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)
THRESHOLDS = (0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


# target features the article-as-holder candidates also get crossed with ``art&``
_ARTICLE_CROSSED = (
    "cue_sent=",
    "t_first_after_cue",
    "quote_sent",
    "t_in_title",
    "t_freq",
    "t_rank",
    "speech_sent",
    "t_pos",
)


@dataclass
class Candidate:
    holder: Span | Mention
    target: Span
    holder_sentence: int  # -1 for the article as holder
    target_sentence: int
    features: dict[str, float] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, str]:
        return cluster(endpoint_key(self.holder)), cluster(self.target.key)


@dataclass
class _DocInfo:
    """What the candidates of one document share: sentences, mentions, cues, speakers."""

    doc: Document
    sentences: list[tuple[int, int]]
    mentions: list[Span]
    by_sentence: list[list[Span]]
    cues: list[list[CueMatch]]
    speakers: list[Span | None]
    agency: Span | Mention | None
    frequency: Counter  # mentions per name cluster
    rank: dict[str, int]  # name cluster -> rank by frequency (1 = most mentioned)
    title_keys: set[str]  # name clusters in the title


def _bucket(n: int) -> str:
    return "0" if n == 0 else "1" if n == 1 else "2-3" if n < 4 else "4-7" if n < 8 else "8+"


def name_matches(mention: str, gold: str) -> bool:
    """Whether a mention's name may stand for a gold name: equal once normalised, or its
    words are among the gold name's and it ends with the same word (``Trump``)."""
    m, g = normalize_name(mention), normalize_name(gold)
    if m == g:
        return True
    mw, gw = m.split(), g.split()
    return bool(mw) and bool(gw) and mw[-1] == gw[-1] and set(mw) <= set(gw)


class SklearnStance(VectorizerEstimatorState, Model):
    """Logistic regression over candidate (holder, target) pairs with a NONE class."""

    name = "sklearn-stance"
    state_file = "stance.joblib"
    task = Task.STANCES
    trainable = True
    reads = frozenset({"entities"})
    summary = "scikit-learn classifier over (holder, target) mention pairs, NONE for no stance"

    def __init__(
        self,
        *,
        c: float = 1.0,
        threshold: float | None = None,
        max_holders: int = 8,
        seed: int = 0,
        ner: Model | None = None,
    ) -> None:
        super().__init__()
        self.c, self.threshold, self.max_holders, self.seed = c, threshold, max_holders, seed
        self.ner = ner
        self.vectorizer: Any = None
        self.estimator: Any = None

    def config(self) -> dict[str, Any]:
        return {
            "c": self.c,
            "threshold": self.threshold,
            "max_holders": self.max_holders,
            "seed": self.seed,
        }

    # ---- candidates and features

    def _info(self, doc: Document) -> _DocInfo:
        text = doc.text
        sentences = sentence_spans(text) or [(0, len(text))]
        mentions = document_mentions(doc, self.ner)
        by_sentence: list[list[Span]] = [[] for _ in sentences]
        starts = [a for a, _ in sentences]
        for s in mentions:
            i = max(0, int(np.searchsorted(starts, s.start, side="right")) - 1)
            by_sentence[i].append(s)
        cues = [find_cues(text, a, b) for a, b in sentences]
        speakers = [
            speaker(text, sent, local) for sent, local in zip(sentences, by_sentence, strict=True)
        ]
        title = next((p for p in doc.paragraphs if p.kind == "title"), None)
        title_keys = {
            cluster(s.key) for s in mentions if title and title.start <= s.start < title.end
        }
        frequency = Counter(cluster(s.key) for s in mentions)
        rank = {k: i for i, (k, _) in enumerate(frequency.most_common(), 1)}
        return _DocInfo(
            doc,
            sentences,
            mentions,
            by_sentence,
            cues,
            speakers,
            agency_endpoint(doc, mentions),
            frequency,
            rank,
            title_keys,
        )

    def candidates(self, doc: Document) -> tuple[_DocInfo, list[Candidate]]:
        info = self._info(doc)
        agency_key = endpoint_key(info.agency) if info.agency is not None else None
        out = []
        for ti, targets in enumerate(info.by_sentence):
            for t in targets:
                if t.key == agency_key:
                    continue
                near = [
                    (abs(hi - ti), abs(h.start - t.start), hi, h)
                    for hi in (ti - 1, ti, ti + 1)
                    if 0 <= hi < len(info.by_sentence)
                    for h in info.by_sentence[hi]
                    if h.key != t.key and h.key != agency_key
                ]
                near.sort(key=lambda x: (x[0], x[1]))
                seen: set[tuple[int, int]] = set()
                for _, _, hi, h in near:
                    if (h.start, h.end) in seen or len(seen) >= self.max_holders:
                        continue
                    seen.add((h.start, h.end))
                    out.append(Candidate(h, t, hi, ti))
                if info.agency is not None:
                    out.append(Candidate(info.agency, t, -1, ti))
        for c in out:
            c.features = self._features(info, c)
        return info, out

    def _features(self, info: _DocInfo, c: Candidate) -> dict[str, float]:
        f = self._target_features(info, c)
        if c.holder_sentence < 0:
            return self._article_holder_features(info, c, f)
        self._holder_features(info, c, f)
        if c.target_sentence == c.holder_sentence:
            self._pair_features(info, c, f)
        return f

    def _target_features(self, info: _DocInfo, c: Candidate) -> dict[str, float]:
        """The target, its sentence and the cues in it."""
        text = info.doc.text
        t, ti = c.target, c.target_sentence
        sent = info.sentences[ti]
        tc = cluster(t.key)
        rank = info.rank.get(tc, 99)
        f: dict[str, float] = {
            "bias": 1.0,
            f"t_label={t.label}": 1.0,
            f"t_freq={_bucket(info.frequency[tc])}": 1.0,
            f"t_rank={rank if rank <= 5 else '6+'}": 1.0,
        }
        if tc in info.title_keys:
            f["t_in_title"] = 1.0
        f[f"t_pos={'title' if ti == 0 else 'early' if ti < 4 else 'rest'}"] = 1.0
        f[f"t_prev={_word_before(text, t.start)}"] = 1.0
        f[f"t_next={_word_after(text, t.end)}"] = 1.0
        for cue in info.cues[ti]:
            polarity = "NEG" + cue.label if cue.negated else cue.label
            f[f"cue_sent={polarity}"] = f.get(f"cue_sent={polarity}", 0.0) + 1.0
            f[f"cue_word={text[cue.start : cue.end].lower()}"] = 1.0
            if (
                cue.start >= 0
                and cue.end <= t.start
                and not _mention_between(info.by_sentence[ti], cue.end, t.start)
            ):
                f[f"t_first_after_cue={polarity}"] = 1.0
            if cue.kind == MUTUAL and cue.end <= t.start:
                f["t_after_mutual_cue"] = 1.0
        if any(q in text[sent[0] : sent[1]] for q in '"\u201c\u201d\u00ab\u00bb'):
            f["quote_sent"] = 1.0
        if SPEECH_RE.search(text, sent[0], sent[1]):
            f["speech_sent"] = 1.0
        spk = info.speakers[ti]
        if spk is not None and spk.key == t.key:
            f["t_is_speaker"] = 1.0
        return f

    def _article_holder_features(
        self, info: _DocInfo, c: Candidate, f: dict[str, float]
    ) -> dict[str, float]:
        """The article (its agency) as the holder: the target's features again, crossed."""
        f["h_article"] = 1.0
        for key in list(f):
            if key.startswith(_ARTICLE_CROSSED):
                f[f"art&{key}"] = f[key]
        spk = info.speakers[c.target_sentence]
        if spk is None or spk.key == c.target.key:
            f["art&no_other_speaker"] = 1.0
        return f

    def _holder_features(self, info: _DocInfo, c: Candidate, f: dict[str, float]) -> None:
        """A mentioned holder: its label, frequency, place, and its distance to the target."""
        text = info.doc.text
        h, t = c.holder, c.target
        assert isinstance(h, Span)
        f[f"h_label={h.label}"] = 1.0
        f[f"pair_label={h.label}>{t.label}"] = 1.0
        hc = cluster(h.key)
        f[f"h_freq={_bucket(info.frequency[hc])}"] = 1.0
        f[f"h_rank={min(info.rank.get(hc, 99), 6)}"] = 1.0
        if hc in info.title_keys:
            f["h_in_title"] = 1.0
        f[f"h_prev={_word_before(text, h.start)}"] = 1.0
        f[f"h_next={_word_after(text, h.end)}"] = 1.0
        d = c.target_sentence - c.holder_sentence
        f[f"sent_dist={d}"] = 1.0
        hspk = info.speakers[c.holder_sentence]
        if hspk is not None and hspk.key == h.key:
            f["h_is_speaker"] = 1.0
            if d != 0:
                f["h_is_speaker&adjacent"] = 1.0

    def _pair_features(self, info: _DocInfo, c: Candidate, f: dict[str, float]) -> None:
        """Holder and target in one sentence: what lies between them."""
        text = info.doc.text
        h, t, ti = c.holder, c.target, c.target_sentence
        assert isinstance(h, Span)
        sent = info.sentences[ti]
        before = h.end <= t.start
        a, b = (h.end, t.start) if before else (t.end, h.start)
        f["h_before_t" if before else "h_after_t"] = 1.0
        between = WORD_RE.findall(text[a:b].lower())
        f[f"tok_dist={_bucket(len(between))}"] = 1.0
        f[f"mentions_between={_bucket(len(_mentions_between(info.by_sentence[ti], a, b)))}"] = 1.0
        if len(between) <= 20:
            for w in between:
                f[f"btw={w}"] = 1.0
        if "," in text[a:b]:
            f["comma_between"] = 1.0
        for cue in info.cues[ti]:
            if a <= cue.start and cue.end <= b:
                polarity = "NEG" + cue.label if cue.negated else cue.label
                key = f"cue_btw={polarity}{'_passive' if cue.passive else ''}"
                f[key] = f.get(key, 0.0) + 1.0
                if before and not cue.passive:
                    subj = subject(text, sent[0], cue.start, info.by_sentence[ti])
                    if subj is not None and subj.key == h.key:
                        f[f"h_subject_of_cue={polarity}"] = 1.0

    # ---- training labels

    def _labels(self, info: _DocInfo, cands: Sequence[Candidate]) -> tuple[list[str], int, int]:
        """Each candidate's gold label (or NONE); gold triples, and those some candidate
        covers."""
        doc = info.doc
        evidence = _evidence(doc)
        labels = []
        covered: set[int] = set()
        for c in cands:
            votes: Counter = Counter()
            for k, s in enumerate(doc.stances):
                if self._matches(info, c, s, evidence[k] if k < len(evidence) else None):
                    votes[s.label] += 1
                    covered.add(k)
            labels.append(votes.most_common(1)[0][0] if votes else NONE)
        triples = {
            (
                normalize_name(doc.resolve(s.holder).text),
                normalize_name(doc.resolve(s.target).text),
                s.label,
            )
            for s in doc.stances
        }
        hit = {
            (
                normalize_name(doc.resolve(s.holder).text),
                normalize_name(doc.resolve(s.target).text),
                s.label,
            )
            for k, s in enumerate(doc.stances)
            if k in covered
        }
        return labels, len(triples), len(hit)

    def _matches(
        self, info: _DocInfo, c: Candidate, s: Stance, evidence: tuple[int, int] | None
    ) -> bool:
        doc = info.doc
        h, t = doc.resolve(s.holder), doc.resolve(s.target)
        if h.has_span and t.has_span and isinstance(c.holder, Span):
            return _overlap(c.holder.start, c.holder.end, h.start, h.end) and _overlap(
                c.target.start, c.target.end, t.start, t.end
            )
        if t.has_span and not _overlap(c.target.start, c.target.end, t.start, t.end):
            return False
        if not t.has_span and not name_matches(c.target.text, t.text):
            return False
        if h.has_span:
            if not isinstance(c.holder, Span) or not _overlap(
                c.holder.start, c.holder.end, h.start, h.end
            ):
                return False
        elif not name_matches(c.holder.text, h.text):
            return False
        if evidence is not None:
            sents = {c.target_sentence, c.holder_sentence} - {-1}
            return any(_overlap(*info.sentences[i], *evidence) for i in sents)
        return True

    # ---- fit and predict

    def _dataset(self, docs: Sequence[Document]):
        feats, labels, n_triples, n_covered = [], [], 0, 0
        for doc in docs:
            info, cands = self.candidates(doc)
            ys, n, hit = self._labels(info, cands)
            feats.extend(c.features for c in cands)
            labels.extend(ys)
            n_triples += n
            n_covered += hit
        return feats, labels, n_triples, n_covered

    def fit(self, train: Sequence[Document], validation: Sequence[Document] = ()) -> dict[str, Any]:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        feats, labels, n_triples, n_covered = self._dataset(train)
        if len(set(labels) - {NONE}) < 1 or NONE not in labels:
            raise InputError(
                "sklearn-stance needs training documents with stances whose "
                "holder and target are found among the candidate pairs; the "
                f"train split gives {Counter(labels)}"
            )
        self.vectorizer = DictVectorizer()
        x = self.vectorizer.fit_transform(feats)
        self.estimator = LogisticRegression(C=self.c, max_iter=3000, random_state=self.seed)
        self.estimator.fit(x, np.asarray(labels))
        self.training = {
            "documents": len(train),
            "candidates": len(labels),
            "labels": dict(sorted(Counter(labels).items())),
            "gold_triples": n_triples,
            "gold_triples_covered_by_candidates": n_covered,
            "features": len(self.vectorizer.vocabulary_),
        }
        if self.threshold is None:
            self.threshold, how = self._tune(validation)
            self.training["threshold"] = {"value": self.threshold, "chosen": how}
        return self.training

    def _tune(self, validation: Sequence[Document]) -> tuple[float, str]:
        from sklearn.metrics import f1_score

        docs = [d for d in validation if d.stances]
        if not docs:
            return 0.5, "default (no validation stances)"
        feats, labels, _, _ = self._dataset(docs)
        if not feats or set(labels) == {NONE}:
            return 0.5, "default (no validation stance among the candidates)"
        proba = self.estimator.predict_proba(self.vectorizer.transform(feats))
        classes = [str(c) for c in self.estimator.classes_]
        positive = [c for c in classes if c != NONE]
        best = (-1.0, 0.5)
        for th in THRESHOLDS:
            pred = _decide(proba, classes, th)
            score = f1_score(labels, pred, labels=positive, average="micro", zero_division=0)
            if score > best[0] + 1e-12:
                best = (score, th)
        return best[1], f"validation candidate micro-F1 {best[0]:.4f} ({len(docs)} documents)"

    def predict_document(self, doc: Document) -> Document:
        self.check_fitted()
        _, cands = self.candidates(doc)
        if not cands:
            return prediction(doc)
        proba = self.estimator.predict_proba(self.vectorizer.transform([c.features for c in cands]))
        classes = [str(c) for c in self.estimator.classes_]
        decided = _decide(proba, classes, self.threshold if self.threshold is not None else 0.5)
        mass: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for c, label, row in zip(cands, decided, proba, strict=True):
            if label != NONE:
                mass[c.names][label] += float(row[classes.index(label)])
        stances: dict[tuple, Stance] = {}
        for c, label, row in zip(cands, decided, proba, strict=True):
            if label == NONE or mass[c.names].most_common(1)[0][0] != label:
                continue
            h, t = as_mention(c.holder), as_mention(c.target)
            key = (h.start, h.end, h.text, t.start, t.end, label)
            score = float(row[classes.index(label)])
            if key not in stances or (stances[key].score or 0) < score:
                stances[key] = Stance(h, t, label, score=score)
        return prediction(doc, stances=list(stances.values()))

    @classmethod
    def _load_state(cls, folder: Path, meta: dict[str, Any]) -> SklearnStance:
        model = super()._load_state(folder, meta)
        if model.threshold is None:
            model.threshold = (meta.get("training", {}).get("threshold") or {}).get("value", 0.5)
        return model


def _decide(proba: np.ndarray, classes: list[str], threshold: float) -> list[str]:
    """Per row: the best non-NONE class if its probability reaches ``threshold``, else NONE."""
    none = classes.index(NONE) if NONE in classes else None
    masked = proba.copy()
    if none is not None:
        masked[:, none] = -1.0
    best = masked.argmax(axis=1)
    return [classes[b] if masked[i, b] >= threshold else NONE for i, b in enumerate(best)]


def _evidence(doc: Document) -> list[tuple[int, int] | None]:
    raw = doc.meta.get("gold_stance_evidence")
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except json.JSONDecodeError:
        return []
    return [(int(e["start"]), int(e["end"])) if isinstance(e, dict) else None for e in items]


def _overlap(a0: int | None, a1: int | None, b0: int | None, b1: int | None) -> bool:
    return None not in (a0, a1, b0, b1) and a0 < b1 and b0 < a1  # type: ignore[operator]


def _mentions_between(mentions: Sequence[Span], a: int, b: int) -> list[Span]:
    return [s for s in mentions if s.start >= a and s.end <= b]


def _mention_between(mentions: Sequence[Span], a: int, b: int) -> bool:
    return bool(_mentions_between(mentions, a, b))


def _word_before(text: str, position: int) -> str:
    words = WORD_RE.findall(text[max(0, position - 40) : position].lower())
    return words[-1] if words else "<s>"


def _word_after(text: str, position: int) -> str:
    words = WORD_RE.findall(text[position : position + 40].lower())
    return words[0] if words else "</s>"


class PriorStance(Model):
    """A reference baseline: the article opposes (or supports) its most mentioned names.

    ``fit`` learns from the training stances held by the article itself (the holder is the
    document's agency) their most frequent label, and the number ``k`` of most mentioned name
    clusters (:func:`~goldwire.evaluate.models.rules_stance.cluster`) to predict for: the
    ``k`` in 1..5 whose predictions have the best F1 against those training stances (names
    matched by :func:`name_matches`). Prediction: the article -> the first mention of each of
    the ``k`` most mentioned clusters, with that label. It reads no cue and no sentence: what
    any stance model should beat.
    """

    name = "prior-stance"
    task = Task.STANCES
    trainable = True
    reads = frozenset({"entities"})
    summary = "reference baseline: the article -> its k most mentioned names, majority label"

    def __init__(self, *, k: int | None = None, label: str | None = None) -> None:
        super().__init__()
        self.k, self.label = k, label

    def config(self) -> dict[str, Any]:
        return {"k": self.k, "label": self.label}

    def _targets(self, doc: Document, k: int) -> tuple[Span | Mention | None, list[Span]]:
        mentions = document_mentions(doc)
        agency = agency_endpoint(doc, mentions)
        skip = cluster(endpoint_key(agency)) if agency is not None else None
        first: dict[str, Span] = {}
        counts: Counter = Counter()
        for s in mentions:
            c = cluster(s.key)
            if c != skip:
                counts[c] += 1
                first.setdefault(c, s)
        return agency, [first[c] for c, _ in counts.most_common(k)]

    def fit(self, train: Sequence[Document], validation: Sequence[Document] = ()) -> dict[str, Any]:
        labels: Counter = Counter()
        for doc in train:
            agency = normalize_name(doc.agency or "")
            labels.update(
                s.label
                for s in doc.stances
                if agency and normalize_name(doc.resolve(s.holder).text) == agency
            )
        if not labels:
            raise InputError(
                "prior-stance needs training documents with stances held by the "
                "article (holder = the document's agency)"
            )
        self.label = self.label or labels.most_common(1)[0][0]
        hits = {}
        for k in range(1, 6):
            hit = predicted = total = 0
            for doc in train:
                agency, targets = self._targets(doc, k)
                if agency is None:
                    continue
                gold = {
                    normalize_name(doc.resolve(s.target).text)
                    for s in doc.stances
                    if s.label == self.label
                    and normalize_name(doc.resolve(s.holder).text) == normalize_name(agency.text)
                }
                predicted += len(targets)
                total += len(gold)
                hit += sum(any(name_matches(t.text, g) for g in gold) for t in targets)
            hits[k] = 2 * hit / (predicted + total) if predicted + total else 0.0
        self.k = self.k or max(hits, key=lambda k: (hits[k], -k))
        self.training = {
            "documents": len(train),
            "article_labels": dict(labels),
            "label": self.label,
            "k": self.k,
            "train_f1_by_k": {k: round(v, 4) for k, v in hits.items()},
        }
        return self.training

    def predict_document(self, doc: Document) -> Document:
        self.check_fitted()
        agency, targets = self._targets(doc, self.k or 1)
        if agency is None:
            return prediction(doc)
        return prediction(
            doc,
            stances=[Stance(as_mention(agency), as_mention(t), self.label or "") for t in targets],
        )
