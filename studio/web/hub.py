"""Fan-out of the show's events to WebSocket subscribers that can never make the show wait.

The show's loop only stamps an event and schedules it onto the web loop (`call_soon_threadsafe`);
there it is encoded once and offered to every subscriber's bounded queue. A subscriber whose
queue is full is dropped (its socket closed with a reason), never waited for.
Threading: `on_show_event` runs on the show's loop; everything else on the web loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
import time
from collections.abc import Callable
from typing import Any

from studio.engine.events import ReplyClauseStarted

Listener = Callable[[Any], None]


def event_type(event: Any) -> str:
    """`TranscriptUpdated` → `transcript_updated`: the `type` field clients switch on."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def encode(event: Any, stamp: dict[str, Any]) -> dict[str, Any]:
    """An event as a JSON-able dict: its type, its fields, and what the show's loop stamped on it."""
    fields = dataclasses.asdict(event) if dataclasses.is_dataclass(event) else {}
    return {"type": event_type(event), **stamp, **fields}


class Subscription:
    """One subscriber's bounded queue of encoded events; full means dropped, never waited for."""

    def __init__(self, size: int, levels: bool) -> None:
        """An empty queue of `size` events for one subscriber."""
        self.queue: asyncio.Queue[str] = asyncio.Queue(size)
        self.levels = levels
        self.dropped = asyncio.Event()
        self.reason = ""
        self.role: str | None = None  # the token's role it was opened with (rotation closes those)
        self.close_code = 1013  # dropped for falling behind; 1008 when its token was rotated

    def offer(self, text: str) -> None:
        """Queue `text`, or drop this subscriber when it is `maxsize` events behind."""
        if self.dropped.is_set():
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.reason = f"too slow: {self.queue.maxsize} events behind"
            self.dropped.set()


class EventHub:
    """Carries show events to the web loop's listeners (status, metrics) and to subscribers."""

    def __init__(self, queue_size: int, program_seconds: Callable[[], float | None] = lambda: None) -> None:
        """`program_seconds`: where the program's playhead is (read on the show's loop)."""
        self._size = queue_size
        self._program_seconds = program_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listeners: list[Listener] = []
        self._subscribers: set[Subscription] = set()
        self._seq = 0
        self.on_drop: Callable[[Subscription], None] = lambda _: None

    def bind(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """The web loop events are delivered on (None: the server stopped; events are dropped)."""
        self._loop = loop

    def listen(self, listener: Listener) -> None:
        """`listener(event)` on the web loop for every show event (status tracker, metrics)."""
        self._listeners.append(listener)

    # ----- the show's loop ----------------------------------------------------------------------
    def on_show_event(self, event: Any) -> None:
        """The show's subscriber: stamp and hand over; O(1), never blocks the show."""
        loop = self._loop
        if loop is None:
            return
        stamp: dict[str, Any] = {"at": round(time.time(), 3)}
        if isinstance(event, ReplyClauseStarted):
            stamp["audio_s"] = self._program_seconds()
        with contextlib.suppress(RuntimeError):  # the web loop closed: nobody listens any more
            loop.call_soon_threadsafe(self._dispatch, event, stamp)

    # ----- the web loop -------------------------------------------------------------------------
    def _dispatch(self, event: Any, stamp: dict[str, Any]) -> None:
        """One show event on the web loop: listeners first, then the subscribers."""
        for listener in self._listeners:
            listener(event)
        if self._subscribers:
            self.publish(encode(event, stamp))

    def publish(self, payload: dict[str, Any], levels: bool = False) -> None:
        """Encode once, offer to every subscriber (levels only to those that asked for them)."""
        self._seq += 1
        text = json.dumps({"seq": self._seq, **payload}, ensure_ascii=False, default=str)
        for subscription in list(self._subscribers):
            if levels and not subscription.levels:
                continue
            subscription.offer(text)
            if subscription.dropped.is_set():
                self.unsubscribe(subscription)
                self.on_drop(subscription)

    def subscribe(self, levels: bool = True) -> Subscription:
        """A new subscriber's queue (levels only if it wants them)."""
        subscription = Subscription(self._size, levels)
        self._subscribers.add(subscription)
        return subscription

    def drop_role(self, role: str, reason: str) -> None:
        """Close every subscriber opened with a `role` token (that token was rotated)."""
        for subscription in list(self._subscribers):
            if subscription.role == role:
                subscription.reason, subscription.close_code = reason, 1008
                subscription.dropped.set()
                self.unsubscribe(subscription)

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscriber (it left or was dropped)."""
        self._subscribers.discard(subscription)

    @property
    def subscribers(self) -> int:
        """How many subscribers are open."""
        return len(self._subscribers)

    def wants_levels(self) -> bool:
        """True when someone listens for levels (the meter idles otherwise)."""
        return any(s.levels for s in self._subscribers)
