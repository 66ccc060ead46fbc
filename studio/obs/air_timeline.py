"""Live show events that OBS must show on the delayed air timeline (the broadcast delay).

The anchor's captions already follow the delay: the engine reports a clause when its first sample
airs. The host's decided line (caption, chapter, cues) and a new rundown segment (chapter, scene)
happen live, so under a broadcast delay they would reach OBS seconds before the audio they belong
to. This holds each such event for the delay in force when it happened, in order (after a DUMP the
delay is shorter, but a later event never overtakes an earlier one), then hands it to the bridge.
Threading: the bridge's "obs" loop (call_later on it).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studio.engine.events import TurnDecided
from studio.rundown.events import SegmentChanged

FOLLOW_DELAY = (TurnDecided, SegmentChanged)


@dataclass(frozen=True, slots=True)
class Aired:
    """A held live event whose moment has come on the delayed timeline."""

    event: Any
    held_s: float  # how long it was held (the delay it followed)


class AirTimeline:
    """Holds FOLLOW_DELAY events for `delay_s()` and posts them as `Aired` items, first in first out."""

    def __init__(self, delay_s: Callable[[], float], post: Callable[[tuple[float, Any]], None]) -> None:
        """`delay_s()`: the broadcast delay now; `post((stamp, item))`: queue an item on the bridge."""
        self._delay_s, self._post = delay_s, post
        self._held: deque[tuple[float, Aired]] = deque()  # (due on the loop's clock, item), in order
        self._timer: asyncio.TimerHandle | None = None

    def hold(self, event: Any) -> bool:
        """Hold `event` if it follows the delay and a delay is in force; False: handle it now."""
        if not isinstance(event, FOLLOW_DELAY):
            return False
        delay = max(0.0, self._delay_s())
        if delay <= 0.0 and not self._held:
            return False
        loop = asyncio.get_running_loop()
        now = loop.time()
        due = max(now + delay, self._held[-1][0] if self._held else 0.0)  # never ahead of an earlier one
        self._held.append((due, Aired(event, due - now)))
        if self._timer is None:
            self._timer = loop.call_at(self._held[0][0], self._release_due)
        return True

    def _release_due(self) -> None:
        """Post every held item whose moment has come, oldest first; wait for the next one."""
        loop = asyncio.get_running_loop()
        self._timer = None
        while self._held and self._held[0][0] <= loop.time():
            self._post((time.perf_counter(), self._held.popleft()[1]))
        if self._held:
            self._timer = loop.call_at(self._held[0][0], self._release_due)

    def take_all(self) -> list[Aired]:
        """The show ended: everything still held, in order, to handle at once (nothing is lost)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items = [item for _, item in self._held]
        self._held.clear()
        return items
