"""Program outputs the engine plays into, and the contract they share.

`ClockedOutput` behaves like a sound device that consumes samples in real time (used by the
headless `run` and `bench`, and wherever no device is open); `InstantOutput` plays everything at
once (for `--fast`). Both can keep what was really played for a recording.
Threading: called on the engine loop only (a device-backed output hands samples to its PortAudio
callback through a ring buffer).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import numpy as np

from studio.audio.scope import SampleScope

HELD_POLL_S = 0.01  # while held, a waiter looks again this often (the hold ends at any time)


class AudioOutput(Protocol):
    """Where the anchor's voice goes; positions are cumulative sample counts since open."""

    sample_rate: int
    scope: SampleScope  # queued audio by position, read by the GUI at `played_samples()`

    def write(self, samples: np.ndarray) -> float:
        """Queue mono float32 samples; return the clock time their first sample starts playing."""

    def flush(self) -> int:
        """Drop everything queued but not played yet (barge-in); return how many samples."""

    def played_samples(self) -> int:
        """How many samples have left the output so far."""

    async def wait_played(self, position: int) -> None:
        """Return once `position` samples have been played (or flushed away)."""

    def hold(self, on: bool) -> None:
        """Pause (True) or resume (False) playback where it is: nothing queued is dropped."""


class ClockedOutput:
    """An output whose playhead advances with the wall clock while it has audio queued."""

    def __init__(self, sample_rate: int, keep_recording: bool = False) -> None:
        self.sample_rate = sample_rate
        # Queued audio by position; the GUI draws `scope.window(n, end=played_samples())`.
        self.scope = SampleScope(sample_rate, seconds=60.0)
        self._queued_until = 0  # sample position where queued audio ends
        self._anchor_position = 0  # position of the playhead at `_anchor_time`
        self._anchor_time = time.perf_counter()
        self._pending: list[np.ndarray] = []  # queued, not yet confirmed played (for recording)
        self._recording: list[np.ndarray] | None = [] if keep_recording else None
        self._recorded_until = 0
        self._held = False

    def _playhead(self, at: float | None = None) -> int:
        if self._held:
            return self._anchor_position
        at = time.perf_counter() if at is None else at
        elapsed = max(0.0, at - self._anchor_time)
        return min(self._queued_until, self._anchor_position + int(elapsed * self.sample_rate))

    def played_samples(self) -> int:
        return self._playhead()

    def write(self, samples: np.ndarray) -> float:
        now = time.perf_counter()
        playhead = self._playhead(now)
        if playhead >= self._queued_until:  # idle: playback (re)starts now
            self._anchor_position, self._anchor_time = playhead, now
        start_at = self._anchor_time + (self._queued_until - self._anchor_position) / self.sample_rate
        block = np.asarray(samples, dtype=np.float32)
        self.scope.write(block)
        self._queued_until += len(block)
        self._pending.append(block)
        return start_at

    def flush(self) -> int:
        playhead = self._playhead()
        dropped = self._queued_until - playhead
        self._commit_recording(playhead)
        self._pending.clear()
        self._queued_until = playhead
        self.scope.rewind(playhead)
        self._anchor_position, self._anchor_time = playhead, time.perf_counter()
        return dropped

    async def wait_played(self, position: int) -> None:
        while (playhead := self._playhead()) < min(position, self._queued_until):
            left = (min(position, self._queued_until) - playhead) / self.sample_rate
            await asyncio.sleep(min(left, HELD_POLL_S) if self._held else left)
        self._commit_recording(self._playhead())

    def hold(self, on: bool) -> None:
        """Freeze (True) or restart (False) the playhead; what is queued stays queued."""
        if on == self._held:
            return
        now = time.perf_counter()
        self._anchor_position = self._playhead(now)
        self._anchor_time = now
        self._held = on

    def recording(self) -> np.ndarray:
        """Everything played so far (only with keep_recording)."""
        self._commit_recording(self._playhead())
        parts = self._recording or []
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def _commit_recording(self, playhead: int) -> None:
        """Move played samples from the pending queue into the recording."""
        while self._pending and self._recorded_until < playhead:
            head = self._pending[0]
            take = min(len(head), playhead - self._recorded_until)
            if self._recording is not None:
                self._recording.append(head[:take])
            self._recorded_until += take
            if take == len(head):
                self._pending.pop(0)
            else:
                self._pending[0] = head[take:]


class InstantOutput(ClockedOutput):
    """An output that plays everything the moment it is written (offline rendering, `--fast`)."""

    def _playhead(self, at: float | None = None) -> int:
        return self._queued_until
