"""The window's web server kept in step with the settings: a saved port or on/off restarts it live.

studio.ui.app starts the first server before the show (studio.web.launch.start_web). When the host
saves settings that change a web field (Settings… → Web layer, port), the show applies them and
`WindowWeb.follow` stops the running server and starts one with the new settings, mid-show: the
Remote dialog shows the new URL (or why there is none) and the status bar says what happened. A
taken port is the same message as at start-up, and the window runs on without remote control.
A server started mid-show subscribes too late for the show's earlier events, so its /api/status is
seeded from the window's own copy of them (stages, ready, turns), kept here. A stopped server's hub
leaves the show's events, so restarts never pile subscribers onto the show.
Threading: Qt main thread. Stopping a server closes its connections (phones and OBS reconnect to the
new URL) and joins its thread: at most uvicorn's graceful shutdown (3 s) while streams are open.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from studio.config import Settings
from studio.ui.remote_presenter import RemotePresenter
from studio.web.launch import WebLaunch, start_web
from studio.web.server import WebServer
from studio.web.status import StatusTracker

# The settings the window's server is built from: a change to any of them restarts it.
WEB_FIELDS = (
    "web_enabled",
    "web_port",
    "web_allowed_origins",
    "web_commands_per_s",
    "web_reads_per_s",
    "STUDIO_API_TOKEN",
)
PROBLEM_STATUS_MS = 15_000
NEWS_STATUS_MS = 6_000


def web_fields(settings: Settings) -> tuple[Any, ...]:
    """The values of the settings' web fields, comparable."""
    return tuple(getattr(settings, name) for name in WEB_FIELDS)


class WindowWeb:
    """The window's current WebLaunch; follows the settings the show applies (see the module)."""

    def __init__(
        self,
        window: Any,
        launch: WebLaunch,
        presenter: RemotePresenter,
        starter: Callable[..., WebLaunch] = start_web,
    ) -> None:
        """`launch` was started with the window's settings now; `starter` builds the next ones."""
        self.window, self.launch, self.presenter = window, launch, presenter
        self.settings: Settings = window.settings
        self._starter = starter
        self._seen = StatusTracker()  # the show's events as the window saw them (GUI thread)
        self._closed = False
        engine = window.engine
        engine.event_emitted.connect(self._seen.on_event)
        engine.settings_applied.connect(lambda _rebuilt: self.follow(window.settings))
        engine.engine_ready.connect(self._on_ready)

    @property
    def server(self) -> WebServer | None:
        """The server running now, or None (off, or its port was taken)."""
        return self.launch.server

    def follow(self, settings: Settings) -> bool:
        """Restart the server when `settings` change a web field; True when it did (and said so)."""
        if self._closed:
            return False
        changed = web_fields(settings) != web_fields(self.settings)
        self.settings = settings
        if not changed:
            return False
        self.launch.close()
        self.launch = self._starter(self.window.engine.show, settings, status=copy.deepcopy(self._seen))
        server, problem = self.launch.server, self.launch.problem
        self.presenter.serve(server, problem)
        if server is not None:
            self._say(f"Remote control now at {server.url}", NEWS_STATUS_MS)
        elif settings.web_enabled:
            self._say(problem, PROBLEM_STATUS_MS)
        else:
            self._say("Remote control is off: the web server stopped", NEWS_STATUS_MS)
        return True

    def _on_ready(self, _backends: dict) -> None:
        """The show is on ("On air" said first): a server that could not start is said now.

        After a failed start the show starts again with the saved settings: they apply here."""
        if not self.follow(self.window.settings) and self.server is None and self.settings.web_enabled:
            self._say(self.launch.problem, PROBLEM_STATUS_MS)

    def _say(self, text: str, ms: int) -> None:
        self.window.console.show_status(text, ms)

    def close(self) -> None:
        """Stop the server for good (idempotent): later settings start none."""
        self._closed = True
        self.launch.close()
