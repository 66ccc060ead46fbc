"""The segment clock: which segment is on, how long it has run, what is left, and NEXT / BACK.

The time source is injected (`clock`, seconds, monotonic), so tests move time by hand.
Threading: `next`/`back`/`start` run on the show's loop; `status` may be called from any thread
(the window polls it); a lock keeps the two consistent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from studio.rundown.events import SegmentChanged, SegmentReason
from studio.rundown.model import Rundown, Segment

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class SegmentStatus:
    """A snapshot of the rundown at one instant (what the window, the prompt and surfaces read)."""

    index: int  # -1: not started; == count: ended
    count: int
    segment: Segment | None
    next: Segment | None
    elapsed_s: float
    remaining_s: float  # negative when over time

    @property
    def started(self) -> bool:
        """NEXT has been pressed at least once."""
        return self.index >= 0

    @property
    def ended(self) -> bool:
        """NEXT went past the last segment."""
        return self.index >= self.count

    @property
    def over_time(self) -> bool:
        """The segment ran past its planned length (shown red; the anchor hands back)."""
        return self.segment is not None and self.remaining_s < 0


class SegmentClock:
    """Runs a rundown segment by segment: NEXT starts the first, then each next; past the last it ends."""

    def __init__(self, rundown: Rundown, clock: Clock = time.monotonic) -> None:
        """`clock`: monotonic seconds (tests pass one they move by hand)."""
        self.rundown = rundown
        self._clock = clock
        self._lock = threading.Lock()
        self._index = -1
        self._started_at = 0.0

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The segments in running order."""
        return self.rundown.segments

    def status(self) -> SegmentStatus:
        """Where the show is now."""
        with self._lock:
            return self._status(self._clock())

    def next(self) -> SegmentChanged | None:
        """Start the first segment, or the one after the current; past the last the rundown ends."""
        with self._lock:
            if self._index >= len(self.segments):
                return None
            reason: SegmentReason = "start" if self._index < 0 else "next"
            if self._index == len(self.segments) - 1:
                reason = "end"
            return self._go(self._index + 1, reason)

    def back(self) -> SegmentChanged | None:
        """Back to the previous segment (it starts afresh); on the first, the first starts again."""
        with self._lock:
            if self._index < 0:
                return None
            return self._go(max(0, self._index - 1), "back")

    def _go(self, index: int, reason: SegmentReason) -> SegmentChanged:
        """Make `index` current from now; the change as the event to publish (lock held)."""
        now = self._clock()
        before = self._status(now)
        self._index, self._started_at = index, now
        after = self._status(now)
        segment = after.segment
        return SegmentChanged(
            index=index if segment is not None else -1,
            count=after.count,
            title=segment.title if segment else "",
            minutes=segment.minutes if segment else 0.0,
            reason=reason,
            next_title=after.next.title if after.next else "",
            scene=segment.scene if segment else None,
            voice=segment.voice if segment else None,
            previous=before.segment.title if before.segment else "",
            previous_elapsed_s=before.elapsed_s if before.segment else 0.0,
        )

    def _status(self, now: float) -> SegmentStatus:
        """The snapshot at `now` (lock held)."""
        segments, index = self.segments, self._index
        current = segments[index] if 0 <= index < len(segments) else None
        following = segments[index + 1] if index + 1 < len(segments) else None
        if current is None:
            return SegmentStatus(index, len(segments), None, following if index < 0 else None, 0.0, 0.0)
        elapsed = max(0.0, now - self._started_at)
        return SegmentStatus(index, len(segments), current, following, elapsed, current.planned_s - elapsed)
