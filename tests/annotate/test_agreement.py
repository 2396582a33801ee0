"""Agreement: hand-derived figures on a tiny pull folder; kappa and alpha against sklearn and
the krippendorff package on generated data; loading errors; the CLI command."""

from __future__ import annotations

import json
import math
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pullgen import ACCEPTED, EDITED, UNREVIEWED, pulled, write_pull, write_suggestion_folder

from goldwire.annotate.agreement import (
    AgreementResult,
    SpanLevel,
    StanceLevel,
    agreement,
    cohen_kappa,
    compute_agreement,
    krippendorff_alpha,
)
from goldwire.annotate.annotations import AnnotationSet, load_annotations
from goldwire.errors import InputError, UsageError
from goldwire.schema import Document, Entity
from gwtest import TEST_DATA

PAIR = TEST_DATA / "annotate" / "pair"
THREE = TEST_DATA / "annotate" / "three"
LABELS = ("PER", "ORG", "GPE")


def sk_kappa(a, b) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = cohen_kappa_score(list(a), list(b))
    return None if math.isnan(value) else float(value)


def kr_alpha(coders_by_units: np.ndarray) -> float | None:
    import krippendorff

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = krippendorff.alpha(reliability_data=coders_by_units,
                                       level_of_measurement="nominal")  # fmt: skip
    except ValueError:  # no pairable unit, or a single value in the domain
        return None
    return None if math.isnan(value) else float(value)


def close(ours: float | None, ref: float | None) -> bool:
    if ours is None or ref is None:
        return ours is None and ref is None
    return math.isclose(ours, ref, rel_tol=1e-9, abs_tol=1e-12)


# --------------------------------------------------------------------------- hand-derived


@pytest.fixture(scope="module")
def pair() -> AgreementResult:
    return agreement(PAIR)


def test_pair_counts_only_shared_documents(pair):
    assert pair.annotators == ("alice", "bob")
    assert pair.documents == 2 and pair.multiply_annotated == 1
    assert pair.documents_by_annotator == {"alice": 2, "bob": 1}
    (p,) = pair.pairs
    assert (p.a, p.b, p.documents, p.tokens) == ("alice", "bob", 1, 10)  # d2 is alice's only


def test_span_f1_exact_and_overlap_by_hand(pair):
    # alice: PER "Alice Smith", PER "Bob", GPE "New York City"
    # bob:   PER "Alice",       ORG "Bob", GPE "New York City"
    exact, overlap = pair.spans(SpanLevel.EXACT), pair.spans(SpanLevel.OVERLAP)
    assert exact.f1() == pytest.approx(2 * 1 / 6)  # only New York City agrees exactly
    assert overlap.f1() == pytest.approx(2 * 2 / 6)  # + Alice Smith ~ Alice (same label)
    assert exact.f1("PER") == 0.0 and overlap.f1("PER") == pytest.approx(2 * 1 / 3)
    assert exact.f1("ORG") == 0.0 and exact.f1("GPE") == 1.0
    assert exact.by_label["PER"].possible == 2 and exact.by_label["PER"].actual == 1


def test_token_kappa_and_alpha_by_hand(pair):
    # tokens: Alice Smith met Bob in New York City today .
    a = ["PER", "PER", "O", "PER", "O", "GPE", "GPE", "GPE", "O", "O"]
    b = ["PER", "O", "O", "ORG", "O", "GPE", "GPE", "GPE", "O", "O"]
    # p_o = 8/10; p_e = (3*1 + 4*5 + 3*3) / 100 = 0.32; kappa = 0.48 / 0.68
    assert pair.kappa == pytest.approx(12 / 17)
    assert pair.kappa == pytest.approx(sk_kappa(a, b))
    # alpha: n = 20, two disagreeing units give D_o = 4, n_c = 4, 9, 6, 1:
    # 1 - 19 * 4 / (400 - 134) = 5/7 (d2 has one coder only: not pairable)
    assert pair.alpha == pytest.approx(5 / 7)
    assert pair.alpha_tokens == 10
    per = [x == "PER" for x in a], [x == "PER" for x in b]
    assert pair.kappa_for("PER") == pytest.approx(sk_kappa(*per))
    assert pair.kappa_for("GPE") == pytest.approx(1.0)


