"""Outputs open in standby (a buffer model loading cannot starve) and go live before anything airs."""

from __future__ import annotations

import asyncio

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
