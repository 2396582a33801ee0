from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from goldwire.corpus import writing
from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import iter_documents, load_corpus
from goldwire.corpus.readers import ReadOptions
from goldwire.corpus.split import SplitRatios
from goldwire.errors import InputError
from gwtest import SEED_ARTICLES, TEST_DATA, tass_article


def _build(inputs, out, **kw):
    inputs = tuple(Path(p) for p in (inputs if isinstance(inputs, list | tuple) else [inputs]))
    return build_corpus(BuildConfig(inputs=inputs, out=out, **kw))


def test_seed_article(tmp_path):
    report = _build(SEED_ARTICLES, tmp_path / "seed")
    docs = list(iter_documents(tmp_path / "seed"))
    assert len(docs) == 1
    doc = docs[0]
    assert (
        doc.title == "CSTO ready to help Armenia by sending mission to its border with Azerbaijan"
    )
    assert (doc.dateline, doc.agency, doc.published, doc.published_raw) == (
        "MOSCOW", "TASS", None, "March 31",
    )  # fmt: skip
    assert doc.language == "en"
    raw = (SEED_ARTICLES / "000_cb2353d6230e5346.txt").read_text(encoding="utf-8")
    paras = [p for p in raw.split("\n\n") if p.strip()]
    # title, blank line, lead, blank line, body with its dateline line kept
    assert doc.text.startswith(paras[1] + "\n\n" + paras[2] + "\n\nMOSCOW, March 31. /TASS/. The")
    assert "All news" not in doc.text
    assert doc.text.count("top brass said") == 1  # the body's repeat of the lead is removed
    assert doc.text.endswith(paras[-1])
    kinds = [p.kind for p in doc.paragraphs]
    assert kinds == ["title", "lead", "body", "body", "body", "body"]
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] in paras
    assert report.reconciles() and report.kept == 1


