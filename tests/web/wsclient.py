"""A small synchronous /ws/events client for the tests (websockets' own sync client underneath).

Threading: the test thread; `recv` waits on the socket (with a timeout), never on the clock.
"""

from __future__ import annotations

import json
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.web.conftest import CONTROL, WAIT_S, Studio


def open_events(studio: Studio, token: str = CONTROL, query: str = "", **kwargs: Any) -> ClientConnection:
    """A connection to /ws/events with `token` (and more query parameters)."""
    return connect(f"{studio.ws_url}?token={token}{query}", open_timeout=WAIT_S, **kwargs)


def next_of(socket: ClientConnection, kind: str) -> dict[str, Any]:
    """The next message of `type` kind (others before it are read and dropped)."""
    while True:
        message = json.loads(socket.recv(timeout=WAIT_S))
        if message["type"] == kind:
            return message


def messages_until(socket: ClientConnection, kind: str) -> list[dict[str, Any]]:
    """Every message up to and including the first of `type` kind (levels left out)."""
    seen = []
    while True:
        message = json.loads(socket.recv(timeout=WAIT_S))
        if message["type"] != "levels":
            seen.append(message)
        if message["type"] == kind:
            return seen