def test_stance_levels_by_hand(pair):
    # alice: "Alice Smith" -> "Bob" SUPPORT; bob: "Alice" -> "Bob" SUPPORT
    assert pair.stances(StanceLevel.MENTION).f1() == 0.0  # holder spans differ
    assert pair.stances(StanceLevel.MENTION_RELAXED).f1() == 1.0  # they overlap
    assert pair.stances(StanceLevel.TRIPLE).f1() == 0.0  # "alice smith" != "alice"
    assert pair.stance_labels == ("SUPPORT",)


def test_json_is_serialisable_and_has_summary(pair, tmp_path):
    data = json.loads(json.dumps(pair.to_json()))
    assert data["summary"]["token_kappa"] == pytest.approx(12 / 17)
    assert data["pairs"][0]["documents"] == 1
    assert data["spans"]["overlap"]["by_label"]["PER"]["cor"] == 1
    assert set(data["definitions"]) >= {"exact", "overlap"}


def test_three_annotators_pairs_and_missing_values():
    result = agreement(THREE)
    docs = {(p.a, p.b): p.documents for p in result.pairs}
    assert docs == {("alice", "bob"): 2, ("alice", "carol"): 1, ("bob", "carol"): 1}
    assert result.multiply_annotated == 2  # m3 is carol's only


def test_nothing_marked_is_undefined_not_zero(tmp_path):
    text = "Nothing to see here."
    for name in ("a", "b"):
        _write(tmp_path, name, [Document(id="x", text=text)])
    result = agreement(tmp_path)
    assert result.spans(SpanLevel.EXACT).f1() is None
    assert result.kappa is None and result.alpha is None  # one category only


# --------------------------------------------------------------------------- loading


def _write(folder: Path, name: str, docs: list[Document]) -> Path:
    from goldwire.schema import write_jsonl

    path = folder / "annotators" / f"{name}.jsonl"
    write_jsonl(docs, path)
    return path


def test_text_mismatch_names_document_and_files(tmp_path):
    _write(tmp_path, "alice", [Document(id="x", text="One text.")])
    bob = _write(tmp_path, "bob", [Document(id="x", text="Another text.")])
    with pytest.raises(InputError) as err:
        load_annotations(tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"{bob}: document x has text_sha256 ")
    assert "alice.jsonl" in msg and "the annotators saw different texts" in msg


def test_missing_layout_and_duplicates(tmp_path):
    with pytest.raises(InputError, match="no annotators/ folder"):
        load_annotations(tmp_path)
    (tmp_path / "annotators").mkdir()
    with pytest.raises(InputError, match=r"no <username>\.jsonl files"):
        load_annotations(tmp_path)
    doc = Document(id="x", text="Same.")
    path = _write(tmp_path, "alice", [doc, doc])
    with pytest.raises(InputError, match=f"^{path}: document x appears twice"):
        load_annotations(tmp_path)


def test_one_annotator_is_a_usage_error(tmp_path):
    _write(tmp_path, "alice", [Document(id="x", text="Alone.")])
    with pytest.raises(UsageError, match="needs at least two annotators, found 1"):
        agreement(tmp_path)


# --------------------------------------------------------------------------- references


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_cohen_kappa_matches_sklearn(data):
    k = data.draw(st.integers(2, 4))
    n = data.draw(st.integers(1, 40))
    a = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    b = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    assert close(cohen_kappa(a, b, k), sk_kappa(a, b))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_krippendorff_alpha_matches_package(data):
    k = data.draw(st.integers(2, 4))
    units = data.draw(st.integers(1, 30))
    coders = data.draw(st.integers(2, 4))
    cells = st.lists(st.integers(-1, k - 1), min_size=coders, max_size=coders)
    values = np.array(data.draw(st.lists(cells, min_size=units, max_size=units)))
    reference = np.where(values < 0, np.nan, values).T.astype(float)
    assert close(krippendorff_alpha(values, k), kr_alpha(reference))


