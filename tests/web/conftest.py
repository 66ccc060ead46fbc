"""A real show (fixed-delay stack, a queued mic) behind a real uvicorn server on 127.0.0.1.

Threading: the show runs its own loop in a "test-show" thread, the server in its "web" thread;
tests talk to it with real httpx and websockets clients from the test thread and wait on
conditions (events seen, futures done), never on the clock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from studio.audio.outputs import ClockedOutput
from studio.bench.queued_mic import QueuedMicrophone
from studio.config import load_settings
from studio.show import Show
from studio.show.events import ShowReady
from studio.voices.profile import VoiceProfile
from studio.web import Tokens, WebOptions, WebServer
from tests.show.doubles import CountingStackFactory, tone

CONTROL = "control-token-" + "c" * 32
OVERLAY = "overlay-token-" + "o" * 32
VOICE = VoiceProfile(name="Test", anchor_name="Tess")
WAIT_S = 30.0
CLIENT_KEEPALIVE_S = 1.0  # under the server's 5 s keep-alive: never send on a connection it is closing


class Seen:
    """Every event of the show, collected on the show's loop; the test thread waits on it."""

    def __init__(self) -> None:
        """Nothing seen yet."""
        self.events: list[Any] = []
        self._changed = threading.Condition()

    def __call__(self, event: Any) -> None:
        """The show's subscriber (show loop)."""
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, kind: type) -> list[Any]:
        """The events of one kind seen so far."""
        with self._changed:
            return [e for e in self.events if isinstance(e, kind)]

    def wait(self, kind: type, count: int = 1, timeout: float = WAIT_S) -> Any:
        """The `count`-th event of `kind`, once it has happened."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.of(kind)) >= count, timeout):
                raise AssertionError(f"no {kind.__name__} #{count} within {timeout} s")
            return self.of(kind)[count - 1]


@dataclass
class Studio:
    """The running show and server, and what the tests need to drive and watch them."""

    show: Show
    server: WebServer
    mic: QueuedMicrophone
    seen: Seen
    session_log: Path
    thread: threading.Thread | None = None  # the show's loop

    def ended(self) -> Path:
        """Stop the show and wait until it has ended: its session log is whole on disk."""
        self.show.stop()
        if self.thread is not None:
            self.thread.join(WAIT_S)
            assert not self.thread.is_alive(), "the show did not stop"
        return self.session_log

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.server.url

    @property
    def ws_url(self) -> str:
        """The event stream's URL."""
        return self.server.url.replace("http", "ws", 1) + "/ws/events"

    def client(self, token: str | None = CONTROL, **headers: str | bytes) -> httpx.Client:
        """An httpx client, with the control token unless told otherwise."""
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        limits = httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_S)
        return httpx.Client(base_url=self.url, headers=headers, timeout=WAIT_S, limits=limits)

    def web_caught_up(self) -> None:
        """Return once the web loop has handled every show event seen so far (a FIFO barrier)."""
        self.server.call(lambda: None).result(WAIT_S)

    def speak(self, seconds: float = 0.8) -> None:
        """The host says a line into the mic (the fixed STT hears QUESTION)."""
        self.mic.say(tone(seconds))


def start_studio(
    tmp_path: Path,
    settings: dict[str, Any] | None = None,
    stack_factory: Any = None,
    output: Any = None,
    **option_overrides: Any,
) -> Iterator[Studio]:
    """Server first (it sees the stages load), then the show; both stopped afterwards."""
    mic, seen = QueuedMicrophone(), Seen()
    log = tmp_path / "session.jsonl"
    config = load_settings(**(settings or {}))
    show = Show(
        config,
        VOICE,
        stack_factory=stack_factory or CountingStackFactory(),
        output=output or ClockedOutput(config.SAMPLE_RATE),
        frame_source=mic.source,
        session_log=log,
        voice_for_language=None,
    )
    options = WebOptions(tokens=Tokens(CONTROL, OVERLAY), port=0, **option_overrides)
    server = WebServer(show, options)
    show.subscribe(seen)  # after the server's hub: an event seen here is already on its way to the web loop
    server.start()
    thread = threading.Thread(target=lambda: asyncio.run(show.run()), name="test-show", daemon=True)
    thread.start()
    try:
        seen.wait(ShowReady)
        yield Studio(show, server, mic, seen, log, thread)
    finally:
        show.stop()
        thread.join(WAIT_S)
        server.stop()
    assert not thread.is_alive(), "the show did not stop"


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    """A running show with its web layer at default limits."""
    yield from start_studio(tmp_path)
