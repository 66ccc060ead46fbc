"""What the anchor is told about the rundown: the segment, its notes, the time left, and the cues.

In the last `wrap_up_s` seconds it is told to wrap up; over time, to answer in one sentence and
hand back to the host. Threading: pure functions (called on the show's loop per chat request).
"""

from __future__ import annotations

import math

from studio.rundown.clock import SegmentStatus

WRAP_UP_CUE = "Wrap up this segment now"
HAND_BACK_CUE = "This segment is over time"


def duration(seconds: float) -> str:
    """'3 min 05 s', '42 s' (whole seconds, rounded up: '1 s' until the time is really gone)."""
    whole = max(0, math.ceil(seconds))
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def segment_brief(status: SegmentStatus, wrap_up_s: float = 60.0) -> str:
    """The anchor's brief for `status`, sent with each host line ('' outside the rundown)."""
    segment = status.segment
    if segment is None:
        return ""
    lines = [
        f'Show rundown: you are in segment {status.index + 1} of {status.count}, "{segment.title}" '
        f"(planned {duration(segment.planned_s)})."
    ]
    if segment.notes:
        lines.append(f"Notes for this segment: {segment.notes}")
    if segment.persona:
        lines.append(f"In this segment: {segment.persona}")
    if status.over_time:
        lines.append(
            f"{HAND_BACK_CUE} by {duration(-status.remaining_s)}: answer in one sentence "
            "and hand back to the host."
        )
    else:
        lines.append(f"Time left in this segment: {duration(status.remaining_s)}.")
        if status.remaining_s <= wrap_up_s:
            towards = f' and lead towards "{status.next.title}"' if status.next else " and close the show"
            lines.append(f"{WRAP_UP_CUE}: keep your answer short{towards}.")
    if status.next is not None:
        lines.append(f'Next segment: "{status.next.title}".')
    return "\n".join(lines)
