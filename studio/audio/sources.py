"""Microphone stand-ins that deliver 16 kHz frames the way a live input does (paced or not).

Threading: async generators consumed by the engine loop; file reading happens in small blocks
inline (a block of 1 s is read and resampled in well under a millisecond per frame it yields).
"""

from __future__ import annotations

import asyncio
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
