"""Records a Pulse source with parec (a low-latency reader, attached before playing starts).

Threading: the parec process writes a file; the test thread starts, stops and reads it.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np


class MonitorRecording:
    """`parec` on `<sink>.monitor` as float32 mono at `rate`."""

    def __init__(self, source: str, path: Path, rate: int = 48_000) -> None:
        self.rate, self.path = rate, path
        self._file = path.open("wb")
        self._process = subprocess.Popen(
            [
                "parec",
                "--raw",
                "--latency-msec=10",
                "--format=float32le",
                "--channels=1",
                f"--rate={rate}",
                "-d",
                source,
            ],
            stdout=self._file,
        )

    def wait_started(self, timeout: float = 5.0) -> None:
        """Wait until parec delivers data (the stream is connected)."""
        deadline = time.monotonic() + timeout
        while self.path.stat().st_size == 0:
            assert self._process.poll() is None, "parec exited"
            assert time.monotonic() < deadline, "parec delivered nothing"
            time.sleep(0.01)

    def wait_recorded(self, seconds: float, timeout: float = 20.0) -> None:
        """Wait until `seconds` of audio are on disk (the server's buffers have drained into it)."""
        deadline = time.monotonic() + timeout
        while self.path.stat().st_size < seconds * self.rate * 4:
            assert time.monotonic() < deadline, "the recording stopped growing"
            time.sleep(0.02)

    def stop(self) -> np.ndarray:
        self._process.terminate()
        self._process.wait(timeout=10)
        self._file.close()
        return np.fromfile(self.path, dtype="<f4")
