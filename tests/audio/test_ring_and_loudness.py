"""The callback ring never blocks or loses order; the program bus lands on its loudness target."""

from __future__ import annotations

import threading

import numpy as np
import pyloudnorm
import soxr

from studio.audio.loudness import ProgramLoudness, TruePeakLimiter
from studio.audio.ring import SampleRing
from tests.speech import piper_speech

RATE = 48_000


def test_ring_wraps_around_and_keeps_order() -> None:
    ring = SampleRing(10)
    out = np.zeros(10, np.float32)
    assert ring.write(np.arange(7, dtype=np.float32)) == 7
    assert ring.read_into(out, 5) == 5 and list(out[:5]) == [0, 1, 2, 3, 4]
    assert ring.write(np.arange(7, 15, dtype=np.float32)) == 8  # wraps past the end
    assert ring.available() == 10 and ring.space() == 0
    assert ring.read_into(out) == 10
    assert list(out) == [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]


def test_a_full_ring_refuses_instead_of_overwriting_and_skip_drops_oldest() -> None:
    ring = SampleRing(4)
    assert ring.write(np.ones(6, np.float32)) == 4  # the producer keeps the rest (backlog)
    assert ring.write(np.ones(1, np.float32)) == 0
    assert ring.skip(3) == 3 and ring.available() == 1 and ring.read == 3
    assert ring.skip(10) == 1 and ring.available() == 0


def test_one_producer_one_consumer_threads_see_every_sample_in_order() -> None:
    ring, total = SampleRing(257), 200_000
    received = np.zeros(total, np.float32)
    done = threading.Event()

    def consume() -> None:
        got, block = 0, np.zeros(97, np.float32)
        while got < total:
            count = ring.read_into(block)
            received[got : got + count] = block[:count]
            got += count
        done.set()

    consumer = threading.Thread(target=consume)
    consumer.start()
    source, sent = np.arange(total, dtype=np.float32), 0
    while sent < total:
        sent += ring.write(source[sent : sent + 61])
    assert done.wait(30)
    consumer.join()
    np.testing.assert_array_equal(received, source)


def _program(speech: np.ndarray, block: int) -> np.ndarray:
    bus = ProgramLoudness(RATE, target_lufs=-16.0, ceiling_dbtp=-1.0)
    return np.concatenate([bus.process(speech[i : i + block]) for i in range(0, len(speech), block)])


def test_quiet_and_hot_speech_both_air_at_minus_16_lufs_under_minus_1_dbtp() -> None:
    text = "Good evening, and welcome to the late news on our channel."
    line = soxr.resample(piper_speech(text), 16_000, RATE)
    speech = np.tile(line.astype(np.float32), 4)
    meter = pyloudnorm.Meter(RATE)
    for gain_db in (-10.0, +6.0):  # a quiet (-36 LUFS) and a clipping-hot TTS voice
        source = np.clip(speech * 10 ** (gain_db / 20), -1, 1).astype(np.float32)
        aired = _program(source, RATE // 10)  # TTS-sized chunks
        settled = aired[len(aired) // 4 :]  # after the first line the gain has converged
        assert abs(meter.integrated_loudness(settled) - (-16.0)) <= 1.0, gain_db
        oversampled = soxr.resample(aired, RATE, 4 * RATE)
        assert 20 * np.log10(np.abs(oversampled).max()) <= -1.0, gain_db


def test_limiter_holds_a_full_scale_square_wave_under_its_ceiling() -> None:
    limiter = TruePeakLimiter(RATE, ceiling_dbtp=-1.0)
    square = np.sign(np.sin(np.arange(RATE) * 2 * np.pi * 997 / RATE)).astype(np.float32)
    out = np.concatenate([limiter.process(square[i : i + 480]) for i in range(0, RATE, 480)])
    assert np.abs(out).max() <= 10 ** (-1.0 / 20) + 1e-3
    assert np.abs(out[RATE // 2 :]).max() > 0.5  # limited, not muted
