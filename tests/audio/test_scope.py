"""The waveform scope: latest-window reads, wrap-around, rewind on flush, and peak downsampling."""

import numpy as np

from studio.audio.outputs import ClockedOutput
from studio.audio.scope import SampleScope, level_dbfs, peak_envelope


def test_window_returns_newest_samples_across_wrap() -> None:
    scope = SampleScope(sample_rate=10, seconds=1.0)  # capacity 10
    scope.write(np.arange(7, dtype=np.float32))
    scope.write(np.arange(7, 13, dtype=np.float32))
    assert scope.end == 13
    np.testing.assert_array_equal(scope.window(5), np.arange(8, 13, dtype=np.float32))
    # Older than the capacity is unknown: silence, not stale data.
    # Positions 3..12 are kept; older than that is unknown: silence, not stale data.
    np.testing.assert_array_equal(scope.window(4, end=4), np.array([0, 0, 0, 3], dtype=np.float32))


def test_oversized_block_keeps_its_tail() -> None:
    scope = SampleScope(sample_rate=4, seconds=1.0)
    scope.write(np.arange(10, dtype=np.float32))
    np.testing.assert_array_equal(scope.window(4), np.array([6, 7, 8, 9], dtype=np.float32))
    assert scope.end == 10


def test_window_pads_before_the_first_sample() -> None:
    scope = SampleScope(sample_rate=100)
    scope.write(np.ones(3, dtype=np.float32))
    np.testing.assert_array_equal(scope.window(5), np.array([0, 0, 1, 1, 1], dtype=np.float32))


def test_clocked_output_scope_drops_flushed_audio() -> None:
    output = ClockedOutput(1000)
    output.write(np.ones(5000, dtype=np.float32))
    played = output.played_samples()
    output.flush()
    assert output.scope.end <= played + 50  # only what had played (±the clock between calls)
    output.write(np.full(10, 0.5, dtype=np.float32))
    assert output.scope.window(10)[-1] == np.float32(0.5)


def test_peak_envelope_keeps_a_one_sample_click() -> None:
    samples = np.zeros(48_000, dtype=np.float32)
    samples[12_345] = 0.9
    low, high = peak_envelope(samples, 400)
    assert len(high) == 400 and high.max() == np.float32(0.9) and low.min() == 0.0


def test_level_dbfs_of_full_scale_sine_and_silence() -> None:
    t = np.arange(16_000) / 16_000
    rms, peak = level_dbfs(np.sin(2 * np.pi * 440 * t).astype(np.float32))
    assert abs(rms - -3.01) < 0.05 and abs(peak) < 0.01
    assert level_dbfs(np.zeros(100, dtype=np.float32)) == (-120.0, -120.0)
