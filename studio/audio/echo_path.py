"""Is there an echo path at all? A host on headphones leaks nothing, and then the canceller only hurts.

AEC3 starts cautious: until it has locked on to an echo, it suppresses what the mic hears while
the program plays. With a speaker in the room it finds the echo within a second; with headphones
there is none to find, and the host's first words over the anchor come out attenuated, or not at
all, for the first seconds of the anchor's speech (bench --barge-in, headphones: the show's first
interruption took 630-790 ms to silence the anchor, every later one 40-150 ms; offline, a host
starting 1.5 s into the anchor's first reply was never heard by Silero). Its double-talk
suppression also dulls the host's voice later on, for nothing.
Levels cannot tell: Silero hears the anchor's voice 15 dB under the room noise, where no level
statistic sees it. So this meter looks for the program's waveform in the raw mic: a generalized
cross-correlation with phase transform (GCC-PHAT) of each WINDOW_S of reference against the mic
over the next WINDOW_S + MAX_DELAY_S, every HOP_S while the program is audible. An echo path makes
a sharp peak at its delay, at the same lag window after window (measured: 17-270x the noise of
the correlation at -40..-10 dB leaks under -65 and -50 dBFS rooms; 6-18x for an echo 10 dB under
the noise); with none, noise alone stays <= 5x. The host's own voice can peak it too, for the few
windows its words overlap (seen in the barge-in bench: up to 54x, at lags that wander), so the
verdict has hysteresis: "echo path" takes ECHO_PEAKS peaks at one lag among the last RECENT
analyses; "no echo path" takes QUIET_RUN analyses in a row under QUIET_RATIO, each alone and their
whitened spectra summed (an echo too weak to peak in one window adds up across five), and, once an
echo path was heard, LEAVE_ECHO_RUN of them (a quieter speaker or music weakens its peaks for a
while); anything between leaves the verdict as it was; before either, it does not know. Lags
from -EARLY_S count too: an echo ahead of its reference is a pairing fault, still an echo path.
The input path hands the raw mic to VAD/STT only on "no echo path" (studio.audio.aec), and the
canceller's output otherwise. Limits: the first verdict needs ~1.3-1.6 s of the anchor audible
(0.4 s of reference plus 0.5 s for its echo, then the run), and headphones taken off mid-show
leave the raw mic with the echo in it for ~1 s of the anchor talking, behind the echo gate (which
studio.audio.residual_echo raises to the echo's level meanwhile).
Threading: the engine loop, inside `EchoCanceller.process` (the input path's loop); one analysis
(three 16k-point FFTs, well under a millisecond) per HOP_S of audio.
"""

from __future__ import annotations

import logging
from collections import deque

import numpy as np

from studio.audio.echo import hop_db

log = logging.getLogger(__name__)

WINDOW_S = 0.4  # reference per analysis
MAX_DELAY_S = 0.5  # mic-to-reference lag looked for (device latencies + the room, as paired)
# The echo ahead of its reference (a pairing fault, studio.audio.aec): still an echo path.
EARLY_S = 0.1
HOP_S = 0.1
RECENT = 20  # analyses (~2 s of the anchor audible) an echo path must show itself in
ECHO_PEAKS = 6  # peaks at one lag among the RECENT analyses that make an echo path
PEAK_RATIO = 12.0  # correlation peak over its noise (robust sigma) that counts as a peak
QUIET_RATIO = 6.0  # below this an analysis found nothing (noise alone: <= 5x)
QUIET_RUN = 5  # analyses in a row that found nothing (each, and all summed) before "no echo path"
# Once an echo path was heard, ~5 s of the anchor audible with nothing found before "none": a
# quieter speaker, music or a moving host weaken its peaks for a while, they do not remove it.
LEAVE_ECHO_RUN = 50
AUDIBLE_DBFS = -45.0  # a reference 10 ms block this loud would leak audibly through a speaker
MIN_AUDIBLE = 0.3  # share of the window's blocks that must be audible to analyse it
LAG_TOLERANCE_S = 0.002  # peaks this close are one echo path
BAND_HZ = (200.0, 4000.0)  # speech band: room rumble and hiss do not make peaks


