"""Records a Pulse source with parec (a low-latency reader, attached before playing starts).

Threading: parec writes to a pipe; a reader thread collects its bytes and wakes waiters through a
condition; the test thread starts, waits on that condition, stops and reads.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

BYTES_PER_SAMPLE = 4  # float32


class MonitorRecording:
    """`parec` on `<sink>.monitor` as float32 mono at `rate`; the take is also saved to `path`."""

    def __init__(self, source: str, path: Path, rate: int = 48_000) -> None:
        self.rate, self.path = rate, path
        self._data = bytearray()
        self._grew = threading.Condition()
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
            stdout=subprocess.PIPE,
        )
        self._reader = threading.Thread(target=self._collect, name="parec-reader", daemon=True)
        self._reader.start()

    def _collect(self) -> None:
        assert self._process.stdout is not None
        while chunk := self._process.stdout.read1(65536):
            with self._grew:
                self._data += chunk
                self._grew.notify_all()
        with self._grew:  # parec ended: wake waiters so they can tell
            self._grew.notify_all()

    def _wait_for_bytes(self, count: int, timeout: float, failure: str) -> None:
        with self._grew:
            arrived = self._grew.wait_for(
                lambda: len(self._data) >= count or not self._reader.is_alive(), timeout
            )
            assert len(self._data) >= count, failure if arrived else f"{failure} (timed out)"

    def wait_started(self, timeout: float = 30.0) -> None:
        """Wait until parec delivers data (the stream is connected)."""
        self._wait_for_bytes(1, timeout, "parec delivered nothing")

    def wait_recorded(self, seconds: float, timeout: float = 20.0) -> None:
        """Wait until `seconds` of audio have arrived (the server's buffers have drained into it)."""
        self._wait_for_bytes(
            int(seconds * self.rate) * BYTES_PER_SAMPLE, timeout, "the recording stopped growing"
        )

    def wait_for(self, holds: Callable[[np.ndarray], bool], timeout: float, failure: str) -> np.ndarray:
        """Wait until `holds(what has been recorded)` is true; that recording."""
        with self._grew:
            arrived = self._grew.wait_for(lambda: holds(self._take()) or not self._reader.is_alive(), timeout)
            take = self._take()
        assert holds(take), failure if arrived else f"{failure} (timed out)"
        return take

    def snapshot(self) -> np.ndarray:
        """What has been recorded so far (the recording goes on)."""
        with self._grew:
            return self._take()

    def _take(self) -> np.ndarray:
        """The samples recorded so far (the caller holds the condition)."""
        take = bytes(self._data[: len(self._data) - len(self._data) % BYTES_PER_SAMPLE])
        return np.frombuffer(take, dtype="<f4").copy()

    def stop(self) -> np.ndarray:
        self._process.terminate()
        self._process.wait(timeout=10)
        self._reader.join(timeout=10)
        with self._grew:
            take = bytes(self._data[: len(self._data) - len(self._data) % BYTES_PER_SAMPLE])
        self.path.write_bytes(take)
        return np.frombuffer(take, dtype="<f4").copy()
