"""What every route shares: the show, the options, and the web layer's own parts.

Threading: built before the server starts; its parts are used on the web loop (see each).
`tokens` is swapped whole by `WebServer.rotate` (one reference assignment: safe from any thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from studio.show import Show
from studio.voices.catalog import VoiceCatalog
from studio.web.hub import EventHub
from studio.web.metrics import StudioMetrics
from studio.web.options import WebOptions
from studio.web.resource_metrics import ResourceCollector
from studio.web.security_log import SecurityLog
from studio.web.status import StatusTracker
from studio.web.tokens import Tokens


@dataclass(slots=True)
class WebContext:
    """The show and the web layer's parts, handed to each group of routes."""

    show: Show
    options: WebOptions
    hub: EventHub
    status: StatusTracker
    metrics: StudioMetrics
    security: SecurityLog
    tokens: Tokens  # in force now: starts as the options' tokens, replaced when one is rotated
    # Routes that hold connections open register here: `(role, reason)` closes those opened with it.
    revokers: list[Callable[[str, str], None]] = field(default_factory=list)

    def revoke(self, role: str, reason: str) -> None:
        """Close every stream opened with a `role` token (it was rotated): events, audio (web loop)."""
        self.hub.drop_role(role, reason)
        for revoker in self.revokers:
            revoker(role, reason)

    def close(self) -> None:
        """Leave the show's events (the server stopped: a restarted one has its own hub)."""
        self.show.unsubscribe(self.hub.on_show_event)

    def catalog(self) -> VoiceCatalog:
        """The voices the studio can use (read fresh: the host may add one while the show runs)."""
        folder: Path | None = self.options.voices_dir
        return VoiceCatalog(folder)

    @classmethod
    def build(cls, show: Show, options: WebOptions, status: StatusTracker | None = None) -> WebContext:
        """The parts wired to each other and to the show's event stream (before the show starts).

        `status`: what is known of a show already running (a server restarted mid-show), else nothing."""
        metrics = StudioMetrics()
        metrics.registry.register(ResourceCollector(lambda: show.audio))  # RSS, underruns, GPU per model
        hub = EventHub(options.event_queue, lambda: _program_seconds(show))
        status = status or StatusTracker()
        hub.listen(status.on_event)
        hub.listen(metrics.on_event)
        show.subscribe(hub.on_show_event)
        security = SecurityLog(show.note, metrics)
        return cls(show, options, hub, status, metrics, security, options.tokens)


def _program_seconds(show: Show) -> float:
    """The program's playhead in seconds (the show's loop reads it when a clause airs)."""
    output = show.output
    return round(output.played_samples() / output.sample_rate, 3)