class GccPhat:
    """Whitened cross-correlation of a mic stretch against the reference window it may echo."""

    def __init__(
        self,
        sample_rate: int,
        window_s: float = WINDOW_S,
        max_delay_s: float = MAX_DELAY_S,
        early_s: float = EARLY_S,
    ) -> None:
        self.rate = sample_rate
        self.window = round(window_s * sample_rate)
        self.lags = round(max_delay_s * sample_rate)
        self.early = round(early_s * sample_rate)
        self.keep = self.window + self.lags  # mic samples an analysis needs (and reference kept)
        # Circular correlation is the linear one for lags -early..lags with no wrap-around from
        # either end: n > max(lags + window - 1, keep - 1 + early).
        self._fft = 1 << int(np.ceil(np.log2(max(self.lags + self.window, self.keep + self.early))))
        freqs = np.fft.rfftfreq(self._fft, 1 / sample_rate)
        self._band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])

    def audible_share(self, samples: np.ndarray) -> float:
        """Share of the 10 ms blocks of `samples` loud enough to leak audibly."""
        blocks = len(samples) // (self.rate // 100)
        return float(np.mean(hop_db(samples, blocks) >= AUDIBLE_DBFS))

    def transform(self, samples: np.ndarray) -> np.ndarray:
        """The spectrum of `samples` at the correlation's FFT size (reusable across pairs)."""
        return np.fft.rfft(samples, self._fft)

    def reference_transform(self, reference: np.ndarray) -> np.ndarray:
        """The reference window's conjugate spectrum (one per analysis, for every mic stretch)."""
        return np.conj(self.transform(reference))

    def spectrum(self, mic: np.ndarray, reference_transform: np.ndarray) -> np.ndarray:
        """The whitened cross-spectrum of `mic` against a reference's transform, speech band only."""
        return self.whitened(self.transform(mic) * reference_transform)

    def whitened(self, cross: np.ndarray) -> np.ndarray:
        """A cross-spectrum (a new array, changed in place) kept to the speech band, phase only."""
        cross[~self._band] = 0
        cross /= np.abs(cross) + 1e-12
        return cross

    def peak(self, cross: np.ndarray) -> tuple[float, int]:
        """How far the correlation of a cross-spectrum peaks over its noise (robust sigma), and at
        which lag (samples; negative: the echo came before its reference)."""
        correlation = np.fft.irfft(cross, self._fft)
        lags = np.abs(np.concatenate([correlation[self._fft - self.early :], correlation[: self.lags]]))
        sigma = 1.4826 * float(np.median(lags)) + 1e-12
        index = int(np.argmax(lags))
        return float(lags[index]) / sigma, index - self.early


class EchoPathMeter:
    """Tells from the raw mic and its paired reference whether the program leaks into the mic."""

    def __init__(self, sample_rate: int) -> None:
        self._rate = sample_rate
        self._gcc = GccPhat(sample_rate)
        self._hop = round(HOP_S * sample_rate)
        self._window, self._keep = self._gcc.window, self._gcc.keep
        self._mic = np.zeros(0, np.float32)
        self._reference = np.zeros(0, np.float32)
        self._since = 0
        self._peaks: deque[int | None] = deque(maxlen=RECENT)  # per analysis: the peak's lag, if any
        self._quiet_run = 0
        self._recent_spectra: deque[np.ndarray] = deque(maxlen=QUIET_RUN)  # whitened, per analysis
        self.echo_path: bool | None = None  # None: not known yet (the canceller's output is used)
        # The reference window this push analysed and its transform (None: no analysis this time),
        # for studio.audio.residual_echo to look for the same window in the canceller's output.
        self.analysed: tuple[np.ndarray, np.ndarray] | None = None

    def push(self, mic: np.ndarray, reference: np.ndarray) -> bool | None:
        """Paired raw mic and reference samples (same length, same timeline); returns `echo_path`."""
        self.analysed = None
        self._mic = np.concatenate([self._mic, mic])[-self._keep :]
        self._reference = np.concatenate([self._reference, reference])[-self._keep :]
        self._since += len(mic)
        if self._since >= self._hop and len(self._mic) == self._keep:
            self._since = 0
            reference_window = self._reference[: self._window]  # its echo has had time to arrive
            if self._gcc.audible_share(reference_window) >= MIN_AUDIBLE:
                self.analysed = (reference_window, self._gcc.reference_transform(reference_window))
                self._judge(*self._correlate(self._mic, self.analysed[1]))
                if (  # the summed spectra only once each window alone found nothing
                    self._quiet_run >= QUIET_RUN
                    and self._quiet_enough()
                    and self._gcc.peak(sum(self._recent_spectra))[0] < QUIET_RATIO
                ):
                    self.echo_path = False
        return self.echo_path

    def _correlate(self, mic: np.ndarray, reference_transform: np.ndarray) -> tuple[float, int]:
        """How far the GCC-PHAT of `mic` against the reference (lags -EARLY_S..MAX_DELAY_S) peaks over
        its noise, and at which lag (samples; negative: the echo came before its reference)."""
        cross = self._gcc.spectrum(mic, reference_transform)
        self._recent_spectra.append(cross)
        return self._gcc.peak(cross)

    def _judge(self, score: float, lag: int) -> None:
        """Hysteresis: an echo path is a run of peaks at one lag (it wins at once); "none" is decided
        in `push` from runs of nothing; anything between (a few peaks, as the host's voice can
        make) leaves the verdict as it was."""
        self._peaks.append(lag if score >= PEAK_RATIO else None)
        if score >= PEAK_RATIO:
            log.debug("echo-path peak %.1fx at %.0f ms", score, lag * 1000 / self._rate)
        self._quiet_run = self._quiet_run + 1 if score < QUIET_RATIO else 0
        lags = np.array([lag for lag in self._peaks if lag is not None])
        tolerance = LAG_TOLERANCE_S * self._rate
        if (
            len(lags) >= ECHO_PEAKS
            and max(int(np.sum(np.abs(lags - lag) <= tolerance)) for lag in lags) >= ECHO_PEAKS
        ):
            self.echo_path = True

    def _quiet_enough(self) -> bool:
        """A run of nothing long enough to say "none": longer once an echo path was heard."""
        return self.echo_path is not True or self._quiet_run >= LEAVE_ECHO_RUN

    def reset(self) -> None:
        """Forget everything (the mic restarted: it may be another device)."""
        self._mic = np.zeros(0, np.float32)
        self._reference = np.zeros(0, np.float32)
        self._since = 0
        self._peaks.clear()
        self._recent_spectra.clear()
        self._quiet_run = 0
        self.echo_path = None
        self.analysed = None
