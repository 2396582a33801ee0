"""Small generated documents and corpora for the model tests (entities, stances, document
stances); imported by the tests as ``modelgen``."""

from __future__ import annotations

import random
from pathlib import Path

from goldwire.provenance import ANNOTATED, Annotation
from goldwire.schema import DocStance, Document, Entity, Mention, Paragraph, Stance, write_jsonl

PEOPLE = (
    "Ivan Petrov",
    "Anna Smith",
    "Paul Durand",
    "Maria Rossi",
    "John Brown",
    "Olga Ivanova",
    "Karl Weber",
    "Elena Popova",
)
PLACES = ("Moscow", "Berlin", "Paris", "Rome", "Madrid", "Vienna", "Prague", "Warsaw")
ORGS = ("Gazprom", "Siemens", "Renault", "Fiat", "Telefonica", "Skoda")
TEMPLATES = (
    "{PER} visited {LOC} on Monday .",
    "{ORG} opened an office in {LOC} .",
    "{PER} said {ORG} will grow .",
    "talks in {LOC} ended without a deal .",
    "{PER} and {PER} met in {LOC} .",
    "shares of {ORG} fell sharply .",
)


def _fill(template: str, rng: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    out, spans = "", []
    for part in template.split():
        if part.startswith("{") and part.endswith("}"):
            label = part[1:-1]
            name = rng.choice({"PER": PEOPLE, "LOC": PLACES, "ORG": ORGS}[label])
            if out:
                out += " "
            spans.append((len(out), len(out) + len(name), label))
            out += name
        else:
            out += (" " if out else "") + part
    return out, spans


def ner_document(seed: int, sentences: int = 4) -> Document:
    """A CoNLL-like document: one sentence per line, tokens separated by spaces."""
    rng = random.Random(seed)
    lines, entities, pos = [], [], 0
    for _ in range(sentences):
        line, spans = _fill(rng.choice(TEMPLATES), rng)
        for a, b, label in spans:
            entities.append(Entity(f"e{len(entities) + 1}", pos + a, pos + b, label, line[a:b]))
        lines.append(line)
        pos += len(line) + 1
    text = "\n".join(lines)
    return Document(
        id=f"n{seed}",
        text=text,
        paragraphs=[Paragraph("body", 0, len(text))],
        entities=entities,
        annotation=Annotation(entities=ANNOTATED),
    )


STANCE_SENTENCES = (
    ("{H} supports {T} in the dispute .", "SUPPORT"),
    ("{H} backed {T} on Tuesday .", "SUPPORT"),
    ("{H} condemned {T} for the attack .", "OPPOSE"),
    ("{H} accused {T} of lying .", "OPPOSE"),
)
FILLER = ("The weather in {X} was mild .", "{X} reported new figures .")


def stance_document(seed: int) -> Document:
    """Two stance sentences and a filler sentence, entities and gold stances by span."""
    rng = random.Random(seed)
    names = list(PEOPLE + ORGS)
    rng.shuffle(names)
    parts, entities, stances, pos = [], [], [], 0

    def put(piece: str) -> None:
        nonlocal pos
        parts.append(piece)
        pos += len(piece)

    def entity(name: str) -> Entity:
        e = Entity(f"e{len(entities) + 1}", pos, pos + len(name), "ORG", name)
        entities.append(e)
        put(name)
        return e

    for k in range(2):
        template, label = rng.choice(STANCE_SENTENCES)
        before, _, rest = template.partition("{H}")
        middle, _, after = rest.partition("{T}")
        if parts:
            put(" ")
        put(before)
        h = entity(names[2 * k])
        put(middle)
        t = entity(names[2 * k + 1])
        put(after)
        stances.append(
            Stance(
                Mention(h.text, h.start, h.end, h.id), Mention(t.text, t.start, t.end, t.id), label
            )
        )
    filler = rng.choice(FILLER)
    before, _, after = filler.partition("{X}")
    put(" " + before)
    entity(names[5])
    put(after)
    text = "".join(parts)
    return Document(
        id=f"s{seed}",
        text=text,
        paragraphs=[Paragraph("body", 0, len(text))],
        entities=entities,
        stances=stances,
        annotation=Annotation(entities=ANNOTATED, stances=ANNOTATED),
    )


TOPICS = {
    "volcano": "volcano eruption lava ash village evacuated mountain",
    "bank": "bank robbery masked thieves vault police arrested",
    "cat": "cat rescued firefighters tree kitten owner",
    "storm": "storm flooding rain rivers homes damaged",
}


def docstance_document(seed: int) -> Document:
    """A body on one topic; its headline targets are related (agree/disagree) or not."""
    rng = random.Random(seed)
    topic = rng.choice(sorted(TOPICS))
    words = TOPICS[topic].split()
    body = " ".join(rng.choice(words) for _ in range(40)) + "."
    stances = []
    for other in sorted(TOPICS):
        head = " ".join(rng.sample(TOPICS[other].split(), 4))
        if other == topic:
            stances.append(DocStance(f"Report: {head} confirmed", "agree"))
            stances.append(DocStance(f"Hoax: fake {head} denied", "disagree"))
        else:
            stances.append(DocStance(f"News: {head}", "unrelated"))
    return Document(
        id=f"d{seed}",
        text=body,
        paragraphs=[Paragraph("body", 0, len(body))],
        doc_stances=stances,
        annotation=Annotation(doc_stances=ANNOTATED),
    )


def corpus_dir(tmp: Path, docs: list[Document], name: str, labels=None) -> Path:
    """A goldwire corpus built from ``docs`` (split preset: 70% train, then validation/test)."""
    from goldwire.corpus.build import BuildConfig, build_corpus

    n = len(docs)
    for i, d in enumerate(docs):
        d.meta["split"] = "train" if i < 0.7 * n else "validation" if i < 0.8 * n else "test"
    jsonl = tmp / f"{name}.jsonl"
    write_jsonl(docs, jsonl)
    out = tmp / name
    kwargs = {"labels": labels} if labels is not None else {}
    build_corpus(
        BuildConfig(inputs=(jsonl,), out=out, format="jsonl", minhash=None, fresh=True, **kwargs)
    )
    return out
