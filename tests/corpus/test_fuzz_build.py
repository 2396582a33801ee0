"""Fuzz the corpus build: random bytes and broken JSONL, SGML and HTML under random file
names never crash it; every file is named in the report and the counts reconcile."""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldwire.console import stored_name
from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.steps import process_file
from goldwire.errors import UsageError

_WORDS = ["Oil", "prices", "rose", "MOSCOW, March 31. /TASS/.", "Новость", "\u2028", "\t", " "]
_JSONL = ['{"title": "T", "text": "', '"}', "[" * 1200, "]" * 1200, '"\\ud800"', '"\\udc00 x"',
          '{"text": ', '{"text": ["a", 1]}', "null", "\n", ", ", '{"title": "Oil", "text": "Oil '
          'prices rose sharply today."}', '"\\u0000"', "{", "}"]  # fmt: skip
_SGML = ['<REUTERS NEWID="1">', '<REUTERS NEWID="2" TOPICS="YES">', "</REUTERS>", "<BODY>",
         "</BODY>", "<TITLE>", "</TITLE>", "<DATELINE>HOUSTON, Feb 26 - </DATELINE>",
         "&#55296;", "&#99999999999;", "&#3;", "&#65;", "&lt;", "\n", "<TEXT>", "</TEXT>",
         "Prices rose on the day.\n    More text here."]  # fmt: skip
_HTML = ["<!DOCTYPE html>", "<html>", "</html>", "<p>", "</p>", "<div>" * 300, "<h1>Title</h1>",
         "<script>x</script>", "<body>", "text of an article with several words", "\x00",
         "<meta charset='cp1251'>", "&#55296;", "<![CDATA["]  # fmt: skip

_fragments = {
    ".jsonl": _JSONL + _WORDS,
    ".sgm": _SGML + _WORDS,
    ".html": _HTML + _WORDS,
    ".txt": _WORDS + ["\n\n", "\n"],
}


@st.composite
def _file(draw):
    suffix = draw(st.sampled_from([*_fragments, "", ".bin", ".json"]))
    stem = draw(st.binary(min_size=1, max_size=12).map(lambda b: b.replace(b"/", b"_")))
    stem = stem.replace(b"\x00", b"0")
    if stem in (b".", b".."):
        stem = b"dots"
    if suffix in _fragments:
        parts = draw(st.lists(st.sampled_from(_fragments[suffix]), max_size=12))
        text = "".join(parts)
        encoding = draw(st.sampled_from(["utf-8", "utf-8", "cp1251", "utf-16"]))
        data = text.encode(encoding, errors="surrogatepass" if encoding != "cp1251" else "replace")
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))]  # cut anywhere
    else:
        data = draw(st.binary(max_size=200))
    return stem + suffix.encode(), data


_files = st.lists(_file(), min_size=1, max_size=6, unique_by=lambda f: f[0])
_counter = itertools.count()
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _write(root: Path, files) -> list[Path]:
    folder = root / f"in{next(_counter)}"
    folder.mkdir()
    paths = []
    for name, data in files:
        raw = os.path.join(os.fsencode(folder), name)
        with open(raw, "wb") as f:
            f.write(data)
        paths.append(Path(os.fsdecode(raw)))
    return paths


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=_files)
def test_every_file_is_a_result_never_an_exception(tmp_path, files):
    from goldwire.corpus.config import BuildConfig as Config

    config = Config(inputs=(), out=tmp_path / "unused")
    for path in _write(tmp_path, files):
        res = process_file(path, config)  # raises nothing
        assert res.docs or res.rejections, path
        for rej in res.rejections:
            assert not _CONTROL.search(rej.message), rej.message  # one safe line
            json.dumps(rej.to_json(), ensure_ascii=False)
            stored_name(rej.message).encode("utf-8")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=_files)
def test_builds_reconcile_and_name_every_file(tmp_path, files):
    paths = _write(tmp_path, files)
    folder = paths[0].parent
    out = tmp_path / f"out-{folder.name}"
    try:
        report = build_corpus(BuildConfig(inputs=(folder,), out=out, minhash=None)).to_json()
    except UsageError as exc:  # only when every file is hidden
        assert all(p.name.startswith(".") for p in paths), exc
        return
    _assert_accounted(report, paths)


def _assert_accounted(report: dict, paths: list[Path]) -> None:
    assert report["reconciles"] is True
    files = report["files"]
    assert files["found"] == len(paths) == files["read"] + files["rejected"] + files["skipped"]
    named = set(files["reader_by_file"]) | {s["source"] for s in report["skipped"]}
    # named relative to the input folder given: its name, then the file's
    assert named == {stored_name(Path(p.parent.name) / p.name) for p in paths}
    json.dumps(report, ensure_ascii=False).encode("utf-8")  # valid UTF-8 throughout


def test_the_cli_builds_a_folder_of_bad_inputs_without_a_traceback(cli, tmp_path):
    files = [
        (b"deep.jsonl", b"[" * 5000 + b"]" * 5000 + b'\n{"title": "T", "text": "Oil rose."}\n'),
        (b"lone.jsonl", b'{"title": "T", "text": "half \\ud800 of a pair"}\n'),
        (b"refs.sgm", b'<REUTERS NEWID="1"><BODY>x &#99999999999;</BODY></REUTERS>'
                      b'<REUTERS NEWID="2"><BODY>y &#55296;</BODY></REUTERS><REUTERS NEWID="3">'),
        (b"empty\xff.txt", b""),
        (b"evil\n\x1b[2Jname.txt", b"Title\n\nBody of words.\n"),
        (b"zeros.txt", b"\x00" * 64),
        (b"page.html", b"<html>" + b"<div>" * 3000 + b"text</html>"),
        (b".hidden", b"x"),
    ]  # fmt: skip
    paths = _write(tmp_path, files)
    out = tmp_path / "out"
    result = cli("corpus", "build", paths[0].parent, "--out", out, "--card-dir",
                 tmp_path / "cards", "--json", tmp_path / "r.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.exception is None and "Traceback" not in result.output
    assert "\x1b[2J" not in result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    _assert_accounted(report, paths)
    assert report["documents"]["kept"] >= 2  # deep.jsonl line 2 and the evil name's text
