"""Round trips through a real Doccano: corpus text -> push -> spans created as an annotator
(UTF-16 offsets, as the browser sends them) -> pull -> the same spans in code points.

The texts are the awkward ones: emoji before and inside entities (surrogate pairs, skin-tone
modifiers, flags), combining accents, Cyrillic, a CRLF file through the corpus build, tabs,
U+2028 and trailing spaces (an example created through the API would lose them).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldwire.annotate import client, pull, push, records
from goldwire.annotate.http import connect
from goldwire.annotate.settings import Connection
from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import iter_documents
from goldwire.schema import Document, Entity, document_id

pytestmark = pytest.mark.doccano


def utf16(text: str, cp: int) -> int:
    """What the browser counts: UTF-16 code units before code point ``cp``."""
    return len(text[:cp].encode("utf-16-le")) // 2


def make_user(admin, name: str) -> Connection:
    password = secrets.token_urlsafe(18)
    client.create_user(admin, name, password)
    return Connection(admin.url, name, password)


def annotate(session, project_id: int, example_id: int, text: str, spans, label_ids) -> list[int]:
    """Create ``(start, end, label)`` code-point spans as ``session``'s user, in UTF-16."""
    return [
        client.create_span(
            session, project_id, example_id, utf16(text, a), utf16(text, b), label_ids[label]
        )
        for a, b, label in spans
    ]


def example_ids(admin, project_id: int) -> dict[str, int]:
    return {e["meta"][records.META_ID]: e["id"] for e in client.list_examples(admin, project_id)}


def span(text: str, surface: str, label: str, nth: int = 0) -> tuple[int, int, str]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return start, start + len(surface), label


TEXTS = {
    "emoji": "😀😀 Yury Shuvalov 👍🏽 met Ilham 🇦🇿 Aliyev in Baku 🏳️‍🌈.",
    "accents": "Cafe\u0301 owner Jose\u0301 Mari\u0301a and Zoë visited Sa\u0303o Paulo.",
    "cyrillic": "МОСКВА, 31 марта. /ТАСС/. Сергей Лавров встретился с Ильхамом Алиевым.",
    "spaces": "  Tab\tseparated\u2028line: Nikol Pashinyan \u00a0in Yerevan  \n",
}
ANNOTATIONS = {
    "emoji": [
        span(TEXTS["emoji"], "Yury Shuvalov", "PER"),
        span(TEXTS["emoji"], "Ilham 🇦🇿 Aliyev", "PER"),  # a flag inside the entity
        span(TEXTS["emoji"], "Baku 🏳️‍🌈", "GPE"),  # a ZWJ sequence at the end
    ],
    "accents": [
        span(TEXTS["accents"], "Jose\u0301 Mari\u0301a", "PER"),
        span(TEXTS["accents"], "Zoë", "PER"),
        span(TEXTS["accents"], "Sa\u0303o Paulo", "GPE"),
    ],
    "cyrillic": [
        span(TEXTS["cyrillic"], "МОСКВА", "GPE"),
        span(TEXTS["cyrillic"], "ТАСС", "ORG"),
        span(TEXTS["cyrillic"], "Сергей Лавров", "PER"),
    ],
    "spaces": [
        span(TEXTS["spaces"], "Nikol Pashinyan", "PER"),
        span(TEXTS["spaces"], "Yerevan", "GPE"),
    ],
}