def test_ids_are_stable_across_rebuilds_paths_and_workers(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        (src / f"a{i}.txt").write_text(tass_article(i), encoding="utf-8")
    _build(src, tmp_path / "one")
    moved = tmp_path / "elsewhere" / "deeper"
    shutil.copytree(src, moved)
    _build(moved, tmp_path / "two", workers=2, fresh=True)

    def rows(path):
        dd, _, _ = load_corpus(path)
        return sorted((r["id"], s, r["text"]) for s in dd for r in dd[s])

    assert rows(tmp_path / "one") == rows(tmp_path / "two")
    assert len(rows(tmp_path / "one")) == 6


def test_bad_inputs_report_line_by_line(tmp_path):
    expected = json.loads((TEST_DATA / "bad_inputs_expected.json").read_text(encoding="utf-8"))
    report = _build(TEST_DATA / "bad_inputs", tmp_path / "out").to_json()
    files = {k: report["files"][k] for k in ("found", "read", "rejected", "skipped")}
    assert files == expected["files"]
    assert report["documents"] == expected["documents"]
    got = sorted([Path(r["source"]).name, r["reason"]] for r in report["rejections"])
    assert got == expected["rejections"]
    assert [[Path(s["source"]).name, s["reason"]] for s in report["skipped"]] == expected["skipped"]
    for r in report["rejections"]:
        assert r["message"].startswith(r["source"] + ":"), r  # names its file
        assert "\n" not in r["message"]
    assert report["files"]["encodings"] == expected["encodings"]
    assert report["reconciles"] is True
    on_disk = json.loads((tmp_path / "out" / "build_report.json").read_text(encoding="utf-8"))
    assert on_disk["rejections"] == report["rejections"]
    docs = {Path(d.source).name: d for d in iter_documents(tmp_path / "out")}
    for name, fields in expected["documents_by_file"].items():
        assert {k: getattr(docs[name], k) for k in fields} == fields, name
    assert "\r" not in docs["crlf_tass.txt"].text


def test_strict_stops_at_first_problem_and_writes_nothing(tmp_path):
    with pytest.raises(InputError, match=r"bad_utf16\.txt: starts with a utf-16 byte-order mark"):
        _build(TEST_DATA / "bad_inputs", tmp_path / "out", strict=True)
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.*"))


def test_failed_build_leaves_the_previous_dataset(tmp_path, monkeypatch):
    out = tmp_path / "seed"
    _build(SEED_ARTICLES, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writing, "move_into_place", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        _build(SEED_ARTICLES, out)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert len(list(iter_documents(out))) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["seed"]  # no temporary folder left


def test_exact_and_near_duplicates_are_listed_with_what_they_duplicate(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    base = tass_article(1, paragraphs=8)
    (src / "a.txt").write_text(base, encoding="utf-8")
    (src / "b_exact.txt").write_text(base.replace("\n", "\r\n"), encoding="utf-8")
    lines = base.split("\n\n")
    lines[1] = lines[1] + " (updated)"  # edited headline
    (src / "c_reissue.txt").write_text("\n\n".join(lines), encoding="utf-8")
    (src / "d_other.txt").write_text(tass_article(2, paragraphs=8), encoding="utf-8")
    report = _build(src, tmp_path / "out").to_json()
    kept_id = next(d.id for d in iter_documents(tmp_path / "out") if d.source.endswith("a.txt"))
    dups = {Path(d["source"]).name: d for d in report["duplicates"]}
    assert dups["b_exact.txt"]["kind"] == "exact"
    assert dups["b_exact.txt"]["duplicate_of"] == kept_id
    assert dups["c_reissue.txt"]["kind"] == "near"
    assert dups["c_reissue.txt"]["duplicate_of"] == kept_id
    assert dups["c_reissue.txt"]["similarity"] >= 0.8
    assert report["documents"]["kept"] == 2
    assert report["reconciles"]


def test_language_override_and_year(tmp_path):
    report = build_corpus(
        BuildConfig(
            inputs=(SEED_ARTICLES,),
            out=tmp_path / "o",
            read=ReadOptions(year=2023, language="xx"),
        )
    )
    doc = next(iter_documents(tmp_path / "o"))
    assert (doc.language, doc.published) == ("xx", "2023-03-31")
    assert report.kept == 1


def test_split_ratios_are_used(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(5):
        (src / f"a{i}.txt").write_text(tass_article(i), encoding="utf-8")
    report = _build(src, tmp_path / "o", ratios=SplitRatios(0.0, 0.0, 1.0))
    assert report.splits == {"train": 0, "validation": 0, "test": 5}


def test_the_build_writes_the_card_into_the_dataset_and_its_copy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the library writes nothing into the working directory
    _build(SEED_ARTICLES, tmp_path / "plain")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]
    card = (tmp_path / "plain" / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "# Dataset Card for plain" in card
    assert "1 documents seen, 1 kept" in card  # from the build report

    copy = tmp_path / "cards" / "seed" / "README.md"
    _build(SEED_ARTICLES, tmp_path / "seed", card=copy)
    assert copy.read_text(encoding="utf-8") == (tmp_path / "seed" / "README.md").read_text(
        encoding="utf-8"
    )


def test_phases_time_the_build(tmp_path):
    started = time.perf_counter()
    report = _build(SEED_ARTICLES, tmp_path / "o")
    wall = time.perf_counter() - started
    phases = report.phases
    assert list(phases) == ["discover", "start", "stage", "decide", "write", "card", "stop"]
    assert all(v >= 0 for v in phases.values())
    until_written = ("discover", "start", "stage", "decide", "write")
    assert sum(phases[p] for p in until_written) == pytest.approx(report.seconds)
    assert sum(phases.values()) == pytest.approx(wall, abs=0.1)
    assert phases["card"] > 0  # the card reads the written dataset back
    assert "phases" not in report.to_json()  # two runs of one build give one report


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_counts_the_files_read(tmp_path, workers):
    calls = []
    report = build_corpus(
        BuildConfig(inputs=(TEST_DATA / "bad_inputs",), out=tmp_path / "o", workers=workers),
        lambda phase, done, total: calls.append((phase, done, total)),
    )
    n = report.files_found - report.files_skipped  # the hidden file is not read
    assert n > 5 and report.files_skipped == 1
    assert calls == [("reading files", i, n) for i in range(n + 1)]


# --------------------------------------------------------------------------- nothing crashes


@pytest.mark.parametrize("workers", [1, 2])
def test_a_missing_module_stops_the_build_naming_it_not_a_rejection(tmp_path, monkeypatch, workers):
    """An ImportError says the installation is incomplete, not that the input is bad."""
    from goldwire.corpus.readers.wiretext import TextReader
    from goldwire.errors import MissingDependencyError

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Title\n\nBody " + "words " * 10, encoding="utf-8")

    def read(self, path, text, options):
        raise ModuleNotFoundError("No module named 'py3langid'", name="py3langid")

    monkeypatch.setattr(TextReader, "read", read)
    with pytest.raises(MissingDependencyError) as err:
        _build(src, tmp_path / "out", workers=workers)
    assert str(err.value) == (
        "py3langid is not installed (needed to read in/a.txt); goldwire's dependencies are "
        "incomplete: reinstall it with `pip install goldwire`"
    )
    assert not (tmp_path / "out").exists()


def test_any_failure_in_one_file_is_its_rejection_and_the_rest_is_built(tmp_path, monkeypatch):
    from goldwire.corpus.readers.wiretext import TextReader

    src = tmp_path / "in"
    src.mkdir()
    for i, name in enumerate(("a.txt", "boom.txt", "c.txt", "deep.txt")):
        (src / name).write_text(f"Title {name}\n\nBody {i} " + "words " * 10, encoding="utf-8")
    real = TextReader.read

    def read(self, path, text, options):
        if path.name == "boom.txt":
            raise OverflowError("Python int too large to convert to C int")
        if path.name == "deep.txt":
            raise RecursionError("maximum recursion depth exceeded")
        return real(self, path, text, options)

    monkeypatch.setattr(TextReader, "read", read)
    report = _build(src, tmp_path / "out")
    assert (report.files_read, report.files_rejected, report.kept) == (2, 2, 2)
    assert [(Path(r["source"]).name, r["reason"], r["message"]) for r in report.rejections] == [
        ("boom.txt", "unparseable", "in/boom.txt: the text reader stopped; the rest "
         "cannot be read (OverflowError: Python int too large to convert to C int); fix or "
         "remove this input"),
        ("deep.txt", "unparseable", "in/deep.txt: the text reader stopped; the rest "
         "cannot be read (RecursionError: nested too deeply); fix or remove this input"),
    ]  # fmt: skip
    assert report.reconciles()
    with pytest.raises(InputError, match=r"boom\.txt: the text reader stopped.*--strict"):
        _build(src, tmp_path / "strict", strict=True)


def test_a_file_that_gives_no_item_is_rejected_not_silently_read(tmp_path, monkeypatch):
    from goldwire.corpus.readers.wiretext import TextReader

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Title\n\nBody words here.", encoding="utf-8")
    (src / "b.txt").write_text("Title\n\nOther body words here.", encoding="utf-8")
    real = TextReader.read

    def read(self, path, text, options):
        return iter(()) if path.name == "a.txt" else real(self, path, text, options)

    monkeypatch.setattr(TextReader, "read", read)
    report = _build(src, tmp_path / "out")
    assert (report.files_read, report.files_rejected, report.kept) == (1, 1, 1)
    assert [(r["reason"], r["message"]) for r in report.rejections] == [
        ("no-documents", "in/a.txt: the text reader found no document in this file; "
         "check its content or pass another --format"),
    ]  # fmt: skip


def test_keyboard_interrupt_is_not_swallowed(tmp_path, monkeypatch):
    from goldwire.corpus.readers.wiretext import TextReader

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Title\n\nBody words here.", encoding="utf-8")

    def read(self, path, text, options):
        raise KeyboardInterrupt

    monkeypatch.setattr(TextReader, "read", read)
    with pytest.raises(KeyboardInterrupt):
        _build(src, tmp_path / "out")


def test_a_field_utf8_cannot_hold_is_rejected_at_finalize_naming_the_record():
    from goldwire.corpus.steps import finalize
    from goldwire.errors import SchemaError
    from goldwire.schema import Document

    doc = Document(id="", text="Some text.", source="f.jsonl:3", meta={"desk": "a\udc80b"})
    config = BuildConfig(inputs=(), out=Path("unused"))
    message = r"^f\.jsonl:3: field meta 'desk' holds '\\udc80' at character 1, a lone surrogate"
    with pytest.raises(SchemaError, match=message):
        finalize(doc, "utf-8", config)


def test_file_names_with_control_or_undecodable_bytes(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    body = "Title\n\nA body of plain words for the article.\n"
    names = {
        b"empty\xff.txt": "",  # not UTF-8, empty: rejected
        b"ok\xfe.txt": body,  # not UTF-8, read
        b"evil\n[red]fake line\x1b[31m.txt": "Other title\n\nA different body here.\n",
        b"tail.txt": "",
    }
    for name, text in names.items():
        with open(os.path.join(os.fsencode(src), name), "w", encoding="utf-8") as f:
            f.write(text)
    report = _build(src, tmp_path / "out")
    data = report.to_json()
    assert (data["files"]["read"], data["files"]["rejected"]) == (2, 2) and data["reconciles"]
    messages = {r["source"]: r["message"] for r in data["rejections"]}
    assert messages["in/empty\\xff.txt"] == (
        "'in/empty\\xff.txt': the file is empty; remove it or give it content"
    )
    assert messages["in/tail.txt"].startswith("in/tail.txt: the file is empty")
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # valid UTF-8 throughout
    on_disk = json.loads((tmp_path / "out" / "build_report.json").read_text(encoding="utf-8"))
    assert sorted(on_disk["files"]["reader_by_file"]) == sorted([
        "in/empty\\xff.txt", "in/evil\n[red]fake line\x1b[31m.txt",
        "in/ok\\xfe.txt", "in/tail.txt",
    ])  # fmt: skip
    sources = sorted(d.source for d in iter_documents(tmp_path / "out"))
    assert sources == ["in/evil\n[red]fake line\x1b[31m.txt", "in/ok\\xfe.txt"]


def test_cli_prints_names_safely_and_takes_encoding_and_follow_symlinks(cli, tmp_path):
    src = tmp_path / "in"
    (src / "real").mkdir(parents=True)
    (src / "real" / "ru.txt").write_bytes(
        "Заголовок новости\n\nМОСКВА, 31 марта. Текст новости о переговорах.\n".encode("cp1251")
    )
    (src / "x\n[red]ok\x1b[2J.txt").write_text("", encoding="utf-8")
    os.symlink(src / "real", src / "link")
    out = tmp_path / "out"
    result = cli("corpus", "build", src, "--out", out, "--card-dir", tmp_path / "cards",
                 "--encoding", "utf-8", "--json", tmp_path / "r.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "\x1b[2J" not in result.output and "x\n" not in result.output
    assert "empty 'in/x\\n[red]ok\\x1b[2J.txt': the file is empty" in result.output
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [(Path(r["source"]).name, r["reason"]) for r in data["rejections"]] == [
        ("x\n[red]ok\x1b[2J.txt", "empty"), ("ru.txt", "undecodable"),
    ]  # a folder's files come before its subfolders  # fmt: skip
    assert data["rejections"][1]["message"] == (
        "in/real/ru.txt: byte 0 (0xc7) is not valid utf-8 (--encoding utf-8); re-save the "
        "file in utf-8, or build it without --encoding"
    )
    assert [(Path(s["source"]).name, s["reason"]) for s in data["skipped"]] == [("link", "symlink")]
    result = cli("corpus", "build", src, "--out", tmp_path / "out2", "--card-dir",
                 tmp_path / "cards", "--encoding", "windows-1251", "--follow-symlinks",
                 "--json", tmp_path / "r2.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r2.json").read_text(encoding="utf-8"))
    # the folder is read once, through the link (first by name); the real one is skipped
    assert data["files"]["encodings"] == {"cp1251": 1} and data["documents"]["kept"] == 1
    assert [(Path(s["source"]).name, s["reason"]) for s in data["skipped"]] == [
        ("real", "already-read")
    ]
    result = cli("corpus", "build", src, "--out", tmp_path / "out3", "--encoding", "nope")
    assert result.exit_code != 0
    assert "--encoding nope: not a text encoding Python knows" in result.output


# --------------------------------------------------------------------------- official splits


def _conll_doc(words: list[str]) -> str:
    return "-DOCSTART- -X- -X- O\n\n" + "".join(f"{w} NN I-NP O\n" for w in words) + "\n"


def _official(tmp_path: Path) -> Path:
    """train.txt: a story and a copy with its last word changed (a near-duplicate);
    valid.txt: another story."""
    root = tmp_path / "conll"
    root.mkdir()
    story = [f"word{i}" for i in range(80)] + ["."]
    other = [f"other{i}" for i in range(80)] + ["."]
    (root / "train.txt").write_text(
        _conll_doc(story) + _conll_doc([*story[:-2], "changed", "."]), encoding="utf-8"
    )
    (root / "valid.txt").write_text(_conll_doc(other), encoding="utf-8")
    return root


def test_official_splits_keep_every_document_and_report_their_duplicates(tmp_path):
    root = _official(tmp_path)
    report = build_corpus(BuildConfig(inputs=(root,), out=tmp_path / "out"))
    data = report.to_json()
    assert data["splits"] == {"train": 2, "validation": 1, "test": 0}
    assert data["documents"]["near_duplicates"] == 0 and data["duplicates"] == []
    [dup] = data["official_duplicates"]
    assert (dup["kind"], dup["split"]) == ("near", "train")
    assert dup["source"].endswith("train.txt#2")
    first = next(d for d in iter_documents(tmp_path / "out") if d.source.endswith("train.txt#1"))
    assert dup["duplicate_of"] == first.id and dup["similarity"] >= 0.8
    assert data["reconciles"] is True

    asked = build_corpus(BuildConfig(inputs=(root,), out=tmp_path / "o2", dedup_official=True))
    assert asked.splits == {"train": 1, "validation": 1, "test": 0}
    assert [d["source"].rsplit("/", 1)[-1] for d in asked.duplicates] == ["train.txt#2"]
    assert asked.official_duplicates == [] and asked.reconciles()


@pytest.mark.shared_data
def test_conll2003_keeps_its_official_splits_whole(shared_data, tmp_path):
    """946/216/231 documents (the -DOCSTART- lines of train/valid/test.txt), about 4 s."""
    src = shared_data / "conll2003"
    expected = {
        split: (src / name).read_text(encoding="utf-8").count("-DOCSTART-")
        for split, name in (
            ("train", "train.txt"),
            ("validation", "valid.txt"),
            ("test", "test.txt"),
        )  # fmt: skip
    }
    assert expected == {"train": 946, "validation": 216, "test": 231}
    report = build_corpus(BuildConfig(inputs=(src,), out=tmp_path / "out"))
    assert report.splits == expected and report.rejected == 0
    assert len(report.official_duplicates) == 2  # the two the default used to drop
