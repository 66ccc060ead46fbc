"""The show's rundown: segments from a TOML file, a segment clock, and what the anchor is told.

Plain Python below the show (the show owns one clock and offers NEXT/BACK). Threading: the clock
is read from any thread (the window polls it) and changed on the show's loop.
"""

from studio.rundown.clock import SegmentClock, SegmentStatus
from studio.rundown.events import SegmentChanged
from studio.rundown.model import Rundown, RundownError, Segment, load_rundown, parse_rundown
from studio.rundown.prompt import segment_brief

__all__ = [
    "Rundown",
    "RundownError",
    "Segment",
    "SegmentChanged",
    "SegmentClock",
    "SegmentStatus",
    "load_rundown",
    "parse_rundown",
    "segment_brief",
]
