"""Stance matching: mention level (spans) and entity level (normalised name triples).

Mention level: a predicted stance matches a gold one when the label matches and

* ``strict``: holder span and target span are identical;
* ``relaxed``: holder spans overlap and target spans overlap.

Pairing is one to one: identical stances first, then (relaxed) each remaining prediction in
canonical order takes the first remaining overlapping gold stance. Mentions that name an
entity id get their offsets through :meth:`Document.resolve`; a stance with an endpoint that
has no offsets (a name only) cannot be scored at mention level and is counted as excluded.

Entity level: each document's stances become a set of triples (holder, target, label) with
names normalised by :func:`normalize_name` and mapped through an optional alias table, so a
model is not punished for picking another mention of the same entity, and corpora with
names only can be scored.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from goldwire.choices import parse_choice
from goldwire.errors import InputError
from goldwire.evaluate.counts import Counts
from goldwire.schema import Document, Mention


class StanceMode(str, Enum):
    STRICT = "strict"
    RELAXED = "relaxed"

    @classmethod
    def parse(cls, value: str | StanceMode) -> StanceMode:
        return parse_choice(cls, value, "stance matching mode")


# --------------------------------------------------------------------------- names


def _is_edge(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def normalize_name(text: str) -> str:
    """NFC, casefold, collapse whitespace, strip surrounding punctuation.

    ``"/TASS/"`` -> ``tass``; ``  The   Kremlin's "`` -> ``the kremlin's``.
    """
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    i, j = 0, len(folded)
    while i < j and _is_edge(folded[i]):
        i += 1
    while j > i and _is_edge(folded[j - 1]):
        j -= 1
    return " ".join(folded[i:j].split())


@dataclass(frozen=True)
class AliasTable:
    """Maps normalised surface forms to one canonical (normalised) name per entity."""

    mapping: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def canonical(self, name: str) -> str:
        key = normalize_name(name)
        return self.mapping.get(key, key)

    def __len__(self) -> int:
        return len(self.mapping)

    @classmethod
    def from_groups(cls, groups: Iterable[tuple[str, Sequence[str], str]], source: str = ""):
        """From ``(canonical, aliases, where)`` groups; ``where`` names the line for errors."""
        mapping: dict[str, str] = {}
        for canonical, aliases, where in groups:
            target = normalize_name(canonical)
            if not target:
                raise InputError(f"{where}: empty canonical name; give a name in the first field")
            for alias in (canonical, *aliases):
                key = normalize_name(alias)
                if key and mapping.get(key, target) != target:
                    raise InputError(
                        f"{where}: {alias!r} is an alias of both {mapping[key]!r} and "
                        f"{target!r}; an alias may name one entity only"
                    )
                if key:
                    mapping[key] = target
        return cls(mapping, source)

    @classmethod
    def load(cls, path: str | Path) -> AliasTable:
        """Read a JSON or TSV alias table.

        JSON: an object whose values are a canonical name (``{"alias": "canonical"}``) or a
        list of aliases (``{"canonical": ["alias", ...]}``). TSV: one entity per line, the
        canonical name first, then its aliases, tab separated; ``#`` starts a comment line.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read the alias table ({exc})") from exc
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})"
                ) from exc
            if not isinstance(data, dict):
                raise InputError(f"{path}: the alias table must be a JSON object")
            groups = []
            for key, value in data.items():
                if isinstance(value, str):
                    groups.append((value, [key], f"{path}: {key!r}"))
                elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                    groups.append((key, value, f"{path}: {key!r}"))
                else:
                    raise InputError(
                        f"{path}: value of {key!r} must be a canonical name or a list of aliases"
                    )
            return cls.from_groups(groups, str(path))
        groups = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = [f for f in line.split("\t") if f.strip()]
            groups.append((fields[0], fields[1:], f"{path}:{lineno}"))
        return cls.from_groups(groups, str(path))


# --------------------------------------------------------------------------- mention level

StanceTuple = tuple[int, int, int, int, str]  # holder start, end, target start, end, label


def stance_tuples(doc: Document) -> tuple[list[StanceTuple], int]:
    """The document's stances with both endpoints resolved to spans; and how many lack one."""
    out: list[StanceTuple] = []
    excluded = 0
    for s in doc.stances:
        h, t = doc.resolve(s.holder), doc.resolve(s.target)
        if h.has_span and t.has_span:
            out.append((h.start, h.end, t.start, t.end, s.label))  # type: ignore[arg-type]
        else:
            excluded += 1
    return out, excluded


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def match_stance_tuples(
    gold: Sequence[StanceTuple], pred: Sequence[StanceTuple], mode: StanceMode | str = "strict"
) -> dict[str, Counts]:
    """Per-label counts (COR = TP, SPU = FP, MIS = FN) of one document's stances."""
    mode = StanceMode.parse(mode)
    left_gold = Counter(gold)
    rest: list[StanceTuple] = []
    tp: Counter[str] = Counter()
    for p in sorted(pred):
        if left_gold[p] > 0:
            left_gold[p] -= 1
            tp[p[4]] += 1
        else:
            rest.append(p)
    remaining = sorted(left_gold.elements())
    unmatched: list[StanceTuple] = []
    for p in rest:
        hit = None
        if mode is StanceMode.RELAXED:
            hit = next(
                (
                    i
                    for i, g in enumerate(remaining)
                    if g[4] == p[4]
                    and _overlaps(p[0], p[1], g[0], g[1])
                    and _overlaps(p[2], p[3], g[2], g[3])
                ),
                None,
            )
        if hit is None:
            unmatched.append(p)
        else:
            remaining.pop(hit)
            tp[p[4]] += 1
    fp = Counter(p[4] for p in unmatched)
    fn = Counter(g[4] for g in remaining)
    return {lab: Counts.from_tp(tp[lab], fp[lab], fn[lab]) for lab in sorted(tp | fp | fn)}


def match_stances(
    gold_doc: Document, pred_doc: Document, mode: StanceMode | str = "strict"
) -> Counts:
    """Counts of ``pred_doc``'s stances against ``gold_doc``'s at mention level.

    Stances without offsets on both ends are left out on both sides (see
    :func:`stance_tuples`). Usable for annotator agreement: ``.scores().f1``.
    """
    gold, _ = stance_tuples(gold_doc)
    pred, _ = stance_tuples(pred_doc)
    return sum(match_stance_tuples(gold, pred, mode).values(), Counts())


# --------------------------------------------------------------------------- entity level

Triple = tuple[str, str, str]


def _name(doc: Document, m: Mention, alias: AliasTable | None) -> str:
    m = doc.resolve(m)
    return alias.canonical(m.text) if alias is not None else normalize_name(m.text)


def stance_triples(doc: Document, alias: AliasTable | None = None) -> set[Triple]:
    """(holder, target, label) with normalised (and alias-mapped) names."""
    return {
        (_name(doc, s.holder, alias), _name(doc, s.target, alias), s.label) for s in doc.stances
    }


def match_triples(gold: set[Triple], pred: set[Triple]) -> dict[str, Counts]:
    """Per-label counts of predicted triples against gold triples (set semantics)."""
    tp = Counter(t[2] for t in gold & pred)
    fp = Counter(t[2] for t in pred - gold)
    fn = Counter(t[2] for t in gold - pred)
    return {lab: Counts.from_tp(tp[lab], fp[lab], fn[lab]) for lab in sorted(tp | fp | fn)}
