"""The campaign plan (:mod:`goldwire.annotate.campaign_plan`): who annotates which document.

No server: the plan is pure. Expected values are derived in the tests from the input (the
overlap share ranked with :mod:`hashlib` here, round-half-up in integer arithmetic), never
copied from the module's output.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldwire.annotate import campaign_plan as cp
from goldwire.errors import InputError, UsageError

URL = "http://127.0.0.1:8000"
NOW = "2026-01-01T00:00:00+00:00"
NAMES = ("alice", "bob", "carol", "dave", "erin", "frank")
DOC_ID = st.text(alphabet="abcdefgh0123456789-_é", min_size=1, max_size=8)
BOUNDED = settings(max_examples=60, deadline=None)


def ranked(seed: str, ids) -> list[str]:
    """The ids by sha256(seed + id), computed here independently of the module."""
    return sorted(ids, key=lambda i: hashlib.sha256((seed + i).encode("utf-8")).hexdigest())


def half_up(permille: int, n: int) -> int:
    """round(permille/1000 x n) with halves rounded up, in exact integer arithmetic."""
    return (2 * permille * n + 1000) // 2000


def planned(ids, annotators, *, overlap=0.2, per_document=2, seed="s", name="c1"):
    plan = cp.new_plan(name, URL, overlap=overlap, per_document=per_document, seed=seed)
    cp.extend(plan, ids, annotators, now=NOW)
    return plan


def round_loads(plan, ids) -> Counter:
    """Per annotator of the plan: how many of ``ids`` they were given (0 counted)."""
    loads = Counter(dict.fromkeys(plan.annotators, 0))
    for gid in ids:
        loads.update(plan.assigned[gid])
    return loads


# --------------------------------------------------------------------------- hand-checked


def test_thirty_documents_three_annotators():
    ids = [f"doc-{i:02d}" for i in range(30)]
    plan = planned(ids, ["carol", "alice", "bob"], overlap=0.2, per_document=2, seed="s")
    # 0.2 x 30 = 6 overlap documents, the 6 smallest sha256("s" + id)
    assert set(plan.overlap_ids()) == set(ranked("s", ids)[:6])
    assert len(plan.assigned) == 30
    for gid, who in plan.assigned.items():
        assert len(set(who)) == len(who) == (2 if gid in plan.overlap_ids() else 1)
    # 6 x 2 + 24 x 1 = 36 shares: 12 each, of which 6 x 2 / 3 = 4 overlap documents
    assert {a: len(plan.documents_of(a)) for a in NAMES[:3]} == {
        "alice": 12,
        "bob": 12,
        "carol": 12,
    }
    shared = Counter(a for gid in plan.overlap_ids() for a in plan.assigned[gid])
    assert shared == {"alice": 4, "bob": 4, "carol": 4}
    pairs = Counter(
        p for gid in plan.overlap_ids() for p in combinations(sorted(plan.assigned[gid]), 2)
    )
    assert pairs == {("alice", "bob"): 2, ("alice", "carol"): 2, ("bob", "carol"): 2}
    assert plan.annotators == ["alice", "bob", "carol"]
    assert plan.projects == {n: f"c1--{n}" for n in ("alice", "bob", "carol")}
    assert [(r.documents, r.overlap_documents, r.joined) for r in plan.rounds] == [
        (30, 6, ["alice", "bob", "carol"])
    ]


def test_dealt_by_hand():
    """4 documents, a and b, overlap 0.5: the 2 first-ranked go to both; the other two go
    one each, to the least loaded (a tie, broken by name: a, then b)."""
    ids = ["w", "x", "y", "z"]
    order = ranked("k", ids)
    plan = planned(ids, ["b", "a"], overlap=0.5, per_document=2, seed="k")
    assert {gid: sorted(who) for gid, who in plan.assigned.items()} == {
        order[0]: ["a", "b"],
        order[1]: ["a", "b"],
        order[2]: ["a"],
        order[3]: ["b"],
    }


def test_three_overlap_documents_meet_every_pair_once():
    """3 annotators, 3 documents, all overlap by 2: each pair shares exactly one."""
    plan = planned(["p", "q", "r"], ["a", "b", "c"], overlap=1.0, per_document=2)
    assert sorted(tuple(sorted(w)) for w in plan.assigned.values()) == [
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
    ]


@pytest.mark.parametrize(
    ("overlap", "n", "expected"),
    [
        (0.5, 1, 1),  # Python's round(0.5) would give 0
        (0.25, 10, 3),  # 2.5 rounds up
        (0.15, 10, 2),  # 1.5 (1.5000000000000002 in floats)
        (0.35, 10, 4),  # 3.5 (3.4999999999999996 in floats)
        (0.1, 25, 3),  # 2.5
        (0.1, 24, 2),  # 2.4
        (0.1, 10_000, 1000),
        (0.29, 100, 29),  # 28.999999999999996 in floats
        (0.0, 50, 0),
        (1.0, 7, 7),
    ],
)
def test_overlap_size_rounds_halves_up(overlap, n, expected):
    assert cp.overlap_size(overlap, n) == expected
    ids = [f"d{i}" for i in range(n)]
    plan = planned(ids, ["a", "b"], overlap=overlap, per_document=2)
    assert len(plan.overlap_ids()) == expected


def test_one_annotator_without_overlap_gets_everything():
    plan = planned(["x", "y"], ["solo"], overlap=0.0, per_document=2)
    assert plan.assigned == {"x": ["solo"], "y": ["solo"]}


# --------------------------------------------------------------------------- properties


@st.composite
def campaigns(draw, max_docs=60):
    ids = draw(st.lists(DOC_ID, max_size=max_docs, unique=True))
    annotators = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=6, unique=True))
    per_document = draw(st.integers(2, len(annotators)))
    permille = draw(st.integers(0, 1000))
    seed = draw(st.text(max_size=6))
    return ids, annotators, per_document, permille, seed


@BOUNDED
@given(campaigns())
def test_the_rule_holds(case):
    ids, annotators, per_document, permille, seed = case
    plan = planned(ids, annotators, overlap=permille / 1000, per_document=per_document, seed=seed)
    # every document assigned, nothing else
    assert set(plan.assigned) == set(ids)
    n_overlap = half_up(permille, len(ids))
    # the overlap share: exactly round-half-up(overlap x N), the first ranked documents
    assert set(plan.overlap_ids()) == set(ranked(seed, ids)[:n_overlap])
    for gid, who in plan.assigned.items():
        assert set(who) <= set(annotators)
        assert len(set(who)) == len(who) == (per_document if gid in plan.overlap_ids() else 1)
    # balanced: the number of the round's documents each annotator of the round was given
    # differs by at most one between any two of them; so does the number of the round's
    # overlap documents each was given (the overlap is dealt first)
    loads = round_loads(plan, ids)
    assert max(loads.values()) - min(loads.values()) <= 1
    assert sum(loads.values()) == n_overlap * per_document + len(ids) - n_overlap
    shared = round_loads(plan, plan.overlap_ids())
    assert max(shared.values()) - min(shared.values()) <= 1


@settings(max_examples=30, deadline=None)
@given(campaigns(max_docs=40))
def test_three_annotators_pairs_meet_evenly(case):
    """With 3 annotators and 2 per overlap document, every pair shares as many overlap
    documents as every other, give or take one."""
    ids, _, _, permille, seed = case
    plan = planned(ids, ["a", "b", "c"], overlap=permille / 1000, per_document=2, seed=seed)
    pairs = plan.pair_counts()
    assert max(pairs.values()) - min(pairs.values()) <= 1


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 10), st.integers(1, 240), st.sampled_from([0.1, 0.25, 0.5, 0.8, 1.0]))
def test_pairs_meet_evenly_up_to_ten_annotators(n_annotators, n_docs, overlap):
    """With 2 per overlap document, every pair of up to ten annotators shares as many
    overlap documents as every other, give or take one (the greedy choice one annotator at a
    time left 6 annotators with pairs meeting 3 to 8 times on 60 shared documents)."""
    names = [f"u{i}" for i in range(n_annotators)]
    ids = [f"d{i}" for i in range(n_docs)]
    plan = planned(ids, names, overlap=overlap, per_document=2, seed="s")
    pairs = plan.pair_counts()
    assert max(pairs.values()) - min(pairs.values()) <= 1
    assert sum(pairs.values()) == len(plan.overlap_ids())


def test_six_annotators_meet_four_times_each_on_sixty_shared_documents():
    plan = planned([f"d{i}" for i in range(120)], [f"u{i}" for i in range(6)], overlap=0.5,
                   per_document=2, seed="s")  # fmt: skip
    # 60 shared documents, 15 pairs: 4 each
    assert set(plan.pair_counts().values()) == {4}


@BOUNDED
@given(campaigns(), st.randoms(use_true_random=False))
def test_independent_of_input_and_annotator_order(case, rnd):
    ids, annotators, per_document, permille, seed = case
    settings_ = {"overlap": permille / 1000, "per_document": per_document, "seed": seed}
    first = planned(ids, annotators, **settings_)
    ids2, annotators2 = list(ids), list(annotators)
    rnd.shuffle(ids2)
    rnd.shuffle(annotators2)
    again = planned(ids2, annotators2, **settings_)
    assert again.assigned == first.assigned
    assert again.annotators == first.annotators == sorted(annotators)


@settings(max_examples=20, deadline=None)
@given(st.text(max_size=8), st.text(max_size=8))
def test_seed_reproducible_and_decisive(seed, other):
    ids = [f"reuters-{i}" for i in range(200)]
    names = ["alice", "bob", "carol", "dave", "erin"]
    one = planned(ids, names, overlap=0.1, per_document=2, seed=seed)
    assert planned(ids, names, overlap=0.1, per_document=2, seed=seed).assigned == one.assigned
    if other != seed:
        # 20 of 200 chosen by another ranking: the same set by chance has odds 1 / C(200, 20)
        two = planned(ids, names, overlap=0.1, per_document=2, seed=other)
        assert set(two.overlap_ids()) != set(one.overlap_ids())


@BOUNDED
@given(
    campaigns(max_docs=40),
    st.lists(DOC_ID, max_size=30, unique=True),
    st.sampled_from(("zoe", "aaron", "mia")),
    st.randoms(use_true_random=False),
)
def test_extension_moves_nothing_and_deals_the_new_documents_by_the_rule(case, more, newcomer, rnd):
    ids, annotators, per_document, permille, seed = case
    overlap = permille / 1000
    plan = planned(ids, annotators, overlap=overlap, per_document=per_document, seed=seed)
    before = {gid: list(who) for gid, who in plan.assigned.items()}
    projects = dict(plan.projects)
    new = [gid for gid in more if gid not in before]
    everything = ids + new
    rnd.shuffle(everything)
    round_ = cp.extend(plan, everything, [newcomer, *annotators], now="later")

    assert {gid: plan.assigned[gid] for gid in before} == before  # nothing moved
    assert set(plan.assigned) == set(ids) | set(new)
    assert plan.annotators == [*sorted(annotators), newcomer]
    assert plan.projects == {**projects, newcomer: f"c1--{newcomer}"}
    # the rule, on the new documents only
    n_overlap = half_up(permille, len(new))
    assert (round_.documents, round_.overlap_documents, round_.joined) == (
        len(new),
        n_overlap,
        [newcomer],
    )
    new_overlap = {gid for gid in new if len(plan.assigned[gid]) > 1}
    assert new_overlap == set(ranked(seed, new)[:n_overlap])
    loads = round_loads(plan, new)  # the newcomer takes part in this round like the others
    assert max(loads.values()) - min(loads.values()) <= 1
    # the same as a fresh campaign of the new documents with everyone
    fresh = planned(new, [*annotators, newcomer], overlap=overlap,
                    per_document=per_document, seed=seed)  # fmt: skip
    assert {gid: plan.assigned[gid] for gid in new} == fresh.assigned
    assert [r.at for r in plan.rounds] == [NOW, "later"]


def test_extension_with_nothing_new_changes_nothing():
    ids = [f"d{i}" for i in range(12)]
    plan = planned(ids, ["a", "b", "c"])
    before = json.dumps(plan.to_dict())
    round_ = cp.extend(plan, list(reversed(ids)), ["c", "b", "a"], now="later")
    assert (round_.documents, round_.overlap_documents, round_.joined) == (0, 0, [])
    assert json.dumps(plan.to_dict()) == before


# --------------------------------------------------------------------------- refusals


def usage(call) -> str:
    with pytest.raises(UsageError) as caught:
        call()
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_nobody_leaves():
    plan = planned(["x", "y"], ["alice", "bob", "carol"])
    assert usage(lambda: cp.extend(plan, ["z"], ["bob", "alice", "dave"])) == (
        "campaign 'c1' has annotators carol that --annotators leaves out; nobody leaves a "
        "campaign (their documents stay assigned): list every earlier annotator "
        "(alice, bob, carol) plus the new ones"
    )
    assert "z" not in plan.assigned and plan.annotators == ["alice", "bob", "carol"]


def test_annotator_named_twice():
    plan = cp.new_plan("c1", URL, overlap=0.2, per_document=2, seed="s")
    assert usage(lambda: cp.extend(plan, ["x"], ["bob", "alice", "bob"])) == (
        "--annotators names bob twice; name each once"
    )


def test_changed_settings():
    plan = planned(["x"], ["alice", "bob"], overlap=0.2, per_document=2, seed="s")
    expected = (
        "campaign 'c1' was planned with --overlap 0.2 --per-document 2 --seed 's'; extend it "
        "with the same settings (or start a campaign under another name)"
    )
    assert usage(lambda: cp.check_settings(plan, 0.3, 2, "s")) == expected
    assert usage(lambda: cp.check_settings(plan, 0.2, 3, "s")) == expected
    assert usage(lambda: cp.check_settings(plan, 0.2, 2, "t")) == expected
    cp.check_settings(plan, 0.2, 2, "s")  # the same settings pass


def test_per_document_above_annotators():
    plan = cp.new_plan("c1", URL, overlap=0.2, per_document=3, seed="s")
    assert usage(lambda: cp.extend(plan, ["x"], ["alice", "bob"])) == (
        "--per-document 3 needs at least 3 annotators; --annotators names 2"
    )
    assert plan.assigned == {} and plan.rounds == []


@pytest.mark.parametrize(
    ("overlap", "per_document", "expected"),
    [
        (1.5, 2, "--overlap 1.5 is not a share; give a number from 0 to 1"),
        (-0.1, 2, "--overlap -0.1 is not a share; give a number from 0 to 1"),
        (0.2, 1, "--per-document 1: an overlap document goes to at least 2 annotators"),
    ],
)
def test_bad_overlap(overlap, per_document, expected):
    assert usage(lambda: cp.check_overlap(overlap, per_document)) == expected
    plan = cp.new_plan("c1", URL, overlap=overlap, per_document=per_document, seed="s")
    assert usage(lambda: cp.extend(plan, ["x"], ["alice", "bob"])) == expected


@pytest.mark.parametrize("name", ["", "bad name", "a/b", "-dash", ".dot", "x" * 61, "é"])
def test_bad_campaign_name(name):
    expected = (
        f"campaign name {name!r} is not usable; use 1-60 letters, digits, '.', '_' or '-', "
        "starting with a letter or digit"
    )
    assert usage(lambda: cp.check_name(name)) == expected
    assert usage(lambda: cp.new_plan(name, URL, overlap=0.1, per_document=2, seed="s")) == expected


@pytest.mark.parametrize("name", ["a", "news-2026_q1.v2", "x" * 60, "9"])
def test_good_campaign_name(name):
    assert cp.check_name(name) == name


# --------------------------------------------------------------------------- storage


def test_save_and_load(tmp_path):
    # a login in the URL is never written into the plan (nor its file name)
    plan = cp.new_plan("c1", "http://user:pw@127.0.0.1:8000/", overlap=0.2, per_document=2,
                       seed="s")  # fmt: skip
    cp.extend(plan, [f"d{i}" for i in range(20)], ["alice", "bob", "carol"], now=NOW)
    cp.extend(plan, ["n1", "n2"], ["alice", "bob", "carol", "dave"], now="later")
    plan.corpus = "corpus-123"
    plan.baseline = {"alice": {"PER": 3}}
    path = cp.save_plan(plan, home=tmp_path)
    key = hashlib.sha1(b"http://127.0.0.1:8000").hexdigest()[:12]
    assert path == tmp_path / "campaigns" / f"{key}-c1.json"
    assert "pw" not in path.read_text(encoding="utf-8")
    loaded = cp.load_plan("http://127.0.0.1:8000/", "c1", home=tmp_path)
    assert loaded == plan
    assert list(loaded.assigned) == list(plan.assigned)  # assignment order kept
    data = json.loads(path.read_text(encoding="utf-8"))
    # 0.2 x 20 = 4 overlap documents, then 0.2 x 2 = 0.4 -> none
    assert (data["documents"], data["overlap_documents"]) == (22, 4)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(campaigns(max_docs=30))
def test_save_load_round_trip(tmp_path, case):
    ids, annotators, per_document, permille, seed = case
    plan = planned(ids, annotators, overlap=permille / 1000, per_document=per_document, seed=seed)
    cp.save_plan(plan, home=tmp_path)
    assert cp.load_plan(URL, "c1", home=tmp_path) == plan


def test_missing_plan(tmp_path):
    assert cp.load_plan(URL, "c1", home=tmp_path) is None
    path = cp.plan_path(URL, "c1", tmp_path)
    assert usage(lambda: cp.require_plan(URL, "c1", home=tmp_path)) == (
        f"no campaign 'c1' for doccano at {URL} here ({path}); start it with `goldwire "
        "annotate assign CORPUS --campaign c1 --annotators ...`"
    )


def damaged(tmp_path, text: str) -> str:
    path = cp.plan_path(URL, "c1", tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        cp.load_plan(URL, "c1", home=tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_damaged_plan_file(tmp_path):
    path = cp.plan_path(URL, "c1", tmp_path)
    message = damaged(tmp_path, '{"version": 1, "name": "c1"')  # cut short
    assert message.startswith(f"{path}: unreadable campaign plan (")
    assert message.endswith("); restore it")
    good = planned(["x", "y"], ["a", "b"]).to_dict()
    fix = "restore it from a pull folder's campaign.json or start a new campaign"
    without_seed = {k: v for k, v in good.items() if k != "seed"}
    assert damaged(tmp_path, json.dumps(without_seed)) == (
        f"{path}: not a goldwire campaign plan ('seed'); {fix}"
    )
    assert damaged(tmp_path, json.dumps({**good, "version": 2})) == (
        f"{path}: not a goldwire campaign plan (version 2); {fix}"
    )
    assert damaged(tmp_path, json.dumps({**good, "assigned": {"x": 5}})).endswith(fix)
    assert damaged(tmp_path, "[1, 2]").startswith(f"{path}: not a goldwire campaign plan (")
    assert damaged(tmp_path, json.dumps({**good, "rounds": [{"when": 1}]})).endswith(fix)
