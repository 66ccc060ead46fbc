"""Is the canceller's output, right now, the program's echo? The fast check for a sudden AEC3 leak.

AEC3 loses the echo whenever the echo's delay jumps (an underrun, a dropout): for ~1 s its output
is the program's voice at nearly the level the mic hears it, and Silero calls that speech. The
residual-echo watch (studio.audio.residual_echo) catches a leak only ~1 s in, after the show's
first false barge-in: a live 10-minute run at -10 dB / 250 ms (bench --barge-in-quiet) saw the
output jump from -66 to -19 dBFS within 200 ms, with the echo gate's coupling at its -45 dB floor
(the canceller had been holding the echo), and a line started.
This check looks at the last WINDOW_S of both the raw mic and the canceller's output against the
reference of the MAX_DELAY_S before it (GCC-PHAT, studio.audio.echo_path.GccPhat). The echo makes
a sharp peak in the raw mic at its delay; a leaking canceller shows the same peak in its output,
CANCELLER_DELAY later (AEC3 hands its output back 8 ms behind its input). The host's voice, not
being the program, peaks in the output only now and then, at lags that wander, never where the
mic's echo is (offline, 3 delay jumps and 3 host onsets over a converged canceller at -10 dB, 20
and 250 ms: every leak frame Silero called speech matched, no host frame before the barge-in).
Limit: a host talking during a leak is taken for the echo until the canceller holds it again.
Threading: the engine loop (pushed from `EchoCanceller.process`, asked from the engine's frame
handler); one check costs at most five 16k-point FFTs (~1 ms), and runs only for a frame the echo gate let
through while the program was audible.
"""

from __future__ import annotations

import numpy as np

from studio.audio.echo_path import GccPhat

WINDOW_S = 0.25  # the latest audio checked: a barge-in forms over ~0.2 s
MAX_DELAY_S = 0.5  # echo delays looked for (as the echo-path meter)
CANCELLER_DELAY = 128  # samples at 16 kHz: AEC3's output lags its input by 8 ms
LAG_TOLERANCE = 8  # samples: the output's peak this close to the mic's echo (+ the delay) is the echo
PEAK_RATIO = 15.0  # correlation peak over its noise that counts, in the mic and in the output


class EchoLeakCheck:
    """Keeps the latest raw mic, canceller output and reference; says whether the output is the echo."""

    def __init__(self, sample_rate: int) -> None:
        self._gcc = GccPhat(sample_rate, window_s=WINDOW_S, max_delay_s=MAX_DELAY_S, early_s=0.0)
        self._window = self._gcc.window
        self._span = self._gcc.window + self._gcc.lags
        self._mic = np.zeros(0, np.float32)
        self._output = np.zeros(0, np.float32)
        self._reference = np.zeros(0, np.float32)

    def push(self, mic: np.ndarray, output: np.ndarray, reference: np.ndarray) -> None:
        """Paired samples (same length, same timeline) as the canceller processed them."""
        self._mic = np.concatenate([self._mic, mic])[-self._window :]
        self._output = np.concatenate([self._output, output])[-self._window :]
        self._reference = np.concatenate([self._reference, reference])[-self._span :]

    def leaking(self) -> bool:
        """True when the output's latest WINDOW_S holds the program's echo where the mic does."""
        if len(self._reference) < self._span or len(self._output) < self._window:
            return False
        if self._gcc.audible_share(self._reference) == 0.0:
            return False  # nothing played that could leak
        stretch = self._gcc.transform(self._reference)  # shared by both correlations
        mic_score, mic_lag = self._echo_peak(stretch, self._mic)
        if mic_score < PEAK_RATIO:
            return False  # no echo the mic hears clearly: nothing the output could leak
        out_score, out_lag = self._echo_peak(stretch, self._output)
        # Lags here count back from the window's start: a later echo has a smaller one.
        return out_score >= PEAK_RATIO and abs(mic_lag - out_lag - CANCELLER_DELAY) <= LAG_TOLERANCE

    def _echo_peak(self, stretch: np.ndarray, recent: np.ndarray) -> tuple[float, int]:
        """GCC-PHAT of the reference stretch (its transform) against `recent`: (peak over noise, lag)."""
        return self._gcc.peak(self._gcc.whitened(stretch * self._gcc.reference_transform(recent)))

    def reset(self) -> None:
        """Forget everything (the mic restarted)."""
        self._mic = np.zeros(0, np.float32)
        self._output = np.zeros(0, np.float32)
        self._reference = np.zeros(0, np.float32)