WORDS = ("north", "river", "council", "mission", "border", "summit", "talks")


@st.composite
def pull_folders(draw):
    """Documents of 1..10 one-token words; each annotator labels tokens, runs become spans.

    Returns the annotation set and the token labels by construction:
    ``{doc_id: {annotator: [label per token]}}``.
    """
    names = ("ann", "bob", "cyd")[: draw(st.integers(2, 3))]
    documents: dict[str, dict[str, Document]] = {}
    truth: dict[str, dict[str, list[str]]] = {}
    for d in range(draw(st.integers(1, 4))):
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=10))
        text = " ".join(words)
        who = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
        doc_id = f"d{d}"
        documents[doc_id], truth[doc_id] = {}, {}
        for name in sorted(who):
            tags = draw(st.lists(st.sampled_from(("O", *LABELS)), min_size=len(words),
                                 max_size=len(words)))  # fmt: skip
            documents[doc_id][name] = Document(id=doc_id, text=text,
                                               entities=_runs(words, tags))  # fmt: skip
            truth[doc_id][name] = tags
    return AnnotationSet(Path("generated"), names, {}, documents), truth


def _runs(words: list[str], tags: list[str]) -> list[Entity]:
    """Maximal runs of one label as entities (words are joined by one space)."""
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    out: list[Entity] = []
    i = 0
    while i < len(tags):
        j = i
        while j + 1 < len(tags) and tags[j + 1] == tags[i]:
            j += 1
        if tags[i] != "O":
            s, e = starts[i], starts[j] + len(words[j])
            out.append(Entity(f"T{len(out) + 1}", s, e, tags[i], " ".join(words[i : j + 1])))
        i = j + 1
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pull_folders())
def test_token_agreement_matches_references_on_generated_folders(folder):
    annotations, truth = folder
    result = compute_agreement(annotations)
    for p in result.pairs:
        shared = [d for d, by in truth.items() if p.a in by and p.b in by]
        a = [t for d in shared for t in truth[d][p.a]]
        b = [t for d in shared for t in truth[d][p.b]]
        assert p.documents == len(shared) and p.tokens == len(a)
        assert close(p.kappa, sk_kappa(a, b) if a else None)
        for label in result.labels:
            ref = sk_kappa([x == label for x in a], [x == label for x in b]) if a else None
            assert close(p.kappa_by_label[label], ref), label
    codes = {lab: i for i, lab in enumerate(("O", *LABELS))}
    columns = []
    for by in truth.values():
        n = len(next(iter(by.values())))
        block = np.full((len(annotations.annotators), n), np.nan)
        for j, name in enumerate(annotations.annotators):
            if name in by:
                block[j] = [codes[t] for t in by[name]]
        columns.append(block)
    reliability = np.concatenate(columns, axis=1)
    assert close(result.alpha, kr_alpha(reliability))
    for label in result.labels:
        binary = np.where(np.isnan(reliability), np.nan, reliability == codes[label])
        assert close(result.alpha_by_label[label], kr_alpha(binary)), label


# --------------------------------------------------------------------------- CLI


@pytest.fixture()
def run(cli):
    """``goldwire annotate ARGS...`` through the root app."""
    return lambda *args: cli("annotate", *args)


def test_cli_tables_and_json(run, tmp_path):
    out = tmp_path / "agreement.json"
    result = run("agreement", PAIR, "--json", out)
    assert result.exit_code == 0, result.output
    assert "alice / bob" in result.output and "0.706" in result.output  # kappa 12/17
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"]["token_alpha"] == pytest.approx(5 / 7)


def test_cli_error_is_one_line(run, tmp_path):
    shutil.copytree(PAIR, tmp_path / "p")
    (tmp_path / "p" / "annotators" / "bob.jsonl").unlink()
    result = run("agreement", tmp_path / "p")
    assert result.exit_code == 2
    assert result.output == (
        f"error: {tmp_path / 'p'}: agreement needs at least two annotators, found 1 (alice); "
        "assign documents to a second annotator and pull again\n"
    )


