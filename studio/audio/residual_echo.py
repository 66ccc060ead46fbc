"""Is the canceller letting the program through? Then the echo gate must guard at the level that leaks.

AEC3 loses the echo for a while whenever its delay jumps: a device underrun, a dropout, a stream
restart (measured offline: a 100 ms jump left 4-13 dB of cancellation for ~1.4 s, then back to
~42 dB). Behind a working canceller the echo gate has learned a coupling near its floor, and it
re-learns over ~16 s, so the program's voice then passes as the host's: one live 10-minute run
at -10 dB (bench --barge-in-quiet) saw seven false barge-ins in six seconds.
This watch runs the echo-path meter's GCC-PHAT on the canceller's *output*, against the very
reference window the meter has just analysed (its transform computed once, by the meter): a
converged canceller leaves no trace of the reference's waveform there, a leaking one leaves a
sharp peak at the echo's lag, and the host's voice, not being the program, peaks only now and then
at lags that wander. A peak at one lag in two analyses of disjoint windows among the last
LEAK_RECENT, with the echo's level in the output (least squares on the reference at that lag, plus
REFLECTIONS_ALLOWANCE_DB for the room's reflections) at LEAK_MIN_DB or more, says "leaking"; that
level is handed to the echo gate as a floor for its coupling (studio.audio.echo.EchoGate.
coupling_floor_db). RELEASE_RUN analyses without a peak end it. Limit: the analysis sees the echo
of a reference 0.5-0.9 s old and a leak must show in two disjoint windows, so it is caught ~1 s in
and its first false line can still start; the watch stops the ones after it. With no echo path
(headphones) it rests: the meter's own verdict brings the canceller back when one appears, as fast.
Threading: the engine loop, inside `EchoCanceller.process`; one analysis per meter analysis.
"""

from __future__ import annotations

import logging
from collections import deque

import numpy as np

from studio.audio.echo_path import LAG_TOLERANCE_S, PEAK_RATIO, GccPhat

log = logging.getLogger(__name__)

# Analyses overlap (0.4 s windows every 0.1 s), so a spurious peak, as the host's voice can make,
# repeats for a few in a row: a leak is a peak at one lag in two analyses of disjoint windows,
# INDEPENDENT_GAP to LEAK_RECENT - 1 analyses apart.
LEAK_RECENT = 8
INDEPENDENT_GAP = 2
RELEASE_RUN = 8  # analyses in a row without a peak (~0.8 s of the anchor audible) that end it
LEAK_MIN_DB = -35.0  # a residual under this is a canceller at work (it takes ~42 dB off), not a leak
REFLECTIONS_ALLOWANCE_DB = 3.0  # the direct path's gain leaves out the room's early reflections
COUPLING_RANGE_DB = (-45.0, 0.0)


class ResidualEchoWatch:
    """Watches the canceller's output against the reference for the program's waveform."""

    def __init__(self, sample_rate: int) -> None:
        self._gcc = GccPhat(sample_rate)
        self._tolerance = LAG_TOLERANCE_S * sample_rate
        self._output = np.zeros(0, np.float32)  # paired with the meter's mic, sample for sample
        self._peaks: deque[int | None] = deque(maxlen=LEAK_RECENT)
        self._quiet_run = 0
        self.coupling_db: float | None = None  # the echo's level in the output while it leaks

    def push(self, output: np.ndarray, analysed: tuple[np.ndarray, np.ndarray] | None) -> float | None:
        """The canceller's output (the same length as the meter's last push) and the reference window
        the meter analysed with it, with its transform (None: none, or nothing to watch); returns
        `coupling_db`."""
        self._output = np.concatenate([self._output, output])[-self._gcc.keep :]
        if analysed is not None and len(self._output) == self._gcc.keep:
            self._judge(*analysed)
        return self.coupling_db

    def _judge(self, window: np.ndarray, transform: np.ndarray) -> None:
        score, lag = self._gcc.peak(self._gcc.spectrum(self._output, transform))
        peaked = score >= PEAK_RATIO
        self._peaks.append(lag if peaked else None)
        self._quiet_run = 0 if peaked else self._quiet_run + 1
        earlier = list(self._peaks)[:-INDEPENDENT_GAP]  # windows disjoint from this one
        confirmed = peaked and any(
            value is not None and abs(value - lag) <= self._tolerance for value in earlier
        )
        level = self._level_db(window, lag) if confirmed else COUPLING_RANGE_DB[0]
        if level >= LEAK_MIN_DB:
            if self.coupling_db is None:
                log.info(
                    "the canceller lets the program through (%.0f dB at %.0f ms): the echo gate guards",
                    level,
                    lag * 1000 / self._gcc.rate,
                )
            self.coupling_db = level if self.coupling_db is None else max(level, self.coupling_db - 1.0)
        elif self.coupling_db is not None and self._quiet_run >= RELEASE_RUN:
            log.info("the canceller holds the echo again")
            self.coupling_db = None

    def _level_db(self, window: np.ndarray, lag: int) -> float:
        """The echo's gain in the output at `lag` (least squares), in dB, with the reflections' allowance.

        A negative lag (the echo ahead of its reference, a pairing fault) is measured over the part
        of the window whose echo the output holds."""
        low, high = COUPLING_RANGE_DB
        ahead = max(0, -lag)
        reference = window[ahead:]
        segment = self._output[max(0, lag) : max(0, lag) + len(reference)]
        gain = float(np.dot(segment, reference)) / (float(np.dot(reference, reference)) + 1e-12)
        level = 20.0 * np.log10(abs(gain) + 1e-9) + REFLECTIONS_ALLOWANCE_DB
        return float(min(high, max(low, level)))

    def reset(self) -> None:
        """Forget everything (the mic restarted)."""
        self._output = np.zeros(0, np.float32)
        self._peaks.clear()
        self._quiet_run = 0
        self.coupling_db = None
