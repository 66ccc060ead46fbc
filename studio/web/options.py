"""How the web layer is served: address, TLS, tokens, allowed origins and rate limits.

`check_bind` refuses to expose the studio beyond this machine without TLS.
Threading: plain values, built before the server starts; read from the web thread.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from studio.config import Settings
from studio.web.tokens import Tokens

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_BODY_BYTES = 16 * 1024  # every JSON body the API takes is far smaller


class BindError(ValueError):
    """The address/TLS combination is refused; the message says what to do instead."""


@dataclass(frozen=True, slots=True)
class WebOptions:
    """Everything the app and the server need besides the show."""

    tokens: Tokens
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allowed_origins: tuple[str, ...] = ()
    commands_per_s: float = 10.0
    reads_per_s: float = 50.0
    connects_per_s: float = 2.0
    event_queue: int = 256  # events a WebSocket subscriber may fall behind before it is dropped
    levels_hz: float = 10.0
    max_body_bytes: int = MAX_BODY_BYTES
    voices_dir: Path | None = None  # the host's voices (None: bundled ones only)
    token_file: Path | None = None  # where a rotated token is kept (None: the user config dir's)
    audio_frames_per_s: float = 50.0  # /ws/audio frames a client may send (20 ms each: real time)
    audio_burst_frames: int = 50  # ... and at once, after a network hiccup (1 s)
    audio_slack_ms: int = 80  # a remote host this late: silence fills in, the show goes on
    audio_out_queue: int = 25  # program frames a listener may fall behind (0.5 s) before it loses some
    audio_out_max_lag: int = 250  # program frames lost while none went out (5 s): the listener is dropped
    send_buffer_bytes: int | None = 64 * 1024  # per connection, fixed: a client that stops reading shows soon
    request_timeout_s: float = 10.0  # an HTTP request must arrive whole this soon after its first byte
    max_connections_per_client: int = 64  # open HTTP connections one address may hold (a browser uses ~6)

    @property
    def scheme(self) -> str:
        """https with TLS, else http."""
        return "https" if self.tls_cert is not None else "http"

    @classmethod
    def from_settings(cls, settings: Settings, tokens: Tokens, **overrides: object) -> WebOptions:
        """Options from the settings' web fields; `overrides` (CLI flags) win."""
        values: dict[str, object] = {
            "allowed_origins": tuple(o.rstrip("/") for o in settings.web_allowed_origins),
            "commands_per_s": settings.web_commands_per_s,
            "reads_per_s": settings.web_reads_per_s,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(tokens=tokens, **values)  # type: ignore[arg-type]


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, tls_cert: Path | None, tls_key: Path | None) -> None:
    """Refuse a non-loopback bind without TLS, and half a TLS pair; BindError says why."""
    if (tls_cert is None) != (tls_key is None):
        raise BindError("TLS needs both --tls-cert and --tls-key")
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            raise BindError(f"TLS file not found: {path}")
    if not is_loopback(host) and tls_cert is None:
        raise BindError(
            f"binding {host} would expose the studio's controls to the network unencrypted; "
            "give --tls-cert and --tls-key, or --tls-self-signed for the studio's own certificate "
            "(served as HTTPS/WSS), or bind 127.0.0.1"
        )
