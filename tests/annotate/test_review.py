"""The review round's candidates (no server: the push itself is exercised against a real
Doccano in test_gold_workflow.py)."""

from __future__ import annotations

from goldwire.annotate.review import candidates, review_documents, review_labels
from goldwire.provenance import Provenance, Vote
from goldwire.schema import DocStance, Document, Entity, LabelSchema, Mention, Stance

TEXT = "CSTO backs Armenia, Moscow says."


def copy(who: str, spans, stances=(), doc_stances=(), provenance=Provenance.HUMAN) -> Document:
    ents = [
        Entity(f"s{i}", a, b, label, TEXT[a:b], [who], provenance=provenance)
        for i, (a, b, label) in enumerate(spans)
    ]
    sts = [
        Stance(Mention(ents[h].text, ents[h].start, ents[h].end, ents[h].id),
               Mention(ents[t].text, ents[t].start, ents[t].end, ents[t].id), label, [who],
               provenance=provenance)
        for h, t, label in stances
    ]  # fmt: skip
    ds = [DocStance(t, lab, [who], provenance=provenance) for t, lab in doc_stances]
    return Document(id="d", text=TEXT, entities=ents, stances=sts, doc_stances=ds)


def test_candidates_join_the_annotators_choices_with_their_votes():
    csto, armenia, moscow = (0, 4), (11, 18), (20, 26)
    alice = copy(
        "alice",
        [(*csto, "ORG"), (*armenia, "GPE"), (*moscow, "GPE")],
        [(0, 1, "SUPPORT")],
        [("Armenia", "SUPPORT")],
        provenance=Provenance.ACCEPTED,
    )
    bob = copy("bob", [(*csto, "GPE"), (*armenia, "GPE")], [(0, 1, "SUPPORT")],
               [("Armenia", "OPPOSE")])  # fmt: skip
    doc = candidates({"alice": alice, "bob": bob})
    assert [(e.start, e.end, e.label, e.annotators) for e in doc.entities] == [
        (*csto, "GPE", ["bob"]),
        (*csto, "ORG", ["alice"]),
        (*armenia, "GPE", ["alice", "bob"]),
        (*moscow, "GPE", ["alice"]),
    ]
    assert doc.entities[2].votes == [
        Vote("alice", "GPE", Provenance.ACCEPTED),
        Vote("bob", "GPE", Provenance.HUMAN),
    ]
    # each stance links the candidates of its own annotator's endpoint labels
    by_id = {e.id: e for e in doc.entities}
    stances = [
        (by_id[s.holder.entity].label, by_id[s.target.entity].text, s.label, s.annotators)
        for s in doc.stances
    ]
    assert sorted(stances) == [
        ("GPE", "Armenia", "SUPPORT", ["bob"]),
        ("ORG", "Armenia", "SUPPORT", ["alice"]),
    ]
    assert [(d.target, d.label, d.annotators) for d in doc.doc_stances] == [
        ("Armenia", "OPPOSE", ["bob"]),
        ("Armenia", "SUPPORT", ["alice"]),
    ]


def test_unreviewed_suggestions_are_no_candidates():
    alice = copy("alice", [(0, 4, "ORG")], provenance=Provenance.UNREVIEWED)
    bob = copy("bob", [(11, 18, "GPE")])
    doc = candidates({"alice": alice, "bob": bob})
    assert [(e.text, e.annotators) for e in doc.entities] == [("Armenia", ["bob"])]


def test_review_documents_carry_text_and_meta_but_no_labels():
    alice = copy("alice", [(0, 4, "ORG")])
    docs, preds = review_documents({"d": {"alice": alice}, "x": {}}, ["d", "x"])
    assert [d.id for d in docs] == ["d"] and docs[0].entities == []
    assert list(preds) == ["d"] and len(preds["d"].entities) == 1


def test_review_labels_add_what_the_schema_lacks():
    schema = LabelSchema.from_names(["PER", "GPE"], ["SUPPORT"], ["SUPPORT"])
    alice = copy("alice", [(0, 4, "ORG"), (11, 18, "GPE")], [(0, 1, "OPPOSE")],
                 [("Armenia", "NEUTRAL")])  # fmt: skip
    labels = review_labels(schema, [candidates({"alice": alice})])
    assert labels.entity_labels == ["PER", "GPE", "ORG"]
    assert labels.stance_labels == ["SUPPORT", "OPPOSE"]
    assert labels.doc_stance_labels == ["SUPPORT", "NEUTRAL"]
    assert labels.doc_stance_targets == ("Armenia",)