def test_cli_help_has_example(run):
    result = run("agreement", "--help")
    assert result.exit_code == 0 and "Example:" in result.output


# --------------------------------------------------------------------------- what counts

TEXT = "CSTO backs Armenia against Baku in Yerevan talks."
# tokens: CSTO backs Armenia against Baku in Yerevan talks .


def test_unreviewed_suggestion_is_never_agreement(tmp_path):
    """bob left the model's CSTO ORG untouched on an example he did not confirm: by default
    his copy does not count; with --include-unconfirmed it does, without that suggestion."""
    write_pull(
        tmp_path, "alice", [pulled("d1", TEXT, "alice", entities=((0, 4, "ORG"), (11, 18, "GPE")))]
    )
    write_pull(
        tmp_path,
        "bob",
        [
            pulled(
                "d1",
                TEXT,
                "bob",
                confirmed=False,
                entities=((0, 4, "ORG", UNREVIEWED), (11, 18, "GPE")),
            )
        ],
    )
    (p,) = agreement(tmp_path).pairs
    assert (p.documents, p.tokens, p.kappa) == (0, 0, None)
    assert agreement(tmp_path).spans(SpanLevel.EXACT).f1() is None
    wide = agreement(tmp_path, include_unconfirmed=True)
    (p,) = wide.pairs
    assert p.documents == 1
    assert wide.spans(SpanLevel.EXACT).f1() == pytest.approx(2 * 1 / 3)  # CSTO is not bob's
    a = ["ORG", "O", "GPE", "O", "O", "O", "O", "O", "O"]
    b = ["O", "O", "GPE", "O", "O", "O", "O", "O", "O"]
    assert close(p.kappa, sk_kappa(a, b))
    reliability = np.array([[{"O": 0, "ORG": 1, "GPE": 2}[x] for x in row] for row in (a, b)])
    assert close(wide.alpha, kr_alpha(reliability.astype(float)))
    assert wide.to_json()["coverage"]["total"]["items_removed"] == {"entities": {UNREVIEWED: 1}}


def test_unconfirmed_copies_are_left_out_by_default(tmp_path):
    write_pull(
        tmp_path,
        "alice",
        [
            pulled("d1", TEXT, "alice", entities=((0, 4, "ORG"),)),
            pulled("d2", TEXT, "alice", entities=((0, 4, "ORG"),)),
        ],
    )
    write_pull(tmp_path, "bob", [pulled("d1", TEXT, "bob", entities=((0, 4, "ORG"),)),
                                 pulled("d2", TEXT, "bob", entities=((0, 4, "PER"),),
                                        confirmed=False)])  # fmt: skip
    result = agreement(tmp_path)
    assert result.spans(SpanLevel.EXACT).f1() == 1.0 and result.pairs[0].documents == 1
    assert result.documents_by_layer["entities"] == {"alice": 2, "bob": 1}
    data = result.to_json()
    assert data["coverage"]["by_annotator"]["bob"]["left_out"]["entities"] == {"unconfirmed": 1}
    assert data["summary"]["layers_left_out"] == 2 + 2 + 2  # doc_stances none everywhere
    assert agreement(tmp_path, include_unconfirmed=True).spans(SpanLevel.EXACT).f1() == 0.5


def test_pairs_count_documents_per_layer(tmp_path):
    """alice confirmed d2's entities but not its stances: d2 counts for entity figures only."""
    stance = ((0, 4, "ORG"), (11, 18, "GPE"))
    d2 = pulled("d2", TEXT, "alice", entities=stance, stances=((0, 1, "OPPOSE"),))
    d2["annotation"]["stances"] = "unconfirmed"
    write_pull(tmp_path, "alice", [pulled("d1", TEXT, "alice", entities=stance,
                                          stances=((0, 1, "SUPPORT"),)), d2])  # fmt: skip
    write_pull(
        tmp_path,
        "bob",
        [
            pulled(d, TEXT, "bob", entities=stance, stances=((0, 1, "SUPPORT"),))
            for d in ("d1", "d2")
        ],
    )
    (p,) = agreement(tmp_path).pairs
    assert (p.documents, p.stance_documents) == (2, 1)
    assert p.stances[StanceLevel.MENTION].f1() == 1.0  # d2's OPPOSE does not count
    assert p.spans[SpanLevel.EXACT].overall.cor == 4


