"""The one writer: atomic JSON, JSONL and text files."""

from __future__ import annotations

import json
import os
import stat

import pytest

from goldwire.files import atomic_open, json_text, write_json, write_jsonl, write_text


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_json_is_utf8_indented_with_a_final_newline(tmp_path):
    path = write_json(tmp_path / "sub" / "r.json", {"city": "Ереван", "n": 1})
    text = path.read_text(encoding="utf-8")
    assert text == '{\n  "city": "Ереван",\n  "n": 1\n}\n'
    assert json_text([1, 2], indent=None) == "[1,2]\n"


def test_jsonl_counts_its_lines(tmp_path):
    n = write_jsonl(tmp_path / "a.jsonl", ({"i": i, "t": "é"} for i in range(3)))
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert n == 3 and [json.loads(x)["i"] for x in lines] == [0, 1, 2]
    assert '"é"' in lines[0]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "r.json"
    write_json(target, {"old": True})

    def records():
        yield {"new": 1}
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_jsonl(target, records())
    assert json.loads(target.read_text()) == {"old": True}
    with pytest.raises(TypeError):
        write_json(target, {"bad": object()})
    assert json.loads(target.read_text()) == {"old": True}
    assert _leftovers(tmp_path) == []


def test_dash_writes_json_to_standard_output(capsys, tmp_path):
    write_json("-", {"f1": 0.5})
    assert capsys.readouterr().out == '{\n  "f1": 0.5\n}\n'
    assert not (tmp_path / "-").exists()


def test_private_files_are_mode_0600_and_others_follow_the_umask(tmp_path):
    secret = write_text(tmp_path / "cred.json", "{}", private=True)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    mask = os.umask(0o022)
    os.umask(mask)
    plain = write_text(tmp_path / "plain.txt", "x")
    assert stat.S_IMODE(plain.stat().st_mode) == 0o666 & ~mask


def test_atomic_open_writes_bytes_and_refuses_other_modes(tmp_path):
    with atomic_open(tmp_path / "b.bin", "wb") as fh:
        fh.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(ValueError, match="writes only"):
        with atomic_open(tmp_path / "c", "a"):
            pass
