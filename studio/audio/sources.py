"""Microphone stand-ins that deliver 16 kHz frames the way a live input does (paced or not).

Threading: async generators consumed by the engine loop; file reading happens in small blocks
inline (a block of 1 s is read and resampled in well under a millisecond per frame it yields).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

import numpy as np

from studio.audio.formats import INPUT_SAMPLE_RATE

Gate = Callable[[], Awaitable[None]]


async def paced_frames(
    blocks: Iterable[np.ndarray],
    frame_samples: int,
    *,
    paced: bool = True,
    gate: Gate | None = None,
) -> AsyncIterator[np.ndarray]:
    """Cut `blocks` into frames; with `paced`, yield each when it would arrive from a device.

    `gate` is awaited before every frame: a polite host who waits while the anchor talks.
    The pacing schedule is absolute (no drift) and restarts after a gate wait.
    """
    frame_seconds = frame_samples / INPUT_SAMPLE_RATE
    started, sent = time.perf_counter(), 0
    carry = np.zeros(0, dtype=np.float32)
    for block in blocks:
        carry = np.concatenate([carry, block]) if len(carry) else block
        while len(carry) >= frame_samples:
            frame, carry = carry[:frame_samples], carry[frame_samples:]
            if gate is not None:
                before = time.perf_counter()
                await gate()
                if time.perf_counter() - before > frame_seconds:
                    started, sent = time.perf_counter(), 0
            if paced:
                due = started + (sent + 1) * frame_seconds
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                await asyncio.sleep(0)
            sent += 1
            yield frame


def silence(seconds: float) -> list[np.ndarray]:
    """A block of digital silence, for the tail after a recording ends."""
    return [np.zeros(int(seconds * INPUT_SAMPLE_RATE), dtype=np.float32)]


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
