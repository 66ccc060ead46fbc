"""Counts main-thread stalls: a GUI that freezes for 50 ms drops waveform frames and feels broken.

Threading: Qt main thread. A precise timer ticks every 10 ms; a gap between ticks longer than the
interval plus the threshold means the event loop was blocked for that long. With stack sampling on
(`sample_stacks()`, for `bench --gui` and the debug dock), a StallSampler thread records where
the main thread was during each stall (studio.ui.stall_sampler).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from studio.ui.stall_sampler import StallReport, StallSampler

STALL_THRESHOLD_MS = 50.0


class MainThreadWatchdog(QObject):
    """Measures event-loop stalls over `threshold_ms` (count, worst, total) while running."""

    stalled = Signal(float)  # stall length in ms

    def __init__(self, threshold_ms: float = STALL_THRESHOLD_MS, interval_ms: int = 10, parent=None) -> None:
        super().__init__(parent)
        self.threshold_ms, self.interval_ms = threshold_ms, interval_ms
        self.stalls = 0
        self.worst_ms = 0.0
        self.ticks = 0
        self._last: float | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._sampler: StallSampler | None = None

    def sample_stacks(self) -> None:
        """Record where the main thread is during each stall from now on (call on the main thread)."""
        if self._sampler is None:
            self._sampler = StallSampler(after_ms=self.interval_ms + self.threshold_ms / 2)
            if self._timer.isActive():
                self._sampler.start()

    @property
    def reports(self) -> list[StallReport]:
        """The last stalls with their stacks (empty unless `sample_stacks()` was called)."""
        return list(self._sampler.reports) if self._sampler is not None else []

    @property
    def full_collections_ms(self) -> list[float]:
        """How long each full garbage collection took since the last reset (sampling on)."""
        return list(self._sampler.collector.full_ms) if self._sampler is not None else []

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()
        if self._sampler is not None:
            self._sampler.start()

    def stop(self) -> None:
        self._timer.stop()
        self._last = None
        if self._sampler is not None:
            self._sampler.stop()

    def reset(self) -> None:
        self.stalls, self.worst_ms, self.ticks = 0, 0.0, 0
        if self._sampler is not None:
            self._sampler.reports.clear()
            self._sampler.collector.full_ms.clear()

    def _tick(self) -> None:
        now = time.perf_counter()
        stalled_ms = None
        if self._last is not None:
            late_ms = (now - self._last) * 1000 - self.interval_ms
            if late_ms > self.threshold_ms:
                stalled_ms = late_ms
                self.stalls += 1
                self.worst_ms = max(self.worst_ms, late_ms)
        if self._sampler is not None:
            self._sampler.beat(stalled_ms)
        self.ticks += 1
        self._last = now
        if stalled_ms is not None:
            self.stalled.emit(stalled_ms)

    def summary(self) -> dict[str, float]:
        return {
            "stalls_over_50ms": self.stalls,
            "worst_stall_ms": round(self.worst_ms, 1),
            "ticks": self.ticks,
        }
