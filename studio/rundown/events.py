"""The rundown's one fact on the show's event stream: the segment changed (started, next, back, ended).

Threading: published on the show's loop like every show event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

SegmentReason = Literal["start", "next", "back", "end"]


@dataclass(frozen=True, slots=True)
class SegmentChanged:
    """The show moved to segment `index` (0-based; -1 with an empty title: the rundown ended)."""

    index: int
    count: int
    title: str
    minutes: float
    reason: SegmentReason
    next_title: str = ""  # the segment after this one ("" at the last)
    scene: str | None = None  # the OBS scene this segment asks for
    voice: str | None = None  # the voice this segment asks for
    previous: str = ""  # the segment that ended ("" at the start)
    previous_elapsed_s: float = 0.0  # how long it ran

    def record(self) -> dict[str, Any]:
        """The session-log fields of this change."""
        fields: dict[str, Any] = {"index": self.index, "count": self.count, "title": self.title}
        fields |= {"minutes": self.minutes, "reason": self.reason, "next": self.next_title}
        fields |= {"previous": self.previous, "previous_elapsed_s": round(self.previous_elapsed_s, 3)}
        if self.scene:
            fields["scene"] = self.scene
        if self.voice:
            fields["voice"] = self.voice
        return fields
