"""The jitter buffer's rules, without a server: order, gaps, late and duplicate frames, the window."""

from __future__ import annotations

import numpy as np

from studio.web.jitter import FRAME_SAMPLES, MAX_READY_SAMPLES, WINDOW_FRAMES, JitterBuffer


def frame(value: float) -> np.ndarray:
    """A frame of one constant value, so the order of the output shows the order of release."""
    return np.full(FRAME_SAMPLES, value, np.float32)


def values(audio: np.ndarray) -> list[float]:
    """The value of each frame in `audio`."""
    return [float(v) for v in audio.reshape(-1, FRAME_SAMPLES)[:, 0]]


def test_frames_in_order_are_released_at_once_and_taken_in_engine_sized_blocks() -> None:
    buffer = JitterBuffer()
    for seq in range(3):
        buffer.push(seq, frame(seq + 1))
    assert buffer.take(512) is not None and buffer.ready_samples == 3 * FRAME_SAMPLES - 512
    assert buffer.take(512) is None  # not enough: nothing taken
    assert buffer.ready_samples == 3 * FRAME_SAMPLES - 512


def test_a_frame_out_of_order_is_held_until_the_one_before_it_comes() -> None:
    buffer = JitterBuffer()
    assert [buffer.push(s, frame(s)) for s in (0, 2, 1)] == ["queued"] * 3
    assert values(buffer.take(3 * FRAME_SAMPLES)) == [0, 1, 2]


def test_a_missing_frame_is_concealed_once_enough_later_ones_wait_and_is_late_after_that() -> None:
    buffer = JitterBuffer(reorder_frames=2)
    buffer.push(0, frame(1))
    buffer.push(2, frame(3))
    assert buffer.ready_samples == FRAME_SAMPLES  # 1 still awaited
    buffer.push(3, frame(4))
    assert values(buffer.take(4 * FRAME_SAMPLES)) == [1, 0, 3, 4]
    assert buffer.push(1, frame(2)) == "late"
    assert (buffer.stats.concealed, buffer.stats.late) == (1, 1)


def test_duplicates_are_dropped_and_counted() -> None:
    buffer = JitterBuffer()
    buffer.push(0, frame(1))
    buffer.push(2, frame(3))
    assert buffer.push(2, frame(9)) == "duplicate"  # held
    assert buffer.push(0, frame(9)) == "duplicate"  # released already
    assert buffer.stats.duplicate == 2 and buffer.stats.late == 0


def test_a_far_jump_is_refused_while_frames_wait_and_followed_when_none_do() -> None:
    buffer = JitterBuffer()
    buffer.push(0, frame(1))
    buffer.push(2, frame(3))
    assert buffer.push(2 + WINDOW_FRAMES + 5, frame(9)) == "out_of_window"
    fresh = JitterBuffer()
    fresh.push(0, frame(1))
    assert fresh.push(10_000, frame(2)) == "queued" and fresh.stats.resynced == 1
    assert values(fresh.take(2 * FRAME_SAMPLES)) == [1, 2]


def test_a_forced_take_pads_silence_and_counts_an_underrun() -> None:
    buffer = JitterBuffer()
    assert not buffer.take_forced(512).any() and buffer.stats.underruns == 0  # nothing ever came
    buffer.push(0, frame(0.5))
    block = buffer.take_forced(512)
    assert block[:FRAME_SAMPLES].min() == 0.5 and not block[FRAME_SAMPLES:].any()
    buffer.take_forced(512)  # still starving: the same underrun
    buffer.push(1, frame(0.5))
    buffer.take_forced(512)  # fed, then short again: a second one
    assert buffer.stats.underruns == 2


def test_audio_nobody_takes_is_trimmed_to_a_second() -> None:
    counted: list[tuple[str, int]] = []
    buffer = JitterBuffer(on_count=lambda kind, n: counted.append((kind, n)))
    frames = MAX_READY_SAMPLES // FRAME_SAMPLES + 5
    for seq in range(frames):
        buffer.push(seq, frame(seq))
    assert buffer.ready_samples <= MAX_READY_SAMPLES
    assert buffer.stats.overflow_samples == 5 * FRAME_SAMPLES
    assert ("overflow_samples", FRAME_SAMPLES) in counted and ("received", 1) in counted
    assert values(buffer.take(FRAME_SAMPLES)) == [5]


def test_the_reader_is_woken_when_audio_is_released() -> None:
    woken: list[bool] = []
    buffer = JitterBuffer()
    buffer.on_ready = lambda: woken.append(True)
    buffer.push(1, frame(1))
    buffer.push(3, frame(1))  # held: nothing released
    assert woken == [True]
