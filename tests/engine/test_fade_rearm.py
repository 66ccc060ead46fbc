"""Which frames of a fading run may end the line: the first of the run, then each further fall.

A line's voice far (18 dB) under its speech level is fading. The first such frame may be the end;
within the run, a frame 8 dB under the loudest since then may be again (a soft last word's own
end). A loud or unvoiced frame ends the run.
"""

from __future__ import annotations

import asyncio

import numpy as np

from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.engine.utterance import Utterance
from tests.engine.measuring_stt import MeasuringSpeechToText

FRAME = 512


def frame_at(dbfs: float) -> np.ndarray:
    """A 300 Hz frame whose RMS is `dbfs` (whole cycles, so the level is exact)."""
    t = np.arange(FRAME, dtype=np.float32) / INPUT_SAMPLE_RATE
    return (np.sqrt(2) * 10 ** (dbfs / 20) * np.sin(2 * np.pi * 312.5 * t)).astype(np.float32)


def faded_marks(levels: list[float | None]) -> list[bool]:
    """`faded` after each frame of a line that began with 10 loud frames (-17 dBFS; None: unvoiced)."""

    async def run() -> list[bool]:
        line = Utterance(1, MeasuringSpeechToText(gated=False), "en")
        for _ in range(10):
            line.append(frame_at(-17.0), True, 0.0)
        marks = []
        for level in levels:
            line.append(frame_at(-90.0 if level is None else level), level is not None, 0.0)
            marks.append(line.faded)
        await line.discard()
        return marks

    return asyncio.run(run())


def test_the_first_fading_frame_and_each_further_fall_may_end_the_line():
    levels = [-37, -38, -41, -47, -50, -56, -60]  # all >= 18 dB under -17: one fading run
    assert faded_marks(levels) == [True, False, False, True, False, True, False]


def test_a_fall_counts_from_the_loudest_frame_since_the_last_mark():
    levels = [-40, -40, -36, -43, -45]  # the soft word swells to -36 after the mark: -45 is 9 under it
    assert faded_marks(levels) == [True, False, False, False, True]


def test_a_loud_or_unvoiced_frame_ends_the_run():
    levels = [-37, -38, -17, -37, -38, None, -37, -38]
    assert faded_marks(levels) == [True, False, False, True, False, False, True, False]


def test_a_steady_soft_tail_marks_once():
    """Soft words that never fall further are the words themselves: one early read, as before."""
    assert faded_marks([-38] * 10) == [True] + [False] * 9