# --------------------------------------------------------------------------- suggestions


def _count_by_reading(folder: Path, include_unconfirmed: bool) -> dict[str, tuple[int, int, int]]:
    """(accepted, edited, rejected) per annotator, read straight from the JSON lines."""
    out = {}
    for path in sorted((folder / "annotators").glob("*.jsonl")):
        accepted = edited = rejected = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            if doc["annotation"]["entities"] != "annotated" and not include_unconfirmed:
                continue
            items = doc["entities"] + doc["stances"]
            accepted += sum(i["provenance"] == ACCEPTED for i in items)
            edited += sum(i["provenance"] == EDITED for i in items)
            rejected += doc["annotation"]["rejected_suggestions"]
        out[path.stem] = (accepted, edited, rejected)
    return out


@pytest.mark.parametrize("include", [False, True])
def test_acceptance_rate_matches_a_count_of_the_files(tmp_path, include):
    write_suggestion_folder(tmp_path)
    data = agreement(tmp_path, include_unconfirmed=include).to_json()
    counts = _count_by_reading(tmp_path, include)
    for name, (acc, edit, rej) in counts.items():
        got = data["suggestions"]["by_annotator"][name]
        assert (got["accepted"], got["edited"], got["rejected"]) == (acc, edit, rej)
        assert got["acceptance_rate"] == pytest.approx(acc / (acc + edit + rej))
    acc, edit, rej = (sum(c[i] for c in counts.values()) for i in range(3))
    assert data["summary"]["suggestion_acceptance_rate"] == pytest.approx(acc / (acc + edit + rej))


def test_acceptance_rate_by_hand(tmp_path):
    write_suggestion_folder(tmp_path)
    data = agreement(tmp_path).to_json()
    alice, bob = (data["suggestions"]["by_annotator"][n] for n in ("alice", "bob"))
    assert (alice["accepted"], alice["edited"], alice["rejected"], alice["orphaned"]) == (
        2,
        1,
        1,
        1,
    )
    assert alice["acceptance_rate"] == pytest.approx(2 / 4)  # d2 unconfirmed: not counted
    assert (bob["accepted"], bob["human"], bob["rejected"]) == (1, 2, 3)
    assert bob["acceptance_rate"] == pytest.approx(1 / 4)
    assert data["suggestions"]["pooled"]["acceptance_rate"] == pytest.approx(3 / 8)
    assert data["summary"]["suggestion_acceptance_rate"] == pytest.approx(3 / 8)
    assert {"suggestions", "acceptance_rate", "counting"} <= set(data["definitions"])
    counts = {"annotators", "documents", "documents_multiply_annotated"}
    assert set(data["summary"]) - counts <= set(data["definitions"])  # every figure defined
    wide = agreement(tmp_path, include_unconfirmed=True).to_json()
    assert wide["suggestions"]["by_annotator"]["alice"]["unreviewed"] == 1
    assert wide["suggestions"]["by_annotator"]["alice"]["acceptance_rate"] == pytest.approx(3 / 7)


def test_cli_include_unconfirmed_and_json_to_stdout(run, tmp_path):
    write_suggestion_folder(tmp_path)
    result = run("agreement", tmp_path, "--include-unconfirmed", "--json", "-")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["coverage"]["counting"].startswith("confirmed and unconfirmed")
    assert data["summary"]["suggestion_acceptance_rate"] == pytest.approx(4 / 11)
    assert "use of model suggestions" in result.stderr and "0.429" in result.stderr  # alice 3/7
    assert "what counts" in result.stderr and not (tmp_path / "-").exists()
