"""The Remote panel's decisions without Qt: the control and overlay URLs, the QR code, copy, rotate.

The control page URL carries the control token (so the QR code opens the page on a phone at once);
the overlay URL carries the read-only overlay token, for an OBS Browser Source. Rotating is per
token: a new control token (a phone was lost) leaves the OBS source working, and a new overlay
token (its URL leaked) leaves the phones connected.
Threading: every method runs on the view's thread (the Qt main thread in the studio).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import quote

import segno

from studio.web.tokens import TokenError, Tokens

Role = Literal["control", "overlay"]
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules
Matrix = tuple[tuple[bool, ...], ...]


class RemoteServer(Protocol):
    """What the panel needs of the web server (studio.web.WebServer)."""

    @property
    def url(self) -> str: ...

    @property
    def tokens(self) -> Tokens: ...

    def rotate(self, role: Role) -> Tokens: ...


@dataclass(frozen=True, slots=True)
class RemoteInfo:
    """What the panel shows; empty URLs and no QR when the server is off (`state` says why)."""

    state: str
    control_url: str = ""
    overlay_url: str = ""
    token: str = ""
    qr: Matrix = ()

    @property
    def on(self) -> bool:
        """True when a server runs (copy and rotate make sense)."""
        return bool(self.control_url)


class RemoteView(Protocol):
    """The passive panel (RemoteDialog, or a fake in tests)."""

    def show_remote(self, info: RemoteInfo) -> None: ...

    def put_on_clipboard(self, text: str) -> None: ...

    def show_problem(self, text: str) -> None: ...


def control_url(base: str, token: str) -> str:
    """The phone-sized control page, with the control token in it."""
    return f"{base}/control?token={quote(token, safe='')}"


def overlay_url(base: str, token: str) -> str:
    """The OBS caption overlay, with the read-only overlay token in it."""
    return f"{base}/overlay/captions?token={quote(token, safe='')}"


def qr_matrix(text: str, border: int = QR_BORDER) -> Matrix:
    """`text` as a QR code (error correction M), dark modules True, with its quiet zone."""
    code = segno.make(text, error="m", micro=False)
    return tuple(tuple(bool(v) for v in row) for row in code.matrix_iter(scale=1, border=border))


class RemotePresenter:
    """Fills the Remote panel from the server and turns Copy / Rotate into server calls."""

    def __init__(self, view: RemoteView, server: RemoteServer | None, problem: str = "") -> None:
        """`server` None: the panel says `problem` (off in the settings, port taken…)."""
        self.view, self.server, self.problem = view, server, problem
        self.info = self.describe()
        self.view.show_remote(self.info)

    def serve(self, server: RemoteServer | None, problem: str = "") -> None:
        """Another server (the settings restarted it on a new port), or none and why: shown at once."""
        self.server, self.problem = server, problem
        self.info = self.describe()
        self.view.show_remote(self.info)
        self.view.show_problem("")

    def describe(self) -> RemoteInfo:
        """The panel's contents for the tokens in force now."""
        server = self.server
        if server is None:
            return RemoteInfo(self.problem or "remote control is off")
        tokens, base = server.tokens, server.url
        control = control_url(base, tokens.control)
        state = f"serving at {base} (this machine only)" if "127.0.0.1" in base else f"serving at {base}"
        overlay = overlay_url(base, tokens.overlay)
        return RemoteInfo(state, control, overlay, tokens.control, qr_matrix(control))

    def copy_token(self) -> None:
        """The control token to the clipboard (for a Stream Deck / Companion `Authorization` header)."""
        if self.info.on:
            self.view.put_on_clipboard(self.info.token)

    def copy_overlay_url(self) -> None:
        """The overlay URL to the clipboard, for an OBS Browser Source."""
        if self.info.on:
            self.view.put_on_clipboard(self.info.overlay_url)

    def rotate(self, role: Role) -> None:
        """A new `role` token: the old one is refused at once; the panel shows the new URLs."""
        if self.server is None:
            return
        try:
            self.server.rotate(role)
        except TokenError as exc:
            self.view.show_problem(str(exc))
            return
        self.info = self.describe()
        self.view.show_remote(self.info)
        self.view.show_problem(f"new {role} token in force; the old one no longer works")
