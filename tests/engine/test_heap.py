"""The allocator is tuned at start and free heap is handed back after every turn (flat long shows)."""

from __future__ import annotations

import sys
import threading

import pytest

import studio.engine.engine as engine_module
from studio import heap
from tests.engine.test_language import ENGLISH, run_turn


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc allocator controls")
def test_glibc_accepts_the_arena_cap_and_trims() -> None:
    assert heap.tune_allocator() is True
    blocks = [bytearray(256 * 1024) for _ in range(64)]  # 16 MB, then freed: something to trim
    del blocks
    heap.release_free_heap()  # returns whether pages went back; must not raise either way


def test_every_completed_turn_releases_the_heap_off_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    released = threading.Event()
    callers: list[str] = []

    def fake_release() -> bool:
        callers.append(threading.current_thread().name)
        released.set()
        return True

    monkeypatch.setattr(engine_module, "release_free_heap", fake_release)
    engine, *_ = run_turn("en", [ENGLISH])
    assert len(engine.completed) == 1
    assert released.wait(10)
    assert callers and callers[0] != threading.main_thread().name  # a worker, not the loop's thread


def test_allocator_calls_are_no_ops_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    heap._glibc.cache_clear()
    monkeypatch.setattr(heap.sys, "platform", "darwin")
    try:
        assert heap.tune_allocator() is False and heap.release_free_heap() is False
    finally:
        heap._glibc.cache_clear()
