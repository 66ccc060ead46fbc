"""The chat server dies in the middle of a reply: the show goes on, and picks the server up again."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from http.server import ThreadingHTTPServer

from studio.audio.outputs import InstantOutput
from studio.backends.ollama_chat import OllamaChat
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.config import load_settings
from studio.engine.engine import StudioEngine
from studio.engine.events import StageStatusChanged
from studio.voices.profile import VoiceProfile
from tests.fake_ollama import FakeOllama
from tests.resilience.helpers import FALLBACK, FAST_RESILIENCE, Recorder

PIECES = ("Good", " evening", ",", " everyone", ". It", " is", " calm", " tonight", ".")


class DyingOllama(FakeOllama):
    """A FakeOllama that can be killed mid-stream, and started again on the same port."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(reply=PIECES)
        if port:
            self._server.server_close()
            self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
            self._server.daemon_threads = True
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
        self.clients: list[socket.socket] = []
        self.streaming = threading.Event()

    def _await_permit(self, client: socket.socket) -> bool:
        self.clients.append(client)
        if len(self.clients) >= 3:  # two lines are out, the third waits: mid-reply
            self.streaming.set()
        return super()._await_permit(client)

    def kill(self) -> None:
        """The server process dies: the listener goes away and open connections are reset."""
        self._server.shutdown()
        self._server.server_close()
        for client in self.clients:
            with contextlib.suppress(OSError):  # a connection the client already closed
                client.shutdown(socket.SHUT_RDWR)


def test_chat_server_killed_mid_turn_then_restarted():
    server = DyingOllama().__enter__()
    port = int(server.url.rsplit(":", 1)[1])
    server.paced = True
    settings = load_settings(OLLAMA_HOST=server.url, OLLAMA_MODEL_NAME="llama3.2", **FAST_RESILIENCE)
    chat = OllamaChat(settings)
    stack = BackendStack(
        preset="instrumented",
        stt=FixedDelaySpeechToText(delay=0.02),
        vad=EnergyVoiceActivity(),
        turn=FixedDelayTurnDetector(delay=0.01),
        chat=chat,
        tts=FixedDelaySynthesizer(first=0.01, chunk_seconds=0.1),
    )
    voice = VoiceProfile(name="Test", fallback_lines=FALLBACK)

    async def scenario():
        engine = StudioEngine(settings, stack, InstantOutput(24_000), voice)
        events = Recorder()
        engine.bus.subscribe(events)
        engine.submit_text("Good evening!")
        server.release(2)
        await asyncio.to_thread(server.streaming.wait, 30)
        server.kill()
        await engine.wait_anchor_idle()
        degraded = await events.wait_for(lambda e: isinstance(e, StageStatusChanged) and e.state != "ready")
        engine.submit_text("Are you still there?")  # server still dead: the persona line
        await engine.wait_anchor_idle()
        revived = DyingOllama(port).__enter__()
        try:
            await events.wait_for(
                lambda e: isinstance(e, StageStatusChanged) and e.stage == "chat" and e.state == "ready"
            )
            engine.submit_text("Welcome back!")
            await engine.wait_anchor_idle()
        finally:
            await engine.aclose()
            await chat.aclose()
            revived.__exit__(None, None, None)
        return engine.completed, degraded

    try:
        turns, degraded = asyncio.run(scenario())
    finally:
        server._wake_reader.close()
        server._wake_writer.close()
    assert degraded.stage == "chat" and "pre-written persona lines" in degraded.detail
    assert turns[0].reply == "Good evening", "what the model said before it died is kept, nothing more"
    assert turns[1].reply == FALLBACK[0]
    assert turns[2].reply == "".join(PIECES), "the revived server answers again"
