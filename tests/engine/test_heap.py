"""The allocator is tuned at start and free heap is handed back after every turn (flat long shows)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

import studio.engine.anchor_side as anchor_side
from studio import heap
from tests.engine.test_language import ENGLISH, run_turn


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc allocator controls")
def test_glibc_accepts_the_arena_cap_and_trims() -> None:
    assert heap.tune_allocator() is True
    blocks = [bytearray(256 * 1024) for _ in range(64)]  # 16 MB, then freed: something to trim
    del blocks
    heap.release_free_heap()  # returns whether pages went back; must not raise either way


def test_onednn_kernel_cache_is_bounded_unless_the_user_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(heap.ONEDNN_CACHE_ENV, raising=False)
    heap.tune_allocator()
    assert os.environ[heap.ONEDNN_CACHE_ENV] == str(heap.ONEDNN_CACHE_ENTRIES)
    monkeypatch.setenv(heap.ONEDNN_CACHE_ENV, "512")
    heap.tune_allocator()
    assert os.environ[heap.ONEDNN_CACHE_ENV] == "512"


def test_every_completed_turn_releases_the_heap_off_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    released = threading.Event()
    callers: list[str] = []

    def fake_release() -> bool:
        callers.append(threading.current_thread().name)
        released.set()
        return True

    monkeypatch.setattr(anchor_side, "release_free_heap", fake_release)
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


def test_the_collector_pause_nests_and_gives_back_the_state_it_found() -> None:
    import gc

    assert gc.isenabled()
    with heap.collector_paused():
        with heap.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with heap.collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_frozen_objects_leave_the_collectors_sight_until_thawed() -> None:
    import gc

    kept = [[] for _ in range(1_000)]
    heap.freeze_long_lived()
    try:
        assert gc.get_freeze_count() >= len(kept)
        assert not any(item is kept for item in gc.get_objects())  # a full collection skips them
    finally:
        heap.thaw_long_lived()
    assert gc.get_freeze_count() == 0
