"""Security events (failed auth, rate-limit hits, refused origins…) to the session log, throttled.

A flood must not become a flood of fsynced log lines (the anchor's air gate waits on that disk):
each (kind, client) is written at most once per window; the ones held back are counted into the
next record. Every event is counted in the metrics.
Threading: called on the web loop only; `note` (the show's) is safe from any thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from studio.web.metrics import StudioMetrics

log = logging.getLogger(__name__)
WINDOW_S = 10.0
MAX_KEYS = 1024


class SecurityLog:
    """Writes `security` records to the session log and counts every refusal in the metrics."""

    def __init__(
        self,
        note: Callable[..., Any],
        metrics: StudioMetrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`note(kind, **fields)`: the show's session-log writer."""
        self._note, self._metrics, self._clock = note, metrics, clock
        self._last: dict[tuple[str, str], float] = {}
        self._held: dict[tuple[str, str], int] = {}

    def event(self, reason: str, client: str, path: str, detail: str = "") -> None:
        """One refusal: counted always, logged unless the same one was logged within the window."""
        self._metrics.reject(reason)
        key = (reason, client)
        now = self._clock()
        if now - self._last.get(key, -WINDOW_S) < WINDOW_S:
            self._held[key] = self._held.get(key, 0) + 1
            return
        if len(self._last) >= MAX_KEYS:
            self._last.clear()
        self._last[key] = now
        held = self._held.pop(key, 0)
        fields = {"reason": reason, "client": client, "path": path[:200], "detail": detail[:200]}
        if held:
            fields["suppressed"] = held
        log.warning("web security: %s from %s on %s %s", reason, client, fields["path"], detail)
        self._note("security", **fields)
