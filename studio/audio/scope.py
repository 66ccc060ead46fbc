"""The latest seconds of a signal, kept for waveforms and meters without ever blocking the writer.

Threading: one writer (a PortAudio callback, the engine loop or the output's playhead) and any
number of readers (the GUI timer) on other threads. The writer only copies into a preallocated
array and then publishes its new end position; a reader copies a window and re-checks that the
writer has not lapped it, so it never sees torn data and neither side takes a lock.
"""

from __future__ import annotations

import numpy as np


class SampleScope:
    """A ring of float32 samples indexed by absolute position (samples written since creation)."""

    def __init__(self, sample_rate: int, seconds: float = 10.0) -> None:
        self.sample_rate = sample_rate
        self._capacity = max(1, int(sample_rate * seconds))
        self._ring = np.zeros(self._capacity, dtype=np.float32)
        self._end = 0  # absolute position one past the newest sample

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def end(self) -> int:
        """Absolute position one past the newest sample written."""
        return self._end

    def write(self, samples: np.ndarray) -> None:
        """Append samples (writer thread only); never allocates for a 1-D float32 block."""
        count = len(samples)
        if count == 0:
            return
        if count >= self._capacity:
            samples = samples[-self._capacity :]
            skipped = count - self._capacity
            count = self._capacity
        else:
            skipped = 0
        start = (self._end + skipped) % self._capacity
        first = min(count, self._capacity - start)
        self._ring[start : start + first] = samples[:first]
        if first < count:
            self._ring[: count - first] = samples[first:]
        self._end += skipped + count

    def rewind(self, position: int) -> None:
        """Forget samples from `position` on (queued audio that was flushed before it played)."""
        self._end = max(0, min(self._end, position))

    def window(self, count: int, end: int | None = None) -> np.ndarray:
        """A copy of the `count` samples before `end` (default: the newest); silence where unknown."""
        end = self._end if end is None else min(end, self._end)
        count = max(0, min(count, self._capacity))
        out = np.zeros(count, dtype=np.float32)
        start = max(end - count, self._end - self._capacity, 0)
        have = end - start
        if have <= 0:
            return out
        offset = start % self._capacity
        first = min(have, self._capacity - offset)
        out[count - have : count - have + first] = self._ring[offset : offset + first]
        if first < have:
            out[count - have + first :] = self._ring[: have - first]
        if self._end - self._capacity > start:  # the writer lapped us while we copied
            lapped = min(have, self._end - self._capacity - start)
            out[count - have : count - have + lapped] = 0.0
        return out


def peak_envelope(samples: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Min/max per column: a waveform of any length drawn with `columns` points, peaks kept."""
    columns = max(1, min(columns, len(samples)))
    usable = len(samples) - len(samples) % columns
    if usable == 0:
        return np.zeros(columns, np.float32), np.zeros(columns, np.float32)
    blocks = samples[-usable:].reshape(columns, -1)
    return blocks.min(axis=1), blocks.max(axis=1)


def level_dbfs(samples: np.ndarray) -> tuple[float, float]:
    """(RMS, peak) in dBFS of a block; -120 for digital silence."""
    if len(samples) == 0:
        return -120.0, -120.0
    peak = float(np.max(np.abs(samples)))
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(-120.0, 20 * np.log10(rms + 1e-12)), max(-120.0, 20 * np.log10(peak + 1e-12))
