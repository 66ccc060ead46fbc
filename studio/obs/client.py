"""A small obs-websocket v5 client of ours on `websockets` (obsws-python is GPL-3.0; we ship Apache-2.0).

It keeps one connection up: Hello → Identify (v5 auth) → Identified, then requests matched to
their responses by id, and events handed to a callback. A dropped connection (OBS closed, killed,
restarted) is retried with exponential backoff; a refused password (close 4009) or an unsupported
RPC version stops retrying until `retry_now()`, so a wrong setting is one message, not a storm.
Threading: everything runs on the asyncio loop that awaits `run()` (the bridge's own "obs" thread);
nothing here is ever called from the show's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from studio.obs import protocol
from studio.obs.protocol import FATAL_CLOSES, ObsRequestError, ObsUnavailable, Op, Response

log = logging.getLogger(__name__)
ClientState = Literal["connecting", "connected", "retrying", "failed", "closed"]
StateListener = Callable[[ClientState, str], None]
EventListener = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits between reconnect attempts: `first`, doubling up to `longest` seconds."""

    first: float = 0.5
    longest: float = 10.0

    def delay(self, attempt: int) -> float:
        """The wait before attempt `attempt` (1 = the first retry)."""
        return min(self.longest, self.first * 2 ** max(0, attempt - 1))


DEFAULT_BACKOFF = Backoff()


class _Fatal(Exception):
    """A failure reconnecting cannot fix (bad password, bad URL, old OBS)."""


