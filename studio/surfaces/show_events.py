"""One subscription to a show's events that control surfaces join and leave.

The show's event bus (Show.subscribe) has no unsubscribe, so a surface that subscribed itself
stayed subscribed after it closed: every Surfaces.restart left the old OSC and MIDI surfaces on the
show's subscriber list, still called on each event. Surfaces keeps one ShowEvents per show across
restarts; each surface adds its listener and removes it when it closes, so the show holds one
subscriber however often the surfaces restart.
Threading: `_publish` runs on the show's loop; `add` and `remove` on any thread (the listeners are
an immutable tuple, swapped under a lock, which `_publish` reads without one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from studio.surfaces.actions import ShowControls

Listener = Callable[[Any], None]


class ShowEvents:
    """Subscribes to `show` once, and hands each event to the listeners added since (until removed)."""

    def __init__(self, show: ShowControls) -> None:
        self.show = show
        self._lock = threading.Lock()
        self._listeners: tuple[Listener, ...] = ()
        show.subscribe(self._publish)

    @property
    def listeners(self) -> int:
        """How many listeners are joined now."""
        return len(self._listeners)

    def add(self, listener: Listener) -> None:
        """Hand `listener` every event from now on."""
        with self._lock:
            self._listeners = (*self._listeners, listener)

    def remove(self, listener: Listener) -> None:
        """Stop handing `listener` events (idempotent); one already being called finishes."""
        with self._lock:
            self._listeners = tuple(joined for joined in self._listeners if joined != listener)

    def _publish(self, event: Any) -> None:
        """One show event to every listener; a failing one does not stop the others, and its error
        is raised after them, so the show's bus logs it as any failing subscriber."""
        failure: Exception | None = None
        for listener in self._listeners:
            try:
                listener(event)
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
