"""GPU memory gauge (NVML, per model server) — or, with no GPU, the studio's own RAM.

Threading: Qt main thread for the widget; the reading (NVML or psutil) runs on a worker thread
once a second and comes back as a queued signal, so a slow driver call never freezes the window.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass

import psutil
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

GIB = 1024**3


@dataclass(frozen=True, slots=True)
class MemoryReading:
    """What the gauge shows: one bar, a label and a tooltip breakdown."""

    kind: str  # "gpu" or "ram"
    used_bytes: int
    total_bytes: int
    label: str
    breakdown: dict[str, int]


def read_memory() -> MemoryReading:
    """NVML when a GPU is there, else this process's RSS against the machine's RAM."""
    try:
        from studio.gpu.nvml import read_gpu_memory
    except ImportError:
        gpu = None
    else:
        try:
            gpu = read_gpu_memory()
        except Exception:  # a driver hiccup must not take the gauge down
            gpu = None
    if gpu is not None:
        return MemoryReading("gpu", gpu.used_bytes, gpu.total_bytes, gpu.name, dict(gpu.processes))
    rss = psutil.Process().memory_info().rss
    return MemoryReading("ram", rss, psutil.virtual_memory().total, "No GPU — studio RAM", {"studio": rss})


class _Relay(QObject):
    reading = Signal(object)


class ResourceGauge(QWidget):
    """A bar with `used / total GB`; the tooltip lists memory per model (GPU) or the process (RAM)."""

    def __init__(self, parent: QWidget | None = None, interval_ms: int = 1000, reader=read_memory) -> None:
        super().__init__(parent)
        self._reader = reader
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="memory-gauge")
        self._pending: concurrent.futures.Future | None = None
        self._relay = _Relay(self)
        self._relay.reading.connect(self.show_reading)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Memory")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setFormat("…")
        layout.addWidget(self.title)
        layout.addWidget(self.bar, 1)
        self.last: MemoryReading | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.poll()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def poll(self) -> None:
        if self._pending is not None and not self._pending.done():
            return  # the last reading is still out; never queue up
        try:
            self._pending = self._pool.submit(self._reader)
        except RuntimeError:  # shut down while closing
            return
        self._pending.add_done_callback(self._deliver)

    def _deliver(self, future: concurrent.futures.Future) -> None:
        if not future.cancelled() and future.exception() is None:
            self._relay.reading.emit(future.result())

    def show_reading(self, reading: MemoryReading) -> None:
        self.last = reading
        fraction = reading.used_bytes / reading.total_bytes if reading.total_bytes else 0.0
        self.bar.setValue(round(fraction * 1000))
        self.title.setText("GPU" if reading.kind == "gpu" else "RAM")
        self.bar.setFormat(
            f"{reading.label}: {reading.used_bytes / GIB:.1f} / {reading.total_bytes / GIB:.1f} GB"
        )
        parts = [f"{name}: {size / GIB:.2f} GB" for name, size in sorted(reading.breakdown.items())]
        self.setToolTip("\n".join([reading.label, *parts]))
