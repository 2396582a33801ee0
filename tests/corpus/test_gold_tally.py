"""What attached gold is made of: suggestions accepted unchanged, annotators, tools."""

from __future__ import annotations

from goldwire.corpus.gold_tally import GoldTally, SuggestedItems
from goldwire.provenance import Annotation, Provenance, Vote
from goldwire.schema import DocStance, Document, Entity

ACCEPTED, EDITED, HUMAN = Provenance.ACCEPTED, Provenance.EDITED, Provenance.HUMAN


def _entity(label: str, *votes: tuple[str, str], provenance: str = "") -> Entity:
    return Entity("e", 0, 1, label, "x", provenance=provenance,
                  votes=[Vote(f"a{i}", lab, p) for i, (lab, p) in enumerate(votes)])  # fmt: skip


def test_an_item_is_accepted_unchanged_when_every_vote_for_its_label_is():
    cases = [
        (_entity("PER", ("PER", ACCEPTED), ("PER", ACCEPTED)), (1, 1)),
        (_entity("PER", ("PER", ACCEPTED), ("PER", EDITED)), (0, 1)),
        (_entity("PER", ("PER", HUMAN), ("ORG", ACCEPTED)), (0, 0)),  # other label's vote
        (_entity("PER", ("PER", ACCEPTED), ("ORG", HUMAN)), (1, 1)),
        (_entity("PER", provenance=ACCEPTED), (1, 1)),  # no votes: its own provenance
        (_entity("PER", provenance=Provenance.ADJUDICATED), (0, 0)),
        (_entity("PER", ("ORG", ACCEPTED), provenance=ACCEPTED), (1, 1)),
    ]
    for item, (unchanged, with_vote) in cases:
        s = SuggestedItems()
        s.add(item)
        assert (s.accepted_unchanged, s.with_accepted_vote) == (unchanged, with_vote), item
    total = sum((_one(item) for item, _ in cases), SuggestedItems())
    assert total.to_json() == {"items": 7, "accepted_unchanged": 4, "with_accepted_vote": 5,
                               "accepted_unchanged_share": 4 / 7,
                               "with_accepted_vote_share": 5 / 7}  # fmt: skip
    assert SuggestedItems().to_json()["accepted_unchanged_share"] is None


def _one(item) -> SuggestedItems:
    s = SuggestedItems()
    s.add(item)
    return s


def test_tally_counts_only_the_layers_the_gold_brought():
    doc = Document(id="d", text="x", entities=[_entity("PER", provenance=ACCEPTED)],
                   doc_stances=[DocStance("t", "SUPPORT", ["a1"])],
                   annotation=Annotation("reader:conll", "none", "adjudicated",
                                         annotators=["a1", "a2", "a3"], tool="doccano 1.8.4",
                                         reviewed_at="2026-01-02T00:00:00"))  # fmt: skip
    tally = GoldTally()
    tally.add(doc, ("doc_stances",))
    data = tally.to_json()
    assert (data["entities"], data["doc_stances"]) == (0, 1)  # the CoNLL entities were kept
    assert data["suggested_items"]["total"]["items"] == 1
    assert data["annotators_per_document"] == {"3": 1}
    assert data["tools"] == {"doccano 1.8.4": 1} and data["guidelines"] == {"not recorded": 1}
    assert data["reviewed_documents"] == 1 and data["reviewers"] == {}
    assert data["annotators"]["a1"] == {"documents": 1, "entities": 0, "stances": 0}
