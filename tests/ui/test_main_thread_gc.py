"""Cyclic garbage made on any thread is collected on the GUI thread while the collector runs."""

from __future__ import annotations

import gc
import threading
from typing import ClassVar

from studio.ui.main_thread_gc import MainThreadCollector


class _Cycle:
    """Half of a reference cycle that records the thread its collection ran on."""

    freed_on: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.partner: _Cycle | None = None

    def __del__(self) -> None:
        _Cycle.freed_on.append(threading.current_thread().name)


def _make_cycles(count: int) -> None:
    for _ in range(count):
        first, second = _Cycle(), _Cycle()
        first.partner, second.partner = second, first


def test_cycles_made_on_a_worker_thread_are_collected_on_the_main_thread(qtbot):
    _Cycle.freed_on.clear()
    gc.enable()  # GUI tests run with it off (tests/conftest.py); the collector must turn it off itself
    collector = MainThreadCollector(check_ms=20)
    collector.start()
    try:
        assert not gc.isenabled()
        worker = threading.Thread(target=_make_cycles, args=(5_000,), name="worker")
        worker.start()
        worker.join(30)
        assert _Cycle.freed_on == [], "automatic collection is off: the worker freed nothing"
        qtbot.waitUntil(lambda: len(_Cycle.freed_on) >= 10_000, timeout=20_000)
    finally:
        collector.stop()
    assert set(_Cycle.freed_on) == {threading.main_thread().name}
    assert sum(collector.collections) >= 1
    assert gc.isenabled(), "stop hands collection back as it was"
    gc.disable()  # as this GUI test found it


def test_nothing_is_collected_while_the_models_load(qtbot):
    from studio.heap import collector_paused

    collector = MainThreadCollector(check_ms=60_000)  # ticks driven by hand below
    collector.start()
    try:
        with collector_paused():
            _make_cycles(5_000)  # far past the young generation's threshold
            collector.collect_due()
            assert collector.collections == [0, 0, 0]
        collector.collect_due()
        assert sum(collector.collections) == 1
    finally:
        collector.stop()
