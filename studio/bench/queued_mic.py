"""A microphone stand-in for benches (and tests): live-paced silence until a recording is queued.

Threading: `say` from any thread; the frames are an async generator on the show's loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import numpy as np

from studio.audio.formats import INPUT_SAMPLE_RATE


class QueuedMicrophone:
    """A live-paced mic that hears silence until `say(audio)` queues a recording (bench, tests, demos).

    `say` may be called from any thread; `finished` is set once everything queued was heard.
    """

    def __init__(self) -> None:
        self._pending: list[np.ndarray] = []
        self._lock = threading.Lock()
        self.finished = threading.Event()

    def say(self, audio: np.ndarray) -> None:
        with self._lock:
            self.finished.clear()
            self._pending.append(np.asarray(audio, dtype=np.float32))

    def source(self, frame_samples: int) -> AsyncIterator[np.ndarray]:
        """The frame source for `ShowThread(source_factory=mic.source)` (or `Show(frame_source=…)`)."""
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
                elif len(buffered) == 0:
                    self.finished.set()
            frame = buffered[:frame_samples]
            buffered = buffered[frame_samples:]
            if len(frame) < frame_samples:
                frame = np.concatenate([frame, np.zeros(frame_samples - len(frame), np.float32)])
            due += period
            await asyncio.sleep(max(0.0, due - loop.time()))
            yield frame
