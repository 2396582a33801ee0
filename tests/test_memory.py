"""The one memory sampler."""

from __future__ import annotations

import os
import time

import pytest

from goldwire.memory import PeakMemory, Sampler, current_rss_mb, process_tree, status_kib


def test_peak_memory_sees_an_allocation_made_inside_the_block():
    with PeakMemory() as mem:
        block = bytearray(64 * 2**20)
        block[::4096] = b"\x01" * len(block[::4096])  # touch every page
        time.sleep(0.2)  # keep it alive while the sampler looks
        del block
    assert mem.peak - mem.before >= 48
    assert mem.before > 0


def test_sampler_keeps_the_peak_of_every_probe_value():
    values = iter([{"a": 1, "b": 5}, {"a": 3, "b": None}, {"a": 2, "b": 4}])
    last = {"a": 0, "b": 0}

    def probe():
        nonlocal last
        last = next(values, last)
        return last

    sampler = Sampler(probe, interval=0.01)
    with sampler:
        time.sleep(0.1)
    assert sampler.peaks == {"a": 3, "b": 5}


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads Linux /proc")
def test_proc_readings_on_linux():
    assert process_tree(os.getpid())[0] == os.getpid()
    rss = status_kib("VmRSS")
    assert rss is not None and abs(rss / 1024 - current_rss_mb()) < 64
    assert status_kib("NoSuchField") is None
