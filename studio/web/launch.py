"""The one place a face turns settings into a running web server: `serve` and the window use it.

`web_options` loads the tokens and the settings' web fields (flags win); `start_web` builds and
starts the server over a show (not started yet, or running: the window restarts it when the
settings change its port), or says plainly why there is none.
Threading: the caller's thread (the window's GUI thread, or `serve`'s main thread); the server
then runs on its own "web" thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.config import Settings, data_dir
from studio.show import Show
from studio.web.options import DEFAULT_HOST, WebOptions
from studio.web.server import WebServer
from studio.web.status import StatusTracker
from studio.web.tokens import TokenError, load_tokens


@dataclass(frozen=True, slots=True)
class WebLaunch:
    """The running server, or None with the reason (off in the settings, port taken, bad token)."""

    server: WebServer | None
    problem: str = ""

    def close(self) -> None:
        """Stop the server, if one runs (idempotent)."""
        if self.server is not None:
            self.server.stop()


def web_options(settings: Settings, **overrides: object) -> WebOptions:
    """Options from the settings and the kept tokens (TokenError: unusable); `overrides` win."""
    overrides.setdefault("voices_dir", data_dir() / "voices")
    return WebOptions.from_settings(settings, load_tokens(settings), **overrides)


def start_web(
    show: Show, settings: Settings, host: str = DEFAULT_HOST, status: StatusTracker | None = None
) -> WebLaunch:
    """The window's web server on `host`:`web_port` over `show`: before the show starts, or mid-show
    with `status`, what its earlier events said (the window restarts it when the settings change)."""
    if not settings.web_enabled:
        return WebLaunch(None, "remote control is off (Settings… → Web layer; web_enabled in settings.toml)")
    try:
        server = WebServer(show, web_options(settings, host=host, port=settings.web_port), status)
    except TokenError as exc:
        return WebLaunch(None, f"remote control is off: {exc}")
    try:
        server.start()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return WebLaunch(
            None,
            f"remote control is off: cannot listen on {host}:{settings.web_port} ({reason}); "
            "choose a free port in Settings… (web_port)",
        )
    return WebLaunch(server)
