"""Every registered command has help text with an example and is listed in the README."""

from __future__ import annotations

import importlib

import pytest
import typer.main

from goldwire.cli import STAGES, _Stages, app
from gwtest import REPO, folder_bytes, write_articles


def _commands(group, prefix: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, path)
        else:
            yield path, cmd


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_there_are_commands_in_every_stage():
    stages = {path[0] for path, _ in COMMANDS}
    assert {"corpus"} <= stages


def test_every_command_has_help_with_an_example(cli):
    for path, cmd in COMMANDS:
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert cmd.help and "Example:" in cmd.help, f"goldwire {' '.join(path)} lacks an example"


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [" ".join(p) for p, _ in COMMANDS if f"goldwire {' '.join(p)}`" not in readme]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_the_root_lists_each_stage_with_the_stage_apps_own_help():
    root = typer.main.get_command(app)
    assert list(root.commands) == ["corpus", "annotate", "evaluate"]
    for name, (module, help_text) in STAGES.items():
        assert importlib.import_module(module).app.info.help == help_text
        stage = root.commands[name]
        assert (stage.name, stage.help, stage.short_help, stage.hidden) == (
            name,
            help_text,
            None,
            False,
        )
        assert "Example: goldwire " + name in help_text


def test_root_help_is_the_same_with_the_stages_built_or_not(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    root = typer.main.get_command(app)

    def root_help() -> str:
        root.get_help(root.context_class(root, info_name="goldwire"))
        return capsys.readouterr().out

    listed = root_help()
    assert not any(root.commands.is_built(name) for name in STAGES)
    for name in STAGES:
        root.commands[name]
    assert all(root.commands.is_built(name) for name in STAGES)
    assert root_help() == listed
    assert "Annotate in Doccano: run a server, push documents, pull annotations back." in listed


def test_stages_are_built_once_on_lookup_and_other_commands_kept_in_order():
    built = []
    stages = _Stages({"extra": "EXTRA"}, lambda name: built.append(name) or name.upper())
    assert list(stages) == ["corpus", "annotate", "evaluate", "extra"]
    assert built == []
    assert stages["evaluate"] == "EVALUATE" and stages["evaluate"] == "EVALUATE"
    assert built == ["evaluate"]
    stages["late"] = "LATE"
    del stages["annotate"]
    assert dict(stages.items()) == {"corpus": "CORPUS", "evaluate": "EVALUATE",
                                    "extra": "EXTRA", "late": "LATE"}  # fmt: skip
    assert built == ["evaluate", "corpus"]
    with pytest.raises(KeyError):
        stages["annotate"]


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.startswith("goldwire 0.")


def test_goldwire_error_is_one_line_with_exit_code(cli, tmp_path):
    result = cli("corpus", "info", tmp_path / "nothing")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {tmp_path / 'nothing'}: not a goldwire dataset (no goldwire.json); "
        "build one with `goldwire corpus build`\n"
    )


# --------------------------------------------------------------------------- outputs, signals


def test_build_refuses_to_replace_a_folder_it_did_not_write(cli, tmp_path):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "cat.jpg").write_bytes(b"\xff\xd8")
    src = write_articles(tmp_path / "in", 1)
    result = cli("corpus", "build", src, "--out", out, "--card-dir", tmp_path / "cards")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {out}: the folder is not empty and not a goldwire corpus (no usable "
        "goldwire.json); goldwire replaces only a folder it wrote: pick another folder or "
        "empty it\n"
    )
    assert folder_bytes(out) == {"cat.jpg": b"\xff\xd8"}
    result = cli("corpus", "build", src, "--out", src, "--card-dir", tmp_path / "cards")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --out {src} is the input {src}; writing it would replace the input: pick "
        "another --out\n"
    )
    assert sorted(p.name for p in src.iterdir()) == ["a00000.txt"]


