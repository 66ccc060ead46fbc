"""Where a stalled thread was: the sampler's stacks and CPU time, without Qt (the watchdog's helper)."""

from __future__ import annotations

import gc
import threading
import time

from studio.ui.stall_sampler import StallSampler

SAMPLED_WITHIN_S = 20.0  # a loaded machine may not run the sampler thread for a while


def _busy_for(seconds: float, sampler: StallSampler) -> None:
    """The watched thread computes (a slot doing too much work on the GUI thread) for at least
    `seconds`, and on until the sampler has seen it."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds or (
        sampler.pending == 0 and time.perf_counter() - started < SAMPLED_WITHIN_S
    ):
        pass


def _blocked_for(seconds: float, sampler: StallSampler) -> None:
    """The watched thread waits (on a lock, a device, a starved core) and uses no CPU, for at least
    `seconds` and on until the sampler has seen it."""
    idle, started = threading.Event(), time.perf_counter()
    idle.wait(seconds)
    while sampler.pending == 0 and time.perf_counter() - started < SAMPLED_WITHIN_S:
        idle.wait(0.01)


def test_a_busy_stall_names_the_function_and_its_cpu_time():
    sampler = StallSampler(after_ms=20, period_s=0.002)
    sampler.start()
    try:
        cpu_before = time.thread_time()
        _busy_for(0.2, sampler)
        used_ms = (time.thread_time() - cpu_before) * 1000  # less than 200 on a loaded machine
        report = sampler.beat(late_ms=200.0)
    finally:
        sampler.stop()
    assert report is not None and report.stacks, "the sampler took no sample during a 200 ms stall"
    assert "_busy_for" in report.hottest()
    assert used_ms <= report.cpu_ms < used_ms + 20  # the thread's own CPU time since its last beat
    assert sampler.reports[-1] is report and report.as_dict()["gui_thread_in"] == report.hottest()


def test_a_blocked_stall_shows_little_cpu_and_where_it_waited():
    sampler = StallSampler(after_ms=20, period_s=0.002)
    sampler.start()
    try:
        _blocked_for(0.2, sampler)
        report = sampler.beat(late_ms=200.0)
    finally:
        sampler.stop()
    assert report is not None and report.cpu_ms < 50
    assert any("_blocked_for" in frame for stack in report.stacks for frame in stack)


def test_beats_on_time_keep_nothing():
    sampler = StallSampler(after_ms=1_000, period_s=0.002)
    sampler.start()
    try:
        assert not sampler.sample()  # the last beat is fresh: no stall to sample
        assert sampler.beat() is None and not sampler.reports
    finally:
        sampler.stop()


def test_the_thread_that_ran_while_the_watched_one_waited_is_named():
    done, spins = threading.Event(), [0]
    rival = threading.Thread(target=lambda: _busy_until(done, spins), name="rival", daemon=True)
    sampler = StallSampler(after_ms=20, period_s=0.002)
    sampler.start()
    try:
        rival.start()
        waited, started = threading.Event(), time.perf_counter()
        while spins[0] < 200_000 and time.perf_counter() - started < SAMPLED_WITHIN_S:
            waited.wait(0.01)  # the watched thread waits while the rival runs
        report = sampler.beat(late_ms=200.0)
    finally:
        done.set()
        rival.join()
        sampler.stop()
    assert report is not None
    names = [name for name, _ms in report.thread_cpu_ms]
    assert names and names[0].startswith("rival#")
    assert report.process_cpu_ms >= report.thread_cpu_ms[0][1] - 1
    assert "rival#" in str(report.as_dict()["threads_cpu_ms"])


def _busy_until(done: threading.Event, spins: list[int]) -> None:
    while not done.is_set():
        spins[0] += 1


def test_a_full_garbage_collection_in_the_stall_is_measured():
    sampler = StallSampler(after_ms=20, period_s=0.002)
    sampler.start()
    try:
        kept = [[] for _ in range(200_000)]  # many tracked objects: a full collection visits each
        gc.collect(2)
        report = sampler.beat(late_ms=100.0)
    finally:
        sampler.stop()
    assert report is not None and report.gc_generation == 2 and report.gc_ms > 0
    assert report.as_dict()["gc_ms"] == round(report.gc_ms, 1) and len(kept) == 200_000
    assert sampler.collector.install not in gc.callbacks and sampler.collector._note not in gc.callbacks
