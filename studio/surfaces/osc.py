"""OSC control surface (python-osc): Companion, TouchOSC or any OSC sender drive the show over UDP.

Addresses (a prefix, `/studio` by default): `/talk 1|0` (hold), `/dump` (or `/interrupt`: silence
the anchor, as it always meant), `/delay_dump` (the broadcast delay's DUMP), `/approve`,
`/drop_reply`, `/mute [1|0]` (no value: toggle), `/next`, `/back`, `/mute/get`. Every sender is remembered and
told `/studio/mute 1|0` whenever the mute state changes, and right after it sent a mute command.
Replies go from the server's own socket to the sender's address (where Companion and TouchOSC
listen when their "reply" port is the one they send from; otherwise point them at it).
Threading: the server runs on its own "osc-surface" thread; feedback is sent from the show's
loop (a subscriber); a UDP send never blocks.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_server import BlockingOSCUDPServer

from studio.show.events import MicMuteChanged
from studio.surfaces.actions import ShowControls, perform

log = logging.getLogger(__name__)
ADDRESSES = {
    "talk": "talk",
    "dump": "dump",
    "interrupt": "dump",
    "mute": "mute",
    "next": "next",
    "back": "back",
    "delay_dump": "delay_dump",
    "approve": "approve",
    "drop_reply": "drop_reply",
}
PREFIX = "/studio"  # every address starts with it
MAX_CLIENTS = 16  # the most recent senders that get feedback


class OscSurface:
    """A UDP OSC server on `host:port` that turns messages into show actions and reflects mute."""

    def __init__(
        self,
        show: ShowControls,
        host: str = "127.0.0.1",
        port: int = 9010,
        prefix: str = PREFIX,
    ):
        """Binds at once (OSError if the port is taken); `port` 0 picks a free one (tests).

        It hears the show's events (mute) until close()."""
        self._show, self._prefix = show, prefix.rstrip("/")
        self._clients: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        dispatcher = Dispatcher()
        for address, action in ADDRESSES.items():
            dispatcher.map(f"{self._prefix}/{address}", self._on_action, action, needs_reply_address=True)
        dispatcher.map(f"{self._prefix}/mute/get", self._on_query, needs_reply_address=True)
        dispatcher.set_default_handler(self._on_unknown, needs_reply_address=True)
        self._server = BlockingOSCUDPServer((host, port), dispatcher)
        self._thread = threading.Thread(target=self._server.serve_forever, name="osc-surface", daemon=True)
        show.subscribe(self._on_event)

    @property
    def address(self) -> tuple[str, int]:
        """Where the server listens (the port the OS chose when 0 was asked)."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> OscSurface:
        """Serve on the "osc-surface" thread from now on."""
        self._thread.start()
        log.info("OSC control surface on udp://%s:%d%s", *self.address, self._prefix)
        return self

    def close(self) -> None:
        """Stop listening to the show, stop serving and release the port (idempotent)."""
        self._show.unsubscribe(self._on_event)
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    # ----- on the server's thread ---------------------------------------------------------------
    def _on_action(self, client: tuple[str, int], address: str, fixed: list[Any], *args: Any) -> None:
        """One action message; the first argument (if any) is its value (1/0, true/false, 0.0-1.0)."""
        action = fixed[0]
        self._remember(client)
        value = _truth(args[0]) if args else None
        if action == "talk" and value is None:
            value = True  # a bare /talk is a press; /talk 0 releases
        perform(self._show, action, value)
        if action == "mute":
            self._send(client, self._show.mic_muted)

    def _on_query(self, client: tuple[str, int], address: str, *args: Any) -> None:
        """`/mute/get`: tell the sender the mute state."""
        self._remember(client)
        self._send(client, self._show.mic_muted)

    def _on_unknown(self, client: tuple[str, int], address: str, *args: Any) -> None:
        """An address we do not serve: logged (at info) so a mistyped button can be found."""
        log.info(
            "OSC: no action for %s (known: %s)", address, ", ".join(f"{self._prefix}/{a}" for a in ADDRESSES)
        )

    def _remember(self, client: tuple[str, int]) -> None:
        """Keep the sender for mute feedback (the most recent MAX_CLIENTS)."""
        with self._lock:
            if client in self._clients:
                self._clients.remove(client)
            self._clients = [*self._clients[-(MAX_CLIENTS - 1) :], client]

    # ----- feedback (show loop) -----------------------------------------------------------------
    def _on_event(self, event: Any) -> None:
        """Show events (on its loop): a mute change goes to every known sender."""
        if isinstance(event, MicMuteChanged):
            with self._lock:
                clients = list(self._clients)
            for client in clients:
                self._send(client, event.muted)

    def _send(self, client: tuple[str, int], muted: bool) -> None:
        """Send `/studio/mute 1|0` to one sender from the server socket."""
        builder = OscMessageBuilder(f"{self._prefix}/mute")
        builder.add_arg(1 if muted else 0)
        try:
            self._server.socket.sendto(builder.build().dgram, client)
        except OSError as exc:  # a sender that went away: feedback is best effort
            log.debug("OSC feedback to %s failed: %s", client, exc)


def _truth(value: Any) -> bool:
    """OSC values as on/off: numbers > 0.5 (faders, 1/0 buttons), true/false, 'on'/'off'."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value > 0.5
    return str(value).strip().lower() in {"1", "on", "true", "yes"}
