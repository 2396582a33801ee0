"""``--json -``: standard output carries the JSON only; tables and summaries go to stderr."""

from __future__ import annotations

import json
from pathlib import Path

from goldwire.console import console
from goldwire.files import is_stdout
from goldwire.provenance import ANNOTATED, Annotation
from goldwire.schema import Document, Entity, write_jsonl
from gwtest import SEED_ARTICLES


def test_only_a_dash_means_standard_output(tmp_path):
    assert is_stdout("-") and not is_stdout(None)
    assert not is_stdout(tmp_path / "-x.json")
    assert console(json_path="-").stderr and not console(json_path=tmp_path / "r.json").stderr


def test_score_with_json_dash_prints_nothing_but_json(cli, tmp_path):
    doc = Document(id="a", text="Lavrov met Blinken",
                   entities=[Entity("e1", 0, 6, "PER", "Lavrov")],
                   annotation=Annotation.all(ANNOTATED))  # gold: say it is  # fmt: skip
    write_jsonl([doc], tmp_path / "gold.jsonl")
    write_jsonl([doc], tmp_path / "pred.jsonl")
    result = cli("evaluate", "score", "--gold", tmp_path / "gold.jsonl", "--pred",
                 tmp_path / "pred.jsonl", "--json", "-", "--bootstrap", "0")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sections"]["entities.strict"]["micro"]["f1"]["value"] == 1.0
    assert "Entities (SemEval-2013 schemas, as nervaluate)" in result.stderr
    assert not (tmp_path / "-").exists()


def test_build_and_info_with_json_dash(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written under the working folder
    out = tmp_path / "seed"
    result = cli("corpus", "build", SEED_ARTICLES, "--out", out, "--json", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"]["kept"] == 1
    assert "build report" in result.stderr
    assert not (tmp_path / "data_cards").exists()  # no card copy without --card-dir
    result = cli("corpus", "info", out, "--json", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["num_examples"] == 1


def test_shown_name_keeps_plain_names_and_escapes_the_rest():
    from goldwire.console import shown_name

    for plain in ("a.txt", "data/my file (1).txt", "Новости/статья.txt", "it's.txt"):
        assert shown_name(plain) == plain
    assert shown_name("a\nb.txt") == "'a\\nb.txt'"
    assert shown_name("x\x1b[31mred.txt") == "'x\\x1b[31mred.txt'"
    assert shown_name("bad\udcff.txt") == "'bad\\xff.txt'"  # os.fsdecode of b"bad\xff.txt"
    assert shown_name("rtl\u202etxt.exe") == "'rtl\\u202etxt.exe'"
    assert shown_name("it's\tx\\y") == "'it\\'s\\tx\\\\y'"  # quotes and backslashes escaped
    assert shown_name(Path("d") / "e\rf") == "'d/e\\rf'"
    for name in ("a\nb", "\x1b[2J", "b\udcff", "\u2028"):
        shown = shown_name(name)
        assert shown.isprintable() and "\x1b" not in shown


def test_stored_name_is_valid_utf8_and_faithful():
    import os

    from goldwire.console import stored_name

    assert stored_name("a\nb.txt") == "a\nb.txt"  # the real name when UTF-8 holds it
    raw = b"caf\xe9-\xff.txt"
    name = os.fsdecode(raw)
    assert stored_name(name) == "caf\\xe9-\\xff.txt"
    assert stored_name(name).encode("utf-8") == b"caf\\xe9-\\xff.txt"
    assert stored_name("lone \ud800") == "lone \\ud800"


def test_shown_list_stops_after_a_screenful_and_says_where_the_rest_is():
    from goldwire.console import SCREENFUL, shown_list

    lines = [f"problem {i}" for i in range(1, 26)]  # 25 lines
    shown = shown_list(lines, more_in="out/build_report.json")
    assert SCREENFUL == 20 and len(shown) == 21
    assert shown[:20] == lines[:20]
    assert shown[20] == "... and 5 more (see out/build_report.json)"
    assert shown_list(lines, limit=24, hint="write them all with --problems FILE")[-1] == (
        "... and 1 more (write them all with --problems FILE)"
    )
    assert shown_list(lines, limit=3)[-1] == "... and 22 more"
    assert shown_list(lines, limit=25) == lines  # a list that fits is shown whole
    assert shown_list([], more_in="x") == []
    # the file name is shown safely, like every other name on the terminal
    assert shown_list(lines, more_in="a\nb.json")[-1] == "... and 5 more (see 'a\\nb.json')"
