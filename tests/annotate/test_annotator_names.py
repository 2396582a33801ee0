"""Annotator names -> safe, unique file names, and the pull folder read back by real name."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.annotate.annotations import annotator_files, read_annotations
from goldwire.annotate.annotator_names import file_names, is_safe
from goldwire.errors import InputError
from goldwire.schema import Document, write_jsonl


def h(name: str, chars: int = 10) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:chars]


def test_a_safe_name_is_its_own_file_name_so_old_folders_read_the_same():
    names = ["ann", "bob-2", "carol.smith", "Dmitri_K", "x"]
    assert file_names(names) == {n: f"{n}.jsonl" for n in names}


def test_unsafe_names_get_a_readable_slug_and_a_hash_of_the_name():
    assert file_names([".mallory", "..", "../evil", "ann "]) == {
        ".mallory": f"mallory-{h('.mallory')}.jsonl",
        "..": f"user-{h('..')}.jsonl",
        "../evil": f"evil-{h('../evil')}.jsonl",
        "ann ": f"ann-{h('ann ')}.jsonl",
    }


def test_names_that_collide_ignoring_case_both_get_a_hash():
    assert file_names(["Ann", "ann", "bob"]) == {
        "Ann": f"Ann-{h('Ann')}.jsonl",
        "ann": f"ann-{h('ann')}.jsonl",
        "bob": "bob.jsonl",
    }


def test_a_safe_name_equal_to_another_names_slug_does_not_take_its_file():
    crafted = f"mallory-{h('.mallory')}"
    names = file_names([".mallory", crafted])
    assert names == {
        ".mallory": f"mallory-{h('.mallory')}.jsonl",
        crafted: f"{crafted}-{h(crafted)}.jsonl",  # the clash hashes the safe name too
    }


@settings(max_examples=300)
@given(st.sets(st.text(min_size=1, max_size=160), min_size=1, max_size=8))
def test_every_file_name_is_safe_and_distinct_ignoring_case(names):
    files = file_names(names)
    assert set(files) == names
    stems = [f.removesuffix(".jsonl") for f in files.values()]
    assert all(is_safe(s) and "/" not in s and not s.startswith(".") for s in stems)
    assert len({s.casefold() for s in stems}) == len(stems)
    assert all(files[n] == n + ".jsonl" for n in names if is_safe(n) and len(names) == 1)


def _folder(tmp_path, summary_files: dict[str, str | None], on_disk: list[str]):
    sub = tmp_path / "annotators"
    for file in on_disk:
        write_jsonl([Document(id="d1", text="Lavrov spoke.")], sub / file)
    entries = {n: ({"file": f} if f else {"documents": 1}) for n, f in summary_files.items()}
    (tmp_path / "summary.json").write_text(json.dumps({"annotators": entries}))
    return tmp_path


def test_readers_get_the_real_names_back_from_the_summary(tmp_path):
    mallory = f"mallory-{h('.mallory')}.jsonl"
    folder = _folder(tmp_path, {".mallory": mallory, "ann": "ann.jsonl"},
                     [mallory, "ann.jsonl"])  # fmt: skip
    assert annotator_files(folder) == {
        ".mallory": folder / "annotators" / mallory,
        "ann": folder / "annotators" / "ann.jsonl",
    }
    assert read_annotations(folder).annotators == (".mallory", "ann")


def test_an_old_folder_reads_as_before_and_its_listed_hidden_file_is_not_lost(tmp_path):
    # an earlier pull wrote .mallory.jsonl and recorded no file names; bob.jsonl was copied in
    folder = _folder(tmp_path, {".mallory": None, "ann": None},
                     [".mallory.jsonl", "ann.jsonl", "bob.jsonl", ".scratch.jsonl"])  # fmt: skip
    assert sorted(annotator_files(folder)) == [".mallory", "ann", "bob"]


def test_two_files_claiming_one_annotator_are_an_error(tmp_path):
    folder = _folder(tmp_path, {"ann": "x.jsonl"}, ["x.jsonl", "ann.jsonl"])
    with pytest.raises(InputError, match="both hold annotator 'ann'"):
        annotator_files(folder)
