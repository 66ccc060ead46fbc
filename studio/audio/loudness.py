"""Program loudness: a streaming BS.1770 meter, gain to the target and a true-peak limiter.

The anchor's voice goes on air at a steady loudness whatever the TTS backend's level: each block
the engine writes is measured (K-weighted, gated, like pyloudnorm's integrated loudness but
incremental), brought to the target by a smoothly moving gain, then limited so its true peak
(4x oversampled) stays under the ceiling.
Threading: engine loop only (called from the program output's `write`), never from a callback.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pyloudnorm
from scipy.ndimage import minimum_filter1d
from scipy.signal import lfilter, resample_poly

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
MAX_GAIN_DB = 30.0  # never boost near-silence into noise
MAX_MAKEUP_DB = 12.0
OVERSAMPLE = 4  # true-peak estimate per BS.1770-4 annex 2


def _lufs(mean_square: np.ndarray | float) -> np.ndarray | float:
    return -0.691 + 10.0 * np.log10(np.maximum(mean_square, 1e-12))


class StreamingLoudness:
    """Gated integrated loudness of everything fed so far (up to `memory_s` seconds back)."""

    def __init__(self, sample_rate: int, memory_s: float = 120.0) -> None:
        meter = pyloudnorm.Meter(sample_rate)
        self._filters = [(f.b, f.a, f.passband_gain) for f in meter._filters.values()]
        self._states = [np.zeros(max(len(b), len(a)) - 1) for b, a, _ in self._filters]
        self._step = int(0.1 * sample_rate)  # 100 ms: 400 ms blocks with 75 % overlap
        self._pending = np.zeros(0, dtype=np.float64)
        self._steps: deque[float] = deque(maxlen=4)
        self._blocks: deque[float] = deque(maxlen=int(memory_s * 10))
        self._partial_sum, self._partial_count = 0.0, 0

    def feed(self, samples: np.ndarray) -> None:
        weighted = np.asarray(samples, dtype=np.float64)
        for index, (b, a, gain) in enumerate(self._filters):
            weighted, self._states[index] = lfilter(b, a, weighted, zi=self._states[index])
            weighted = weighted * gain
        self._partial_sum += float(np.sum(weighted**2))
        self._partial_count += len(weighted)
        data = np.concatenate([self._pending, weighted])
        usable = len(data) - len(data) % self._step
        for step in data[:usable].reshape(-1, self._step):
            self._steps.append(float(np.mean(step**2)))
            if len(self._steps) == 4:
                self._blocks.append(sum(self._steps) / 4)
        self._pending = data[usable:]

    def integrated(self) -> float | None:
        """Gated loudness in LUFS; before the first 400 ms block, the ungated level so far."""
        if not self._blocks:
            if self._partial_count == 0:
                return None
            level = float(_lufs(self._partial_sum / self._partial_count))
            return level if level > ABSOLUTE_GATE_LUFS else None
        blocks = np.fromiter(self._blocks, dtype=np.float64)
        loud = blocks[_lufs(blocks) > ABSOLUTE_GATE_LUFS]
        if not len(loud):
            return None
        relative = float(_lufs(np.mean(loud))) + RELATIVE_GATE_LU
        gated = loud[_lufs(loud) > relative]
        return float(_lufs(np.mean(gated)))


class TruePeakLimiter:
    """Lookahead-free block limiter: gain follows the 4x-oversampled peak, releases smoothly."""

    def __init__(self, sample_rate: int, ceiling_dbtp: float = -1.0, release_ms: float = 40.0) -> None:
        self._ceiling = 10 ** (ceiling_dbtp / 20)
        self._hold = max(1, int(0.002 * sample_rate))  # gain reaches its low before the peak
        self._release = np.exp(-1.0 / (release_ms / 1000 * sample_rate))
        self._gain = 1.0
        self._context = np.zeros(16, dtype=np.float64)  # previous samples, for the upsampler's edge

    def reset(self) -> None:
        self._gain = 1.0
        self._context[:] = 0.0

    def process(self, block: np.ndarray) -> np.ndarray:
        if not len(block):
            return block
        data = np.asarray(block, dtype=np.float64)
        padded = np.concatenate([self._context, data])
        upsampled = np.abs(resample_poly(padded, OVERSAMPLE, 1))[len(self._context) * OVERSAMPLE :]
        peaks = upsampled[: len(data) * OVERSAMPLE].reshape(len(data), OVERSAMPLE).max(axis=1)
        peaks = np.maximum(peaks, np.abs(data))
        needed = np.minimum(1.0, self._ceiling / np.maximum(peaks, 1e-9))
        needed = minimum_filter1d(needed, size=2 * self._hold + 1, mode="nearest")
        gain = self._smooth(needed)
        self._context = padded[-len(self._context) :]
        out = data * gain
        return np.clip(out, -self._ceiling, self._ceiling).astype(np.float32)

    def _smooth(self, needed: np.ndarray) -> np.ndarray:
        """Instant attack, exponential release: 1-g[n] = max(1-needed[n], r*(1-g[n-1])), vectorised."""
        reduction = 1.0 - needed
        if not np.any(reduction > 0) and self._gain >= 0.99999:
            self._gain = 1.0
            return np.ones_like(needed)
        log_r = np.log(self._release)
        index = np.arange(len(needed), dtype=np.float64)
        with np.errstate(divide="ignore"):
            log_u = np.log(np.maximum(reduction, 0.0))
            log_d0 = np.log(1.0 - self._gain) if self._gain < 1.0 else -np.inf
        decayed = np.maximum.accumulate(log_u - index * log_r) + index * log_r
        carried = log_d0 + (index + 1) * log_r
        gain = 1.0 - np.exp(np.maximum(decayed, carried))
        self._gain = float(gain[-1])
        return gain


class ProgramLoudness:
    """Target-loudness gain plus true-peak limiter for the program bus, at the program rate."""

    def __init__(self, sample_rate: int, target_lufs: float = -16.0, ceiling_dbtp: float = -1.0) -> None:
        self.target_lufs = target_lufs
        self._meter = StreamingLoudness(sample_rate)
        self._output_meter = StreamingLoudness(sample_rate)
        self._makeup_db = 0.0  # what the limiter takes away from loudness, given back before it
        # A little under the ceiling: the device-rate resampler may add a hair of overshoot.
        self._limiter = TruePeakLimiter(sample_rate, ceiling_dbtp - 0.3)
        self._gain_db: float | None = None

    @property
    def gain_db(self) -> float:
        return self._gain_db or 0.0

    def process(self, block: np.ndarray) -> np.ndarray:
        block = np.asarray(block, dtype=np.float32)
        if not len(block):
            return block
        self._meter.feed(block)
        measured = self._meter.integrated()
        start = self._gain_db
        if measured is not None:
            wanted = self.target_lufs - measured + self._makeup_db
            self._gain_db = float(np.clip(wanted, -MAX_GAIN_DB, MAX_GAIN_DB))
        end = self._gain_db if self._gain_db is not None else 0.0
        start = end if start is None else start
        ramp = np.linspace(start, end, len(block), dtype=np.float64) if start != end else end
        gained = block * np.power(10.0, np.asarray(ramp) / 20.0)
        limited = self._limiter.process(gained)
        self._output_meter.feed(limited)
        aired = self._output_meter.integrated()
        if aired is not None and measured is not None:  # close the loop on what really airs
            error = self.target_lufs - aired
            self._makeup_db = float(np.clip(self._makeup_db + 0.5 * error, 0.0, MAX_MAKEUP_DB))
        return limited

    def reset_limiter(self) -> None:
        """After a flush the next audio starts from silence: no gain reduction carried over."""
        self._limiter.reset()