class ObsClient:
    """One obs-websocket v5 connection, kept up; requests, events and a connection state."""

    def __init__(
        self,
        url: str,
        password: str = "",
        *,
        on_event: EventListener | None = None,
        on_state: StateListener | None = None,
        on_connected: Callable[[], Awaitable[None]] | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        open_timeout: float = 3.0,
    ) -> None:
        """`on_connected` runs (as a task) after each successful Identify, e.g. to query OBS."""
        self.url, self._password = url, password
        self._on_event, self._on_state, self._on_connected = on_event, on_state, on_connected
        self._backoff, self._open_timeout = backoff, open_timeout
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[Response]] = {}
        self._ws: ClientConnection | None = None
        self._wake = asyncio.Event()
        self._connected = asyncio.Event()
        self._closing = False
        self.state: ClientState = "connecting"
        self.message = ""
        self.server_version = ""

    @property
    def connected(self) -> bool:
        """Whether requests can be sent now."""
        return self.state == "connected"

    # ----- the connection loop ------------------------------------------------------------------
    async def run(self) -> None:
        """Connect, serve, reconnect with backoff, until `close()`."""
        attempt = 0
        while not self._closing:
            self._set_state("connecting" if attempt == 0 else "retrying", self.message)
            try:
                await self._session()
                attempt, reason = 0, "OBS closed the connection"
            except _Fatal as exc:
                self._set_state("failed", str(exc))
                await self._sleep(None)
                attempt = 0
                continue
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed, ValueError, KeyError) as exc:
                reason = _describe(exc)
            if self._closing:
                break
            attempt += 1
            self._set_state("retrying", f"OBS not reachable at {self.url} ({reason}); retrying")
            await self._sleep(self._backoff.delay(attempt))
        self._set_state("closed", "")

    async def _session(self) -> None:
        """One connection: identify, then read until it closes."""
        try:
            ws = await connect(
                self.url, subprotocols=[_SUBPROTOCOL], open_timeout=self._open_timeout, max_size=2**24
            )
        except InvalidURI as exc:
            raise _Fatal(f"OBS_WEBSOCKET_URL {self.url!r} is not a WebSocket URL ({exc})") from None
        self._ws = ws
        hook: asyncio.Task[None] | None = None
        try:
            await self._identify(ws)
            self._set_state("connected", "")
            self._connected.set()
            if self._on_connected is not None:
                hook = asyncio.get_running_loop().create_task(self._on_connected())
            await self._read(ws)
        finally:
            self._connected.clear()
            self._ws = None
            if hook is not None:
                hook.cancel()
            self._fail_pending()
            await ws.close()

    async def _identify(self, ws: ClientConnection) -> None:
        """Hello → Identify → Identified; a fatal close code becomes _Fatal."""
        try:
            hello = _decode(await asyncio.wait_for(ws.recv(), self._open_timeout))
            if hello.get("op") != Op.HELLO:
                raise _Fatal(f"{self.url} is not obs-websocket v5 (first message op {hello.get('op')})")
            self.server_version = str(hello["d"].get("obsWebSocketVersion", ""))
            await ws.send(json.dumps(protocol.identify(hello["d"], self._password)))
            identified = _decode(await asyncio.wait_for(ws.recv(), self._open_timeout))
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            if code in FATAL_CLOSES:
                raise _Fatal(FATAL_CLOSES[code]) from None
            raise
        if identified.get("op") != Op.IDENTIFIED:
            raise _Fatal(f"OBS answered Identify with op {identified.get('op')}, not Identified")

    async def _read(self, ws: ClientConnection) -> None:
        """Dispatch responses and events until the connection closes."""
        async for raw in ws:
            message = _decode(raw)
            data = message.get("d") or {}
            if message.get("op") == Op.REQUEST_RESPONSE:
                future = self._pending.pop(str(data.get("requestId")), None)
                if future is not None and not future.done():
                    future.set_result(Response.parse(data))
            elif message.get("op") == Op.EVENT and self._on_event is not None:
                self._on_event(str(data.get("eventType", "")), dict(data.get("eventData") or {}))

    # ----- requests -----------------------------------------------------------------------------
    async def request(
        self, request_type: str, data: dict[str, Any] | None = None, timeout: float = 2.0
    ) -> dict:
        """Send a request and return its responseData; ObsRequestError or ObsUnavailable otherwise."""
        ws = self._ws
        if ws is None or not self._connected.is_set():
            raise ObsUnavailable(f"not connected to OBS at {self.url}")
        request_id = f"aas-{next(self._ids)}"
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await ws.send(protocol.request(request_type, request_id, data))
            response = await asyncio.wait_for(future, timeout)
        except ConnectionClosed:
            raise ObsUnavailable(f"OBS at {self.url} closed the connection") from None
        except TimeoutError:
            raise ObsUnavailable(f"OBS did not answer {request_type} within {timeout:g} s") from None
        finally:
            self._pending.pop(request_id, None)
        if not response.ok:
            raise ObsRequestError(response)
        return response.data

    async def wait_connected(self, timeout: float) -> bool:
        """Whether the connection is up within `timeout` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), timeout)
        return self._connected.is_set()

    def retry_now(self) -> None:
        """Try again at once (the test button; new settings after a refused password)."""
        self._wake.set()

    async def close(self) -> None:
        """Stop reconnecting and close the connection."""
        self._closing = True
        self._wake.set()
        if self._ws is not None:
            await self._ws.close()

    # ----- parts --------------------------------------------------------------------------------
    async def _sleep(self, seconds: float | None) -> None:
        """Wait `seconds` (None: until woken); `retry_now()` or `close()` cut it short."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _fail_pending(self) -> None:
        """The connection is gone: every request waiting on it fails now instead of timing out."""
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ObsUnavailable(f"OBS at {self.url} closed the connection"))
        self._pending.clear()

    def _set_state(self, state: ClientState, message: str) -> None:
        """Report a change of state or message (an unchanged one is not reported again)."""
        if (state, message) == (self.state, self.message):
            return
        self.state, self.message = state, message
        if self._on_state is not None:
            self._on_state(state, message)


_SUBPROTOCOL: Any = "obswebsocket.json"


def _decode(raw: str | bytes) -> dict[str, Any]:
    """One JSON message (obswebsocket.json sends text frames)."""
    message = json.loads(raw)
    if not isinstance(message, dict):
        raise ValueError("obs-websocket message is not a JSON object")
    return message


def _describe(exc: BaseException) -> str:
    """A short reason for a failed connection, the same on every retry (no storm of new messages)."""
    if isinstance(exc, ConnectionClosed):
        return "connection lost"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "no answer"
    return type(exc).__name__ if not str(exc) else str(exc).split(":")[0]