@pytest.fixture(scope="module")
def crlf_corpus(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("crlf-src")
    text = "Moscow talks\r\n\r\nLavrov 😀 met Blinken\r\n\r\nMOSCOW, May 2. Sergei Lavrov said.\r\n"
    (src / "crlf.txt").write_bytes(text.encode("utf-8"))
    out = tmp_path_factory.mktemp("crlf") / "corpus"
    build_corpus(BuildConfig(inputs=(src,), out=out, minhash=None))
    return out


@pytest.fixture(scope="module")
def world(_doccano_session, doccano_venv, crlf_corpus, tmp_path_factory):
    """One project: the awkward texts plus the CRLF document, annotated by two users."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOLDWIRE_HOME", str(_doccano_session.home))
        env.setenv("GOLDWIRE_DOCCANO_VENV", str(doccano_venv))
        admin = connect(_doccano_session.connection)
        docs = [Document(id=key, text=text) for key, text in TEXTS.items()]
        crlf = next(iter_documents(crlf_corpus))
        docs.append(crlf)
        name = f"roundtrip-{secrets.token_hex(3)}"
        report = push.push(admin, docs, push.PushOptions(project=name))
        assert report.ok, report.problems
        pid = report.targets[0].project["id"]
        ids = example_ids(admin, pid)
        labels = client.sync_label_types(admin, pid, client.LabelKind.span, []).ids
        relations = client.sync_label_types(admin, pid, client.LabelKind.relation, []).ids
        annotations = dict(ANNOTATIONS)
        annotations[crlf.id] = [
            span(crlf.text, "Lavrov", "PER"),
            span(crlf.text, "Blinken", "PER"),
            span(crlf.text, "Sergei Lavrov", "PER"),
        ]
        users = {}
        for who in ("ann", "bea"):
            conn = make_user(admin, f"{who}-{secrets.token_hex(2)}")
            client.add_member(admin, pid, conn.username)
            users[who] = conn
        with connect(users["ann"]) as ann:
            span_ids = {}
            for key, spans in annotations.items():
                doc = next(d for d in docs if d.id == key)
                span_ids[key] = annotate(ann, pid, ids[key], doc.text, spans, labels)
            holder, target = span_ids["emoji"][0], span_ids["emoji"][1]
            client.create_relation(ann, pid, ids["emoji"], holder, target, relations["OPPOSE"])
            client.confirm_example(ann, pid, ids["cyrillic"])
            client.confirm_example(ann, pid, ids["spaces"])  # confirmed, then
            client.confirm_example(ann, pid, ids["spaces"])  # the check keeps it confirmed
        with connect(users["bea"]) as bea:
            annotate(bea, pid, ids["accents"], TEXTS["accents"], ANNOTATIONS["accents"][:1], labels)
            client.confirm_example(bea, pid, ids["emoji"])  # done, nothing to mark
        out = tmp_path_factory.mktemp("pull") / "out"
        corpus = {d.id: d for d in docs}
        result = pull.pull(admin, pull.PullOptions(project=name, out=out, corpus=corpus))
        admin.close()
    return {
        "report": result,
        "out": out,
        "docs": corpus,
        "annotations": annotations,
        "users": {k: v.username for k, v in users.items()},
        "name": name,
        "pid": pid,
        "labels": labels,
    }


def _pulled(world, who: str) -> dict[str, Document]:
    from goldwire.schema import read_jsonl

    path = world["out"] / "annotators" / f"{world['users'][who]}.jsonl"
    return {d.id: d for d in read_jsonl(path)}


def test_pulled_spans_equal_what_was_annotated(world):
    assert world["report"].problems == []
    pulled = _pulled(world, "ann")
    assert set(pulled) == set(world["annotations"])
    for key, spans in world["annotations"].items():
        doc = pulled[key]
        assert doc.text == world["docs"][key].text
        assert [(e.start, e.end, e.label) for e in doc.entities] == sorted(spans)
        for e in doc.entities:
            assert e.text == doc.text[e.start : e.end]
            assert e.annotators == [world["users"]["ann"]]
            assert e.id.startswith("s")


def test_emoji_before_and_inside_entities_map_to_code_points(world):
    doc = _pulled(world, "ann")["emoji"]
    assert [e.text for e in doc.entities] == ["Yury Shuvalov", "Ilham 🇦🇿 Aliyev", "Baku 🏳️‍🌈"]
    # two emoji before the first entity: 4 UTF-16 units, 2 code points
    assert doc.entities[0].start == 3 and utf16(doc.text, 3) == 5


def test_crlf_file_round_trips_through_the_corpus_build(world, crlf_corpus):
    crlf = next(iter_documents(crlf_corpus))
    assert "\r" not in crlf.text
    doc = _pulled(world, "ann")[crlf.id]
    assert [e.text for e in doc.entities] == ["Lavrov", "Blinken", "Sergei Lavrov"]
    assert doc.title == crlf.title  # joined with the corpus document


def test_whitespace_and_line_separators_arrive_byte_exact(world):
    doc = _pulled(world, "ann")["spaces"]
    assert doc.text == TEXTS["spaces"]
    assert doc.text_sha256 == world["docs"]["spaces"].text_sha256


def test_relations_become_stances(world):
    doc = _pulled(world, "ann")["emoji"]
    (stance,) = doc.stances
    assert stance.label == "OPPOSE"
    assert (stance.holder.text, stance.target.text) == ("Yury Shuvalov", "Ilham 🇦🇿 Aliyev")
    assert stance.holder.entity == doc.entities[0].id
    assert stance.annotators == [world["users"]["ann"]]


def test_each_annotator_gets_their_own_file_with_done_documents(world):
    bea = _pulled(world, "bea")
    assert set(bea) == {"accents", "emoji"}
    assert bea["emoji"].entities == [] and bea["emoji"].meta["doccano_confirmed"] == "true"
    assert len(bea["accents"].entities) == 1
    # what each layer's status says: done, or labelled but not marked done
    assert (bea["emoji"].annotation.entities, bea["accents"].annotation.entities) == (
        "annotated",
        "unconfirmed",
    )
    assert bea["emoji"].annotation.annotators == [world["users"]["bea"]]
    assert bea["emoji"].annotation.tool == "doccano 1.8.4"  # the managed server
    assert bea["emoji"].annotation.guidelines.startswith("annotate/guidelines.md (goldwire)")
    # nobody pushed suggestions here: every label is the annotator's own
    assert [e.provenance for e in bea["accents"].entities] == ["human"]
    summary = world["report"].annotators
    assert summary[world["users"]["ann"]].confirmed == 2
    assert summary[world["users"]["ann"]].relations == 1
    assert summary[world["users"]["bea"]].documents == 2


def test_pull_folder_loads_with_the_annotation_loader(world):
    from goldwire.annotate.annotations import load_annotations

    loaded = load_annotations(world["out"], include_unconfirmed=True)
    assert set(world["users"].values()) <= set(loaded.annotators)
    assert loaded.annotated_by("accents") == tuple(sorted(world["users"].values()))
    # by default only what was marked done counts: nobody confirmed "accents"
    confirmed = load_annotations(world["out"])
    assert "accents" not in confirmed.documents
    assert confirmed.annotated_by("cyrillic") == (world["users"]["ann"],)


def test_a_grapheme_mode_project_round_trips_suggestions(doccano_server, tmp_path):
    """A reused project with grapheme_mode on: suggestions go up in graphemes, come back."""
    text = "José 🇦🇲 met Zoë 👍🏽 in São Paulo 🏳️‍🌈."
    spans = [span(text, "José 🇦🇲", "PER"), span(text, "Zoë 👍🏽", "PER")]
    spans.append(span(text, "São Paulo 🏳️‍🌈", "GPE"))
    doc = Document(id="g", text=text)
    pred = Document(
        id="g",
        text=text,
        entities=[Entity(f"T{i}", a, b, lab, text[a:b]) for i, (a, b, lab) in enumerate(spans)],
    )
    name = f"graphemes-{secrets.token_hex(3)}"
    with connect(doccano_server.connection) as admin:
        project = client.create_project(
            admin, name, client.SEQUENCE_LABELING, use_relation=True, grapheme_mode=True
        )
        options = push.PushOptions(project=name, predictions={"g": pred}, guideline="")
        report = push.push(admin, [doc], options)
        assert report.ok and report.targets[0].project["offsets"] == "grapheme"
        (example,) = client.list_examples(admin, project.id)
        stored = client.list_own(admin, project.id, example["id"], "spans")
        assert sorted((s["start_offset"], s["end_offset"]) for s in stored) == [
            (0, 6),
            (11, 16),
            (20, 31),
        ]
        result = pull.pull(admin, pull.PullOptions(project=name, out=tmp_path))
    assert result.problems == []
    from goldwire.schema import read_jsonl

    (pulled,) = read_jsonl(tmp_path / "annotators" / f"{admin.username}.jsonl")
    assert [(e.start, e.end, e.label) for e in pulled.entities] == spans


# --------------------------------------------------------------------------- property


ALPHABET = st.sampled_from(
    list("abc XYZ,.\t\n") + ["😀", "👍🏽", "🇦🇲", "é", "e\u0301", "Ж", "ы", "中", "\u2028", "𝔸"]
)


@st.composite
def annotated_texts(draw):
    pieces = draw(st.lists(ALPHABET, min_size=3, max_size=40))
    text = "".join(pieces)
    bounds = sorted(set(draw(st.lists(st.integers(0, len(pieces)), min_size=2, max_size=8))))
    offsets = [len("".join(pieces[:b])) for b in bounds]
    spans = [(a, b, "MISC") for a, b in zip(offsets[::2], offsets[1::2], strict=False) if a < b]
    return "x" + text, [(a + 1, b + 1, label) for a, b, label in spans]


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cases=st.lists(annotated_texts(), min_size=1, max_size=3))
def test_any_text_and_spans_round_trip(doccano_server, tmp_path_factory, cases):
    """Spans created in UTF-16 at character boundaries come back as the same code points."""
    docs = {document_id(text): (text, spans) for text, spans in cases}
    with connect(doccano_server.connection) as admin:
        name = f"prop-{secrets.token_hex(3)}"
        documents = [Document(id=i, text=t) for i, (t, _) in docs.items()]
        report = push.push(admin, documents, push.PushOptions(project=name, guideline=""))
        pid = report.targets[0].project["id"]
        ids = example_ids(admin, pid)
        labels = client.sync_label_types(admin, pid, client.LabelKind.span, []).ids
        for gid, (text, spans) in docs.items():
            annotate(admin, pid, ids[gid], text, spans, labels)
            client.confirm_example(admin, pid, ids[gid])
        out = tmp_path_factory.mktemp("prop")
        result = pull.pull(admin, pull.PullOptions(project=name, out=out))
    assert result.problems == []
    from goldwire.schema import read_jsonl

    pulled = {d.id: d for d in read_jsonl(out / "annotators" / f"{admin.username}.jsonl")}
    for gid, (text, spans) in docs.items():
        assert pulled[gid].text == text
        assert [(e.start, e.end, e.label) for e in pulled[gid].entities] == spans
