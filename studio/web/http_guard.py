"""HTTP connections that cannot be held open for ever: a deadline per request, a cap per client.

uvicorn's h11 protocol waits without limit for a request's headers and body (its keep-alive timer
only runs between requests), so a client dribbling one header line every few seconds — a
slow-loris — would hold a connection, and enough of them the whole server. `guarded_h11` is
uvicorn's own h11 protocol with two bounds: each request must arrive whole within
`request_timeout_s` of its first byte (a fresh connection's clock starts when it opens; a request
left half-sent, headers or body, gets 408 and is closed), and one client address holds at most
`max_per_client` HTTP connections (the next is answered 503 and closed, and nothing it sent is
run). WebSocket upgrades leave both bounds (the WebSocket routes limit their own clients). Each
refusal is a security event. Under TLS both start once the handshake is done; a handshake that
stalls is bounded by asyncio's own TLS handshake timeout (60 s).
Threading: every method runs on the web loop (asyncio protocol callbacks).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from studio.web.security_log import SecurityLog

REQUEST_DONE = {
    h11.DONE,
    h11.MUST_CLOSE,
    h11.CLOSED,
    h11.MIGHT_SWITCH_PROTOCOL,
    h11.SWITCHED_PROTOCOL,
    h11.ERROR,
}
TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
BUSY_RESPONSE = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"


def guarded_h11(security: SecurityLog, request_timeout_s: float, max_per_client: int) -> type[H11Protocol]:
    """uvicorn's h11 protocol class with the two bounds, for `uvicorn.Config(http=…)` (one per server)."""

    class GuardedH11Protocol(H11Protocol):
        """One HTTP connection: uvicorn's handling, inside a deadline per request and a per-client cap."""

        open_per_client: ClassVar[Counter[str]] = (
            Counter()
        )  # this server's HTTP connections by client address
        _deadline: asyncio.TimerHandle | None = None
        _counted_as: str | None = None
        _upgraded = False  # the transport now belongs to a WebSocket protocol: hands off
        _refused = False  # over the cap: answered 503; whatever else arrives is dropped unread

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            """Count the connection against its client, or refuse it; start the first request's clock."""
            super().connection_made(transport)
            address = self.client[0] if self.client else "unknown"
            if self.open_per_client[address] >= max_per_client:
                security.event("too_many_connections", address, "/", f"more than {max_per_client} open")
                self._refused = True
                transport.write(BUSY_RESPONSE)
                transport.close()
                return
            self.open_per_client[address] += 1
            self._counted_as = address
            self._arm()

        def data_received(self, data: bytes) -> None:
            """uvicorn's handling; the clock runs while a request is partly here, stops once it is whole.

            A refused or closing connection's data is dropped unread: TLS delivers what came with the
            handshake's end even after close(), and a request answered 503 must not run."""
            if self._refused or self.transport.is_closing():
                return
            super().data_received(data)
            if self._upgraded:
                return
            state = self.conn.their_state
            if state in REQUEST_DONE:
                self._disarm()
            elif state is h11.SEND_BODY or self.conn.trailing_data[0]:
                self._arm()  # no-op while already armed: the deadline counts from the request's first byte

        def handle_websocket_upgrade(self, event: h11.Request) -> None:
            """A WebSocket leaves HTTP's bounds (its routes bound their own clients)."""
            self._upgraded = True
            self._disarm()
            self._uncount()
            super().handle_websocket_upgrade(event)

        def connection_lost(self, exc: Exception | None) -> None:
            """Stop the clock and give the client's slot back."""
            self._disarm()
            self._uncount()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._deadline is None and not self._upgraded and not self.transport.is_closing():
                self._deadline = self.loop.call_later(request_timeout_s, self._timed_out)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _uncount(self) -> None:
            if self._counted_as is not None:
                self.open_per_client[self._counted_as] -= 1
                if self.open_per_client[self._counted_as] <= 0:
                    del self.open_per_client[self._counted_as]
                self._counted_as = None

        def _timed_out(self) -> None:
            """The request did not arrive whole in time: 408 unless a response has begun, then close."""
            self._deadline = None
            if self._upgraded or self.transport.is_closing():
                return
            address = self._counted_as or "unknown"
            security.event("slow_request", address, "/", f"request not whole after {request_timeout_s:g} s")
            cycle = self.cycle
            if cycle is None or cycle.response_complete or not cycle.response_started:
                self.transport.write(TIMEOUT_RESPONSE)
            self.transport.close()

    return GuardedH11Protocol
