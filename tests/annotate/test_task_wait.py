"""Waiting for Doccano's tasks (goldwire.annotate.tasks) when the task worker is gone: the
managed server's dead worker is noticed within seconds, a remote server's silence ends after
a bound scaled to the task. Both kill the worker of the spare managed server, never the
session's one; a test that needs it running starts it again (``server.start``)."""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from spareserver import SPARE_PUBLIC_HOST, group_members

from goldwire.annotate import client, server, tasks
from goldwire.annotate.http import connect
from goldwire.errors import UsageError
from goldwire.schema import Document, write_jsonl

doccano = pytest.mark.doccano


def _kill_worker() -> int:
    """SIGKILL the (spare) managed server's task worker and its pool; returns its pid."""
    pid = server.status().pids["worker"]
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while group_members(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_members(pid) == []
    return pid


def _corpus(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "docs.jsonl"
    write_jsonl(
        [Document(id=f"w{i}", text=f"Lavrov met Blinken, take {i}.") for i in range(n)], path
    )
    return path


@doccano
def test_a_push_stops_within_seconds_when_the_managed_task_worker_is_dead(
    spare_doccano_server, monkeypatch, tmp_path, cli
):
    spare = spare_doccano_server
    pid = _kill_worker()
    corpus = _corpus(tmp_path, 3)
    began = time.monotonic()
    result = cli("annotate", "push", corpus, "--project", "dead-worker")
    took = time.monotonic() - began
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"error: doccano's task worker is not running (pid {pid} exited); restart the server "
        "with `goldwire annotate server start`\n"
    )
    assert took < 20, took
    # what the line says to do works: the restarted worker runs the waiting import, and the
    # push, rerun, settles that batch without uploading anything twice
    restarted = cli("annotate", "server", "start", "--port", spare.port,
                    "--public-host", SPARE_PUBLIC_HOST)  # fmt: skip
    assert restarted.exit_code == 0 and restarted.stdout.startswith("started\n")
    again = cli("annotate", "push", corpus, "--project", "dead-worker", "--json", "-")
    assert again.exit_code == 0, again.output
    with connect(spare.connection) as session:
        project = client.find_project(session, "dead-worker")
        files = client.export_project(session, project.id)
    ids = Counter(r["goldwire_id"] for r in client.export_lines(files["admin"]))
    assert ids == Counter({"w0": 1, "w1": 1, "w2": 1})


@doccano
def test_a_remote_servers_silent_worker_ends_the_wait_after_the_scaled_bound(
    spare_doccano_server, monkeypatch, tmp_path, cli
):
    spare = spare_doccano_server
    _kill_worker()
    # the same server seen as a remote one: goldwire knows no pids of it
    monkeypatch.setenv("GOLDWIRE_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GOLDWIRE_DOCCANO_URL", spare.url)
    monkeypatch.setenv("GOLDWIRE_DOCCANO_USERNAME", spare.connection.username)
    monkeypatch.setenv("GOLDWIRE_DOCCANO_PASSWORD", spare.connection.password)
    monkeypatch.setenv(tasks.ENV_TASK_WAIT, "2")
    monkeypatch.setenv(tasks.ENV_TASK_WAIT_PER_EXAMPLE, "0.5")
    corpus = _corpus(tmp_path, 4)  # one batch of 4: 2 s + 4 x 0.5 s = 4 s
    began = time.monotonic()
    result = cli("annotate", "push", corpus, "--project", "silent-worker")
    took = time.monotonic() - began
    assert result.exit_code == 1, result.output
    line = re.escape(
        f"error: no result from doccano at {spare.url} after 4 s for task TASKID (4 examples); "
        "check the server's task worker (for the managed server: `goldwire annotate server "
        "status`), then run the command again; a slow server may need a larger "
        "GOLDWIRE_DOCCANO_TASK_WAIT\n"
    ).replace("TASKID", "[0-9a-f-]{36}")
    assert re.fullmatch(line, result.stderr), result.stderr
    assert 4 <= took < 15, took


def test_the_wait_bound_grows_with_the_examples(monkeypatch) -> None:
    monkeypatch.delenv(tasks.ENV_TASK_WAIT, raising=False)
    monkeypatch.delenv(tasks.ENV_TASK_WAIT_PER_EXAMPLE, raising=False)
    assert tasks.task_wait_bound(1000) == pytest.approx(120 + 100)  # a full push batch
    assert tasks.task_wait_bound(0) == 120
    assert tasks.task_wait_bound(None) == 900  # size unknown: the bound of old
    monkeypatch.setenv(tasks.ENV_TASK_WAIT, "30")
    monkeypatch.setenv(tasks.ENV_TASK_WAIT_PER_EXAMPLE, "0.02")
    assert tasks.task_wait_bound(500) == pytest.approx(40)
    monkeypatch.setenv(tasks.ENV_TASK_WAIT_PER_EXAMPLE, "soon")
    with pytest.raises(UsageError) as caught:
        tasks.task_wait_bound(1)
    assert str(caught.value) == (
        "GOLDWIRE_DOCCANO_TASK_WAIT_PER_EXAMPLE='soon' is not a number of seconds; set it to "
        "e.g. 0.1"
    )
    monkeypatch.setenv(tasks.ENV_TASK_WAIT_PER_EXAMPLE, "-1")
    with pytest.raises(UsageError):
        tasks.task_wait_bound(1)


def _polls(seconds: float) -> int:
    """Status requests made for a task that is ready after ``seconds`` (the first included)."""
    waited, polls = 0.0, 1
    while waited < seconds:
        waited += tasks.poll_delay(waited)
        polls += 1
    return polls


def test_polls_back_off_to_a_sixth_of_the_wait_between_a_tenth_and_two_seconds():
    assert tasks.poll_delay(0.0) == 0.1
    assert tasks.poll_delay(0.6) == pytest.approx(0.1)
    assert tasks.poll_delay(3.0) == pytest.approx(0.5)
    assert tasks.poll_delay(12.0) == 2.0
    assert tasks.poll_delay(600.0) == 2.0
    # 0.1 s steps to 0.6 s (6 polls), then 7/6 growth, then 2 s steps: 43 polls for 45 s
    assert _polls(45.0) == 43
    assert _polls(2.0) == 15
