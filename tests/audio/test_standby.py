"""Outputs open in standby (a buffer model loading cannot starve) and go live before anything airs."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from studio.audio.io import AudioIO
from studio.audio.pulse import ANCHOR_SINK, PulseControl
from studio.audio.sink import STANDBY_LATENCY_MS
from studio.config import load_settings


def _program(io: AudioIO) -> dict:
    return io.stats()["program"]


def test_the_engine_listening_takes_the_program_live(anchor_sink: PulseControl) -> None:
    io = AudioIO(load_settings(), program_device=ANCHOR_SINK, use_mic=False, use_monitor=False)
    try:
        assert _program(io)["live"] is False
        assert io.program.program_sink.output_latency_s() >= STANDBY_LATENCY_MS / 1000 * 0.5

        async def first_frame() -> None:
            frames = io.frames(512)
            await anext(frames)
            await frames.aclose()

        asyncio.run(first_frame())
        assert _program(io)["live"] is True
        assert _program(io)["state"] == "playing"
    finally:
        io.close()


def test_a_first_write_without_a_listener_goes_live_first(anchor_sink: PulseControl) -> None:
    io = AudioIO(load_settings(), program_device=ANCHOR_SINK, use_mic=False, use_monitor=False)
    try:
        io.program.write(np.zeros(2400, np.float32))
        assert _program(io)["live"] is True
        assert io.program.program_sink.ring.written > 0  # queued after the reopen, not lost with it
        io.standby()  # models about to load again
        assert _program(io)["live"] is False
    finally:
        io.close()


def test_a_stalled_stream_is_reopened_and_says_so(anchor_sink: PulseControl, monkeypatch) -> None:
    """An output that stays 'active' while its callback no longer comes is silent on air: the watcher
    reopens it (here the callback is made to stop counting, as a stuck driver would look)."""
    import studio.audio.device_stream as device_stream

    monkeypatch.setattr(device_stream, "STALL_S", 0.5)
    events: list[str] = []
    changed = threading.Condition()

    io = AudioIO(load_settings(), program_device=ANCHOR_SINK, use_mic=False, use_monitor=False)
    sink = io.program.program_sink
    original = sink._on_event

    def on_event(event) -> None:
        original(event)
        with changed:
            events.append(event.kind)
            changed.notify_all()

    sink._on_event = on_event
    try:
        frozen = sink.callbacks
        monkeypatch.setattr(type(sink), "_progress", lambda self: frozen)  # the callback "stops"
        with changed:
            assert changed.wait_for(lambda: "reconnected" in events, timeout=20)
        assert events[:2] == ["lost", "reconnected"] and sink.stalls >= 1
        monkeypatch.undo()  # the real count again: the reopened stream's callback moves it
        sink.check()
        assert _program(io)["state"] == "playing" and _program(io)["stalls"] >= 1
    finally:
        io.close()


def test_a_stream_start_that_never_returns_is_given_up_and_its_late_stream_closed() -> None:
    """Pa_StartStream can block forever on a stuck driver: the caller gives up after the timeout,
    and a stream that still starts later is closed by the opening thread, not left playing."""
    from studio.audio.device_stream import _Opening

    release = threading.Event()
    closed = threading.Event()

    class LateStream:
        def abort(self) -> None:
            return None

        def close(self) -> None:
            closed.set()

    def stuck_start():
        release.wait()
        return LateStream(), None

    opening = _Opening(stuck_start, "test-start")
    assert opening.result(0.2) is None  # given up: the caller reports the device and goes on
    release.set()
    assert closed.wait(10)  # started too late: closed at once by its own thread
    assert _Opening(lambda: ("stream", 7), "test-start").result(10) == ("stream", 7)
