"""The program sink's hold: the anchor pauses within a fade, nothing queued is lost, and it goes on."""

from __future__ import annotations

import numpy as np

from studio.audio.devices import DeviceInfo
from studio.audio.sink import FADE_MS, OutputSink

RATE = 48_000
BLOCK = 480  # 10 ms device blocks


def make_sink() -> OutputSink:
    device = DeviceInfo("test-out", "output", True, False, 2, RATE)
    return OutputSink("program", device, on_event=lambda _event: None)


def pull(sink: OutputSink, blocks: int) -> np.ndarray:
    out = []
    for _ in range(blocks):
        block = np.zeros(BLOCK, dtype=np.float32)
        sink._fill(block, BLOCK)
        out.append(block)
    return np.concatenate(out)


def test_hold_fades_out_keeps_the_queue_and_resumes_where_it_paused():
    sink = make_sink()
    ramp = np.linspace(0.01, 1.0, RATE, dtype=np.float32)  # 1 s, every sample distinct
    sink.push(ramp)
    before = pull(sink, 10)  # 100 ms played
    np.testing.assert_array_equal(before, ramp[: 10 * BLOCK])

    sink.hold(True)
    held = pull(sink, 20)
    fade = int(FADE_MS / 1000 * RATE)
    assert np.all(held[fade:] == 0.0), "held: silence after the fade"
    assert np.all(np.abs(np.diff(held[: fade + 1])) < 0.01), "the fade has no click"
    consumed_while_held = sink.ring.read - 10 * BLOCK
    assert consumed_while_held <= fade, "a hold reads only the fade from the ring"
    assert sink.held_silent

    sink.hold(False)
    after = pull(sink, 10)
    resumed_at = 10 * BLOCK + consumed_while_held
    np.testing.assert_allclose(after[fade:], ramp[resumed_at + fade : resumed_at + 10 * BLOCK], rtol=1e-6)
    assert after[0] < ramp[resumed_at], "it fades back in"


def test_flush_while_held_drops_the_queue_at_once():
    sink = make_sink()
    sink.push(np.full(RATE, 0.5, dtype=np.float32))
    pull(sink, 5)
    sink.hold(True)
    pull(sink, 3)
    sink.request_flush()
    pull(sink, 1)
    assert sink.ring.available() == 0, "the flush dropped what the hold kept"
    sink.hold(False)
    sink.push(np.full(BLOCK * 4, 0.25, dtype=np.float32))
    fresh = pull(sink, 4)
    assert fresh[-1] == np.float32(0.25), "the next reply plays at full level"


def test_resume_with_nothing_queued_does_not_fade_the_next_reply():
    sink = make_sink()
    sink.hold(True)
    pull(sink, 2)
    sink.hold(False)
    pull(sink, 1)  # nothing queued: the gain is back at once
    sink.push(np.full(BLOCK, 0.5, dtype=np.float32))
    np.testing.assert_array_equal(pull(sink, 1), np.full(BLOCK, 0.5, dtype=np.float32))
