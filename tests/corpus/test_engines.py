"""The engines module: the dispatch table, and the Ray engine apart from the build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from goldwire.corpus.config import BuildConfig
from goldwire.corpus.engines import ENGINES, LocalEngine, get_engine
from goldwire.errors import UsageError
from gwtest import REPO


def test_importing_the_ray_engine_does_not_import_the_build():
    code = (
        "import sys, goldwire.corpus.ray_engine; "
        "print(sorted(m for m in sys.modules if m.startswith('goldwire.corpus.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    loaded = out.stdout
    assert "'goldwire.corpus.engines'" in loaded and "'goldwire.corpus.steps'" in loaded
    assert "'goldwire.corpus.build'" not in loaded


def test_engines_by_name(tmp_path):
    assert sorted(ENGINES) == ["local", "ray"]
    assert isinstance(get_engine(BuildConfig(inputs=(), out=tmp_path)), LocalEngine)
    with pytest.raises(UsageError) as err:
        get_engine(BuildConfig(inputs=(), out=tmp_path, engine="spark"))
    assert str(err.value) == "unknown engine 'spark'; choose one of local, ray"


def test_the_ray_engine_writes_parquet_only():
    config = BuildConfig(inputs=(), out=Path("unused"), engine="ray", layout="arrow")
    with pytest.raises(UsageError, match="the ray engine writes the parquet layout"):
        get_engine(config)  # refused before Ray is imported


def test_the_local_engine_carries_each_readers_status_into_the_dataset(tmp_path):
    """CoNLL-2003 brings entity gold (reader:conll); TASS, plain text, article JSON lines,
    HTML and Reuters SGML bring none, so every layer of theirs is "none"."""
    from goldwire.corpus.build import build_corpus
    from goldwire.corpus.dataset import iter_documents
    from goldwire.corpus.readers import READERS
    from gwtest import SEED_ARTICLES, TEST_DATA

    assert {n: r.gold_layer for n, r in READERS.items() if r.gold_layer} == {
        "conll": "entities", "basil": "stances", "fnc1": "doc_stances",
    }  # fmt: skip
    src = tmp_path / "in"
    src.mkdir()
    for name in ("train_sample.txt", "two_column.iob", "articles.jsonl", "article.html",
                 "reuters_sample.sgm"):  # fmt: skip
        (src / name).write_bytes((TEST_DATA / "readers" / name).read_bytes())
    (src / "plain.text").write_text("A plain title\n\nA body without a dateline.\n", "utf-8")
    (src / "seed.txt").write_bytes(next(SEED_ARTICLES.iterdir()).read_bytes())
    build_corpus(BuildConfig(inputs=(src,), out=tmp_path / "out", minhash=None))
    docs = list(iter_documents(tmp_path / "out"))
    statuses: dict[str, set] = {}
    for doc in docs:
        a = doc.annotation
        statuses.setdefault(doc.meta["reader"], set()).add((a.entities, a.stances, a.doc_stances))
    assert statuses.pop("conll") == {("reader:conll", "none", "none")}
    assert sorted(statuses) == ["html", "jsonl", "reuters", "tass", "text"]
    assert set().union(*statuses.values()) == {("none", "none", "none")}


STOP_WHILE_FORKING = """
import os, signal, sys
import multiprocessing.process as mpp
from pathlib import Path
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.engines import run_local

class Stop(BaseException):
    pass

def stop(signum, frame):
    raise Stop()

signal.signal(signal.SIGTERM, stop)
started = []
real_start = mpp.BaseProcess.start

def start(self):  # the stop signal arrives right after the first worker is forked
    real_start(self)
    started.append(self.pid)
    if len(started) == 1:
        os.kill(os.getpid(), signal.SIGTERM)

mpp.BaseProcess.start = start
files = [Path(sys.argv[1])] * 40
try:
    for _ in run_local(files, BuildConfig(inputs=(), out=Path("unused"), workers=2)):
        pass
    print("not stopped")
except Stop:
    print("stopped")
alive = []
for pid in started:
    try:
        os.kill(pid, 0)
        alive.append(pid)
    except ProcessLookupError:
        pass
print(len(started), "workers, alive:", alive)
"""


def test_a_stop_signal_while_the_pool_forks_leaves_no_worker_behind(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Title\n\nMOSCOW, March 1. /TASS/. Talks went on.\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", STOP_WHILE_FORKING, str(article)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)  # fmt: skip
    assert proc.stdout == "stopped\n2 workers, alive: []\n", proc.stderr


def test_workers_writing_shards_build_what_one_process_builds(tmp_path):
    """Two workers write their rows to shards of a few files each; the corpus (every split,
    row and column, in order), the report and the duplicates are those of one process."""
    import json
    import shutil

    from datasets import load_from_disk

    from goldwire.corpus.build import build_corpus
    from goldwire.corpus.dedup import MinHashConfig
    from goldwire.corpus.engines import run_chunks
    from gwtest import TEST_DATA, tass_article

    src = tmp_path / "in"
    src.mkdir()
    for i in range(60):
        (src / f"a{i:02d}.txt").write_text(tass_article(i, paragraphs=8), encoding="utf-8")
    parts = tass_article(5, paragraphs=8).split("\n\n")  # a re-issue of a05, an exact copy
    reissue = "\n\n".join([parts[0], parts[1] + " (updated)", *parts[2:]])
    (src / "a05b.txt").write_text(reissue, encoding="utf-8")
    (src / "a07b.txt").write_text(tass_article(7, paragraphs=8), encoding="utf-8")
    for name in ("train_sample.txt", "articles.jsonl", "reuters_sample.sgm"):  # several docs
        shutil.copy(TEST_DATA / "readers" / name, src / name)
    for name in ("image.bin", "surrogate.jsonl", "ru_cp1251.txt", "empty.txt"):
        shutil.copy(TEST_DATA / "bad_inputs" / name, src / name)

    def build(workers: int):
        out = tmp_path / f"w{workers}" / "corpus"
        config = BuildConfig(inputs=(src,), out=out, workers=workers, minhash=MinHashConfig())
        report = build_corpus(config).to_json()
        for key in ("seconds", "phases", "docs_per_second", "started", "finished", "out"):
            report.pop(key, None)
        dd = load_from_disk(str(out))
        return report, {name: dd[name].to_list() for name in sorted(dd)}

    files = sorted(src.iterdir())
    config = BuildConfig(inputs=(src,), out=tmp_path / "unused", workers=2)
    (tmp_path / "shards").mkdir()
    chunks = list(run_chunks(files, config, tmp_path / "shards"))
    assert len(chunks) > 4  # several shards, from both workers
    assert [res.path for c in chunks for res, _ in c.files] == [f"in/{p.name}" for p in files]

    one_report, one_rows = build(1)
    two_report, two_rows = build(2)
    assert one_report["documents"]["seen"] > 60 and len(one_report["duplicates"]) == 2
    assert one_report["rejections_by_reason"]  # bad files are rejected alike
    assert json.dumps(two_report, sort_keys=True) == json.dumps(one_report, sort_keys=True)
    assert two_rows == one_rows
