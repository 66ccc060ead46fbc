"""A fake input device for GUI tests: silence in real time, and a recording when the test says so."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import numpy as np

from studio.backends.contracts import INPUT_SAMPLE_RATE


class ReplayMicrophone:
    """Paced 16 kHz frames like a real mic; `say(audio)` makes the next frames that recording."""

    def __init__(self) -> None:
        self._pending: list[np.ndarray] = []
        self._lock = threading.Lock()
        self.finished = threading.Event()  # set when the last queued recording was fully heard

    def say(self, audio: np.ndarray) -> None:
        with self._lock:
            self.finished.clear()
            self._pending.append(np.asarray(audio, dtype=np.float32))

    def source(self, frame_samples: int) -> AsyncIterator[np.ndarray]:
        return self._frames(frame_samples)

    async def _frames(self, frame_samples: int) -> AsyncIterator[np.ndarray]:
        loop = asyncio.get_running_loop()
        period = frame_samples / INPUT_SAMPLE_RATE
        due = loop.time()
        buffered = np.zeros(0, np.float32)
        while True:
            with self._lock:
                if self._pending:
                    buffered = np.concatenate([buffered, *self._pending])
                    self._pending.clear()
            if len(buffered) >= frame_samples:
                frame, buffered = buffered[:frame_samples], buffered[frame_samples:]
            elif len(buffered):
                frame = np.concatenate([buffered, np.zeros(frame_samples - len(buffered), np.float32)])
                buffered = np.zeros(0, np.float32)
            else:
                frame = np.zeros(frame_samples, np.float32)
            if not len(buffered):
                with self._lock:
                    if not self._pending:
                        self.finished.set()
            due += period
            await asyncio.sleep(max(0.0, due - loop.time()))
            yield frame
