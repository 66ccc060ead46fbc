"""A single-producer single-consumer sample ring, so PortAudio callbacks only copy and never wait.

Threading: exactly one producer thread calls `write` and exactly one consumer thread calls
`read_into` / `skip`; both may call `available`/`space`. Each side advances only its own counter
(a Python int, published after the copy), so no lock is taken and no memory is allocated.
"""

from __future__ import annotations

import numpy as np


class SampleRing:
    """Preallocated mono float32 ring; positions are cumulative sample counts."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(1, int(capacity))
        self._data = np.zeros(self._capacity, dtype=np.float32)
        self._written = 0  # producer-owned
        self._read = 0  # consumer-owned

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def written(self) -> int:
        """Samples written since creation (producer's counter)."""
        return self._written

    @property
    def read(self) -> int:
        """Samples consumed (read or skipped) since creation (consumer's counter)."""
        return self._read

    def available(self) -> int:
        """Samples the consumer can read now."""
        return self._written - self._read

    def space(self) -> int:
        """Samples the producer can write now without overwriting unread data."""
        return self._capacity - (self._written - self._read)

    def write(self, samples: np.ndarray) -> int:
        """Copy as many samples as fit (producer only); return how many were written."""
        count = min(len(samples), self.space())
        if count <= 0:
            return 0
        start = self._written % self._capacity
        first = min(count, self._capacity - start)
        self._data[start : start + first] = samples[:first]
        if first < count:
            self._data[: count - first] = samples[first:count]
        self._written += count  # publish only after the copy
        return count

    def read_into(self, out: np.ndarray, count: int | None = None) -> int:
        """Copy up to `count` (default len(out)) oldest samples into `out` (consumer only)."""
        count = min(len(out) if count is None else count, self.available())
        if count <= 0:
            return 0
        start = self._read % self._capacity
        first = min(count, self._capacity - start)
        out[:first] = self._data[start : start + first]
        if first < count:
            out[first:count] = self._data[: count - first]
        self._read += count
        return count

    def skip(self, count: int) -> int:
        """Drop up to `count` oldest samples (consumer only); return how many were dropped."""
        count = max(0, min(count, self.available()))
        self._read += count
        return count
