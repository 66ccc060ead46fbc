"""The remote host's jitter buffer: frames reordered by sequence number, gaps and late frames counted.

Frames arrive on the web loop (`push`); the show's loop takes whole engine frames out (`take`).
A frame is released as soon as every frame before it is here: the engine is not a sound card, so
holding audio back only adds latency. A missing frame is waited for while fewer than
`reorder_frames` later ones are held, then concealed with silence; one arriving after that is
late and dropped, and one seen already is a duplicate. The steady pace is kept by the reader
(studio.web.remote_input), which pads silence when the remote falls behind real time (`take_forced`).
Threading: `push` on the web loop, `take`/`take_forced` on the show's loop; one lock guards the
state (each call is a few array copies, so neither loop waits long).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

FRAME_SAMPLES = 320  # 20 ms at 16 kHz
REORDER_FRAMES = 2  # later frames held before a missing one is given up (≈ 40 ms)
WINDOW_FRAMES = 50  # a sequence number further ahead than this (1 s) is out of the window
MAX_READY_SAMPLES = 16_000  # 1 s released but not yet taken: beyond it the oldest audio goes


@dataclass(slots=True)
class JitterStats:
    """What happened to the frames of one connection (all counts)."""

    received: int = 0
    late: int = 0
    duplicate: int = 0
    out_of_window: int = 0
    resynced: int = 0
    concealed: int = 0
    underruns: int = 0
    overflow_samples: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts by name (for the client's stats message and the metrics)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class JitterBuffer:
    """Sequence-numbered 16 kHz frames in, contiguous audio out; silence where frames were lost."""

    def __init__(
        self,
        frame_samples: int = FRAME_SAMPLES,
        reorder_frames: int = REORDER_FRAMES,
        on_count: Callable[[str, int], None] = lambda _kind, _n: None,
    ) -> None:
        """`on_count(kind, n)` hears every counted outcome (metrics; called under the lock, keep it cheap)."""
        self.frame_samples = frame_samples
        self.reorder_frames = reorder_frames
        self.stats = JitterStats()
        self._on_count = on_count
        self._lock = threading.Lock()
        self._held: dict[int, np.ndarray] = {}  # out of order, waiting for the frames before them
        self._ready: collections.deque[np.ndarray] = collections.deque()
        self._ready_samples = 0
        self._next: int | None = None  # the sequence number released next
        self._recent: collections.deque[int] = collections.deque(maxlen=WINDOW_FRAMES)  # released, real
        self._starving = False  # in an underrun (counted once, when it starts)
        self.on_ready: Callable[[], None] | None = None  # the reader's wake-up (any thread)

    def push(self, seq: int, samples: np.ndarray) -> str:
        """One frame from the remote; returns its outcome ("queued", "late", "duplicate", "out_of_window")."""
        with self._lock:
            outcome = self._place(seq, samples)
            self._count("received" if outcome == "queued" else outcome)
            released = self._release()
        wake = self.on_ready
        if released and wake is not None:
            wake()
        return outcome

    def take(self, count: int) -> np.ndarray | None:
        """`count` samples if that much contiguous audio is here, else None (nothing taken)."""
        with self._lock:
            if self._ready_samples < count:
                return None
            return self._take(count)

    def take_forced(self, count: int) -> np.ndarray:
        """`count` samples now: what is here, silence for the rest (an underrun when short)."""
        with self._lock:
            have = min(count, self._ready_samples)
            if have < count and self._next is not None and not self._starving:
                self._count("underruns")
            self._starving = have < count and self._next is not None
            head = self._take(have)
        return np.concatenate([head, np.zeros(count - have, np.float32)]) if have < count else head

    @property
    def ready_samples(self) -> int:
        """Contiguous audio waiting for the reader."""
        return self._ready_samples

    def snapshot(self) -> dict[str, int]:
        """The counts now, plus what is buffered."""
        with self._lock:
            return {**self.stats.as_dict(), "held": len(self._held), "ready_samples": self._ready_samples}

    # ----- under the lock -----------------------------------------------------------------------
    def _place(self, seq: int, samples: np.ndarray) -> str:
        """Put one frame where it belongs, or say why not."""
        if self._next is None:
            self._next = seq
        if seq in self._held or (seq < self._next and seq in self._recent):
            return "duplicate"
        if seq < self._next:
            return "late"
        if seq - self._next > WINDOW_FRAMES:
            if self._held:
                return "out_of_window"
            self._next = seq  # a jump with nothing held: the remote lost a stretch, follow it
            self._count("resynced")
        self._held[seq] = samples
        return "queued"

    def _release(self) -> bool:
        """Move frames that are in order to the ready audio; conceal a gap too many frames old."""
        assert self._next is not None
        released = False
        while self._held:
            frame = self._held.pop(self._next, None)
            if frame is None:
                if len(self._held) < self.reorder_frames:
                    break
                frame = np.zeros(self.frame_samples, np.float32)  # given up on: silence in its place
                self._count("concealed")
            else:
                self._recent.append(self._next)
            self._ready.append(frame)
            self._ready_samples += len(frame)
            self._next += 1
            released = True
            self._starving = False
        self._trim()
        return released

    def _trim(self) -> None:
        """Forget the oldest ready audio beyond a second (a reader that stopped taking)."""
        while self._ready_samples > MAX_READY_SAMPLES:
            dropped = self._ready.popleft()
            self._ready_samples -= len(dropped)
            self._count("overflow_samples", len(dropped))

    def _take(self, count: int) -> np.ndarray:
        """Exactly `count` ready samples (the caller checked there are that many)."""
        parts, needed = [], count
        while needed:
            head = self._ready[0]
            if len(head) <= needed:
                parts.append(self._ready.popleft())
                needed -= len(head)
            else:
                parts.append(head[:needed])
                self._ready[0] = head[needed:]
                needed = 0
        self._ready_samples -= count
        if len(parts) == 1:
            return parts[0]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def _count(self, kind: str, n: int = 1) -> None:
        """Add to one count and tell the listener."""
        setattr(self.stats, kind, getattr(self.stats, kind) + n)
        self._on_count(kind, n)
