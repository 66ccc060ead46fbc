"""Turns a pull's status lines (Ollama's /api/pull, huggingface_hub downloads) into size, rate and ETA.

One meter per pull; `line(progress)` is what `host pull` prints and the window's pull bar shows,
so the terminal and the window say the same thing. The rate is measured over the last few
seconds of the current layer (a new layer, i.e. a new `total`, starts the measurement again).
Threading: plain object, fed from the pulling thread; `clock` is injectable for tests.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

RATE_WINDOW_S = 5.0


@dataclass(frozen=True, slots=True)
class PullReading:
    """What a pull looks like now: status, bytes, rate (bytes/s) and seconds left when known."""

    status: str
    completed: int
    total: int
    rate: float | None
    eta_s: float | None

    @property
    def fraction(self) -> float | None:
        return self.completed / self.total if self.total else None


def human_bytes(count: float) -> str:
    """1_234_567_890 → '1.2 GB' (decimal units, as Ollama and the Hub report sizes)."""
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


def human_duration(seconds: float) -> str:
    """75 → '1:15', 3725 → '1:02:05'."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class PullMeter:
    """Rate and ETA from successive (completed, total) readings."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()
        self._total = 0

    def read(self, status: str, completed: int, total: int) -> PullReading:
        """One status line in, the reading to show out."""
        now = self._clock()
        if total != self._total or (self._samples and completed < self._samples[-1][1]):
            self._samples.clear()  # a new layer (or a restarted one): measure afresh
            self._total = total
        if total:
            self._samples.append((now, completed))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()
        rate = None
        if len(self._samples) >= 2:
            (t0, c0), (t1, c1) = self._samples[0], self._samples[-1]
            rate = (c1 - c0) / (t1 - t0) if t1 > t0 else None
        eta = (total - completed) / rate if rate and total and completed < total else None
        return PullReading(status, completed, total, rate, eta)

    @staticmethod
    def line(reading: PullReading) -> str:
        """'pulling 0123abcd  45.0%  6.4 GB / 14.3 GB  52.1 MB/s  ETA 2:31'."""
        parts = [reading.status[:40]]
        if reading.total:
            parts.append(f"{reading.fraction:6.1%}")
            parts.append(f"{human_bytes(reading.completed)} / {human_bytes(reading.total)}")
        if reading.rate:
            parts.append(f"{human_bytes(reading.rate)}/s")
        if reading.eta_s is not None:
            parts.append(f"ETA {human_duration(reading.eta_s)}")
        return "  ".join(parts)
