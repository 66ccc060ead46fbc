"""A low-latency reader of a Pulse source (a sink's monitor): every read is timestamped on arrival.

`parec --latency-msec=10`: a null sink nobody reads runs at ~2 s latency, so benches attach this
reader before they play. Used by `bench --audio` (click latency) and the device tests.
Threading: a daemon reader thread appends chunks; `stop` and `arrival_of` from the caller's thread.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time

import numpy as np

READER_RATE = 48_000


class MonitorReader:
    """`parec --latency-msec=10` on a monitor source; every read is timestamped on arrival."""

    def __init__(self, source: str, rate: int = READER_RATE) -> None:
        self.rate = rate
        command = ["parec", "--raw", "--latency-msec=10", "--format=float32le", "--channels=1"]
        self._process = subprocess.Popen([*command, f"--rate={rate}", "-d", source], stdout=subprocess.PIPE)
        self._chunks: list[bytes] = []
        self.arrivals: list[tuple[float, int]] = []  # (perf_counter at arrival, samples up to then)
        self.started = threading.Event()
        self._thread = threading.Thread(target=self._read, name="bench-parec", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        fd, total, spare = self._process.stdout.fileno(), 0, b""
        while data := os.read(fd, 4096):
            now = time.perf_counter()
            data = spare + data
            usable = len(data) - len(data) % 4
            data, spare = data[:usable], data[usable:]
            total += usable // 4
            self._chunks.append(data)
            self.arrivals.append((now, total))
            self.started.set()

    def stop(self) -> np.ndarray:
        self._process.terminate()
        self._process.wait(timeout=10)
        self._thread.join(timeout=5)
        return np.frombuffer(b"".join(self._chunks), dtype="<f4")

    def arrival_of(self, index: int) -> tuple[float, int]:
        """When the read holding sample `index` arrived, and how many samples it ended at."""
        for arrived, until in self.arrivals:
            if until > index:
                return arrived, until
        raise ValueError(f"sample {index} never arrived")