def test_build_on_a_full_disk_is_one_line(cli, tmp_path, monkeypatch):
    import errno

    from goldwire.corpus import build

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(build, "write_report", full)
    src, out = write_articles(tmp_path / "in", 2), tmp_path / "corpus"
    result = cli("corpus", "build", src, "--out", out, "--card-dir", tmp_path / "cards")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: no space left on device while writing {out}; free space or choose another --out\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_later_build_removes_staging_its_killed_predecessor_left(cli, tmp_path):
    import json
    import socket
    import subprocess
    import sys

    from goldwire.outputs import STAGING_MARKER

    src, out = write_articles(tmp_path / "in", 2), tmp_path / "corpus"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale, foreign = tmp_path / ".corpus.building-abc", tmp_path / ".corpus.building-xyz"
    for folder in (stale, foreign):
        folder.mkdir()
        (folder / "spool.arrow").write_bytes(b"\0" * 100)
    marker = {"pid": dead.pid, "host": socket.gethostname(), "started": 0.0,
              "out": str(out.resolve())}  # fmt: skip
    (stale / STAGING_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    result = cli("corpus", "build", src, "--out", out, "--card-dir", tmp_path / "cards")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [foreign.name, "cards", "corpus", "in"]


@pytest.fixture(scope="module")
def many_articles(tmp_path_factory):
    """Enough articles that a build is still staging a second after it starts."""
    return write_articles(tmp_path_factory.mktemp("many") / "in", 3000)


@pytest.mark.parametrize(("signame", "workers"), [("SIGTERM", "1"), ("SIGHUP", "2")])
def test_a_terminated_build_leaves_no_staging_and_the_old_corpus(
    many_articles, tmp_path, signame, workers
):
    import signal
    import subprocess
    import sys
    import time

    from goldwire.corpus.build import BuildConfig, build_corpus

    out = tmp_path / "corpus"
    build_corpus(BuildConfig(inputs=(many_articles / "a00000.txt",), out=out, minhash=None))
    before = folder_bytes(out)
    cmd = [sys.executable, "-m", "goldwire", "corpus", "build", str(many_articles), "--out",
           str(out), "--card-dir", str(tmp_path / "cards"), "--workers", workers]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".corpus.building-*/spool.arrow")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never started staging"
        time.sleep(0.01)
    proc.send_signal(getattr(signal, signame))
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + getattr(signal, signame), stderr
    assert stderr == "terminated\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]
    assert folder_bytes(out) == before


def test_a_dropped_termination_is_delivered_again(tmp_path):
    import subprocess
    import sys

    script = (
        "import os, signal, time\n"
        "from goldwire.cli import _Stopper\n"
        "from goldwire.errors import Terminated\n"
        "_Stopper(os.getpid()).install()\n"
        "class Drop:\n"
        "    def __del__(self):\n"  # Python ignores exceptions raised here
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        sum(range(100000))\n"
        "try:\n"
        "    Drop()\n"
        "    time.sleep(10)\n"
        "    print('not stopped')\n"
        "except Terminated as exc:\n"
        "    print('stopped', exc.signum)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)  # fmt: skip
    assert (proc.stdout, proc.stderr) == ("stopped 15\n", "")


def test_a_json_report_inside_an_input_is_refused_before_any_work(cli, tmp_path):
    import shutil

    from gwtest import SEED_ARTICLES

    articles = tmp_path / "articles"
    shutil.copytree(SEED_ARTICLES, articles)
    inside = articles / "report.json"
    cards = ("--card-dir", tmp_path / "cards")
    result = cli("corpus", "build", articles, "--out", tmp_path / "c", *cards, "--json", inside)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: --json {inside} is inside the input {articles}; pick a path outside it"
    )
    assert not inside.exists() and not (tmp_path / "c").exists()
    assert cli("corpus", "build", articles, "--out", tmp_path / "c", *cards).exit_code == 0
    meta = tmp_path / "c" / "goldwire.json"
    before = meta.read_bytes()
    result = cli("corpus", "info", tmp_path / "c", "--json", meta)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: --json {meta} is inside the corpus {tmp_path / 'c'}; pick a path outside it"
    )
    assert meta.read_bytes() == before


def test_a_long_rejection_list_stops_after_a_screenful(cli, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(25):
        (src / f"e{i:02d}.txt").write_bytes(b"")
    write_articles(tmp_path / "ok", 1)
    (tmp_path / "ok" / "a00000.txt").rename(src / "a.txt")
    out = tmp_path / "c"
    result = cli("corpus", "build", src, "--out", out, "--card-dir", tmp_path / "cards")
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    start = lines.index("rejected (25):")
    assert all(line.startswith("empty ") for line in lines[start + 1 : start + 21])
    assert lines[start + 21] == f"... and 5 more (see {out / 'build_report.json'})"
