"""Serves the web layer with uvicorn on its own loop in a "web" thread, beside the show.

The socket is bound on the caller's thread, so a taken port or a refused address is an OSError
there, with its reason; TLS files are loaded there too. The show keeps its own loop: nothing
the server does (a flood, a slow client) runs on it.
Threading: `start`/`stop`/`call` from any thread; the app and the level meter on the web loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import threading
from collections.abc import Callable
from typing import TypeVar

import uvicorn

from studio.show import Show
from studio.web.app import create_app
from studio.web.context import WebContext
from studio.web.http_guard import guarded_h11
from studio.web.options import WebOptions
from studio.web.status import StatusTracker, publish_levels
from studio.web.tokens import Role, Tokens, rotate_token

T = TypeVar("T")
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


class ListeningServer(uvicorn.Server):
    """uvicorn's server that says when it listens (tests serve documented APIs with it too)."""

    def __init__(self, config: uvicorn.Config) -> None:
        """uvicorn's server plus the event that says it listens."""
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's startup, then say that the socket listens."""
        await super().startup(sockets)
        self.listening.set()


class WebServer:
    """The web layer over one show: build it before the show starts, `start`, later `stop`."""

    def __init__(self, show: Show, options: WebOptions, status: StatusTracker | None = None) -> None:
        """Subscribe to `show` now, so no event of its start is missed; serve on `start`.

        Built mid-show (the window's settings changed the port), `status` carries what the show's
        earlier events said (stages, ready, turns): the new subscription missed them."""
        self.options = options
        self.ctx = WebContext.build(show, options, status)
        self.app = create_app(self.ctx)
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._server: ListeningServer | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failure: BaseException | None = None

    @property
    def port(self) -> int:
        """The port listened on (the one the OS chose for port 0)."""
        assert self._port is not None, "not started"
        return self._port

    @property
    def url(self) -> str:
        """The base URL clients use (IPv6 hosts bracketed)."""
        host = self.options.host
        shown = f"[{host}]" if ":" in host else host
        return f"{self.options.scheme}://{shown}:{self.port}"

    def start(self) -> None:
        """Bind, then serve in the "web" thread; returns once it listens (OSError: cannot bind)."""
        self._socket = _bind(self.options.host, self.options.port, self.options.send_buffer_bytes)
        self._port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_level="warning",
            access_log=False,
            http=guarded_h11(
                self.ctx.security, self.options.request_timeout_s, self.options.max_connections_per_client
            ),
            ws="websockets-sansio",
            ws_max_size=64 * 1024,
            server_header=False,
            proxy_headers=False,  # the client address is the socket's: no forged X-Forwarded-For
            timeout_keep_alive=5,
            timeout_graceful_shutdown=3,
            limit_concurrency=256,
            h11_max_incomplete_event_size=16 * 1024,
            ssl_certfile=str(self.options.tls_cert) if self.options.tls_cert else None,
            ssl_keyfile=str(self.options.tls_key) if self.options.tls_key else None,
        )
        config.load()  # TLS files and the app, on this thread: their errors surface here
        self._server = ListeningServer(config)
        self._thread = threading.Thread(target=self._run, name="web", daemon=True)
        self._thread.start()
        if not self._server.listening.wait(START_TIMEOUT_S) or self._failure is not None:
            self.stop()
            raise OSError(f"the web server did not start: {self._failure or 'timed out'}")

    def stop(self) -> None:
        """Close every connection and the socket, leave the show's events; joins the thread (idempotent).

        A stopped server cannot start again: build a new one (it subscribes afresh)."""
        self.ctx.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None
        if self._socket is not None:
            self._socket.close()

    @property
    def tokens(self) -> Tokens:
        """The tokens in force now (rotation replaces them)."""
        return self.ctx.tokens

    def rotate(self, role: Role) -> Tokens:
        """A new `role` token, kept and in force at once: the old one is refused from the next
        request; event and audio streams opened with it are closed (TokenError: cannot; nothing changed)."""
        settings = self.ctx.show.settings
        self.ctx.tokens = rotate_token(settings, role, self.options.token_file)
        if self._loop is not None:
            self.call(lambda: self.ctx.revoke(role, f"the {role} token was rotated"))
        return self.ctx.tokens

    def call(self, function: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run `function()` on the web loop (benches and tests inject events there)."""
        assert self._loop is not None, "not started"

        async def run() -> T:
            """Call `function` as a coroutine so its result comes back as a Future."""
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self._loop)

    def _run(self) -> None:
        """The web thread: run the server's loop to its end."""
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start(); a SystemExit from uvicorn too
            self._failure = exc
            assert self._server is not None
            self._server.listening.set()

    async def _serve(self) -> None:
        """Bind the hub and the level meter to this loop, serve until told to stop."""
        assert self._server is not None and self._socket is not None
        self._loop = asyncio.get_running_loop()
        self.ctx.hub.bind(self._loop)
        meter = asyncio.create_task(publish_levels(self.ctx.hub, self.ctx.show, self.options.levels_hz))
        try:
            await self._server.serve(sockets=[self._socket])
        finally:
            self.ctx.hub.bind(None)
            meter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await meter


def _bind(host: str, port: int, send_buffer: int | None = None) -> socket.socket:
    """A listening-ready TCP socket on (host, port); OSError names the problem.

    `send_buffer` fixes the kernel's send buffer of every accepted connection (no autotuning up to
    megabytes), so a client that stops reading blocks the server's sends soon and gets dropped."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if send_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock
