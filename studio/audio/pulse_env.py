"""PULSE_SINK / PULSE_SOURCE while a PortAudio stream opens: one opener at a time, never for ever.

libpulse reads these variables when the ALSA `pulse` plugin makes its context (as the stream opens),
so an opener sets one, opens, and puts it back. Two rules keep the rest of the process safe:

- The variables always exist (the server's own "@DEFAULT_SINK@"/"@DEFAULT_SOURCE@" names, set at
  import, before the studio starts threads). Changing an existing variable swaps one pointer in
  `environ`; adding or removing one can make glibc reallocate and free the array under another
  thread's getenv (a CI run died of exactly that: SIGSEGV while an opener set PULSE_SINK).
- A turn held longer than MAX_HOLD_S (a driver call that never returned) is taken over by the next
  opener, which puts the environment back first; the late holder then leaves it alone.

Threading: any thread that opens a stream (the owner, the device watcher, an opener thread).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator

log = logging.getLogger(__name__)

DEFAULT_NAMES = {"PULSE_SINK": "@DEFAULT_SINK@", "PULSE_SOURCE": "@DEFAULT_SOURCE@"}
MAX_HOLD_S = 5.0


def ensure_present() -> None:
    """Give each routing variable a value (the server's default) if it has none."""
    for variable, default in DEFAULT_NAMES.items():
        if not os.environ.get(variable):
            os.environ[variable] = default


ensure_present()


class Turn:
    """One holder's turn: set a routing variable for the next open, put it back, ask if still held."""

    def __init__(self, owner: RoutingTurns) -> None:
        self._owner = owner

    @property
    def held(self) -> bool:
        """False once another opener took the turn over (this one hung past MAX_HOLD_S)."""
        return self._owner._holder is self

    def route(self, variable: str, device: str) -> None:
        """Point `variable` at `device` until `put_back` (nothing, if the turn was taken over)."""
        with self._owner._cond:
            if self.held:
                self._owner._saved.setdefault(variable, os.environ.get(variable) or DEFAULT_NAMES[variable])
                os.environ[variable] = device

    def put_back(self) -> None:
        """Restore what `route` changed (nothing, if the turn was taken over)."""
        with self._owner._cond:
            if self.held:
                self._owner._restore()


class RoutingTurns:
    """Hands out turns one at a time; a turn older than `max_hold_s` is taken over."""

    def __init__(self, max_hold_s: float = MAX_HOLD_S) -> None:
        self._max_hold_s = max_hold_s
        self._cond = threading.Condition()
        self._holder: Turn | None = None
        self._since = 0.0
        self._saved: dict[str, str] = {}
        self.taken_over = 0  # turns given up on because their holder hung

    @contextlib.contextmanager
    def hold(self) -> Iterator[Turn]:
        """Wait for the turn (at most until the current holder's time runs out) and hold it."""
        turn = Turn(self)
        with self._cond:
            while self._holder is not None:
                left = self._since + self._max_hold_s - time.monotonic()
                if left <= 0:
                    self.taken_over += 1
                    log.warning(
                        "opening an audio stream hung for %.0f s; the next open goes ahead without it",
                        self._max_hold_s,
                    )
                    self._restore()
                    break
                self._cond.wait(left)
            self._holder, self._since = turn, time.monotonic()
        try:
            yield turn
        finally:
            with self._cond:
                if self._holder is turn:
                    self._restore()
                    self._holder = None
                    self._cond.notify()

    def _restore(self) -> None:
        for variable, value in self._saved.items():
            os.environ[variable] = value
        self._saved.clear()


TURNS = RoutingTurns()
