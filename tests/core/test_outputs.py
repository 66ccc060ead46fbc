"""Program outputs: real-time playhead, flush on barge-in, and the recording of what was played."""

import asyncio

import numpy as np

from studio.audio.outputs import ClockedOutput, InstantOutput


def test_clocked_output_plays_in_real_time_and_records_only_played_audio():
    async def scenario():
        out = ClockedOutput(8000, keep_recording=True)
        out.write(np.ones(8000, np.float32))  # one second queued
        await out.wait_played(2000)  # a quarter of it plays
        dropped = out.flush()
        return out, dropped

    out, dropped = asyncio.run(scenario())
    assert 4000 <= dropped <= 6000
    played = len(out.recording())
    assert played + dropped == 8000
    assert out.played_samples() == played


def test_write_after_idle_starts_now_and_queued_audio_starts_after_previous():
    out = ClockedOutput(1000)
    first = out.write(np.zeros(500, np.float32))
    second = out.write(np.zeros(500, np.float32))
    assert abs((second - first) - 0.5) < 1e-3


def test_instant_output_plays_everything_at_once():
    out = InstantOutput(24000, keep_recording=True)
    out.write(np.full(100, 0.5, np.float32))
    assert out.played_samples() == 100 and out.flush() == 0
    assert np.allclose(out.recording(), 0.5)
