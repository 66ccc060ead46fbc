"""The GPU stack's HTTP clients never reuse a connection the model server is about to close.

vLLM serves with uvicorn, which closes a connection idle for VLLM_HTTP_TIMEOUT_KEEP_ALIVE (5 s by
default). A request sent on it at that moment fails with "Server disconnected without sending a
response". The server here is a real uvicorn with vLLM's keep-alive, answering `/v1/models` as
vLLM does; httpcore's clock is moved on, so no test waits out the idle time.
"""

from __future__ import annotations

import asyncio
import threading
import time
import types
from collections.abc import Iterator
from typing import Any

import httpcore._async.http11 as httpcore_http11
import httpx
import pytest
import uvicorn

from studio.backends.higgs_tts import HiggsSynthesizer
from studio.backends.openai_chat import OpenAIChat
from studio.backends.openai_http import KEEPALIVE_EXPIRY_S
from studio.backends.voxtral_realtime import VoxtralRealtimeSpeechToText
from studio.backends.voxtral_stt import VoxtralSpeechToText
from studio.config import Settings, load_settings
from studio.web.server import ListeningServer

VLLM_KEEP_ALIVE_S = 5  # vllm.envs.VLLM_HTTP_TIMEOUT_KEEP_ALIVE's default
CHAT_MODEL = "mistralai/Mistral-Small-3.2-24B-Instruct-2506"
JUST_BEFORE_CLOSE_S = VLLM_KEEP_ALIVE_S - 0.1


class ModelsApp:
    """ASGI: `/v1/models` as vLLM lists it; notes the client port of each request (one per connection)."""

    def __init__(self, served: list[str]) -> None:
        self.served = served
        self.ports: list[int] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http" and scope["path"] == "/v1/models"
        self.ports.append(scope["client"][1])
        models = [{"id": m, "object": "model", "root": m, "owned_by": "vllm"} for m in self.served]
        body = httpx.Response(200, json={"object": "list", "data": models}).content
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def vllm_models() -> Iterator[tuple[str, ModelsApp]]:
    """A real uvicorn on 127.0.0.1 with vLLM's keep-alive, serving every model the stack asks for."""
    defaults = load_settings()
    app = ModelsApp(
        [
            defaults.VOXTRAL_MODEL_PATH,
            defaults.VOXTRAL_REALTIME_MODEL_PATH,
            defaults.HIGGS_AUDIO_MODEL_PATH,
            CHAT_MODEL,
        ]
    )
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="warning",
        timeout_keep_alive=VLLM_KEEP_ALIVE_S,
    )
    server = ListeningServer(config)
    thread = threading.Thread(target=server.run, name="test-vllm", daemon=True)
    thread.start()
    assert server.listening.wait(30), "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def idle_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """httpcore's keep-alive clock, moved on by adding seconds to the returned list's one item."""
    ahead = [0.0]
    clock = types.SimpleNamespace(monotonic=lambda: time.monotonic() + ahead[0])
    monkeypatch.setattr(httpcore_http11, "time", clock)
    return ahead


def _settings(url: str) -> Settings:
    return load_settings(
        VOXTRAL_URL=url, HIGGS_AUDIO_URL=url, OPENAI_CHAT_URL=url, OPENAI_CHAT_MODEL=CHAT_MODEL
    )


BACKENDS = [VoxtralSpeechToText, VoxtralRealtimeSpeechToText, OpenAIChat, HiggsSynthesizer]


@pytest.mark.parametrize("backend_class", BACKENDS, ids=lambda c: c.__name__)
def test_a_connection_idle_almost_as_long_as_vllm_keeps_it_is_not_reused(
    vllm_models: tuple[str, ModelsApp], idle_clock: list[float], backend_class: type
) -> None:
    url, app = vllm_models
    backend = backend_class(_settings(url))

    async def twice() -> None:
        try:
            await backend.preflight()
            await backend.preflight()  # at once: the same connection
            idle_clock[0] += JUST_BEFORE_CLOSE_S  # idle until 0.1 s before vLLM would close it
            await backend.preflight()
        finally:
            await backend.aclose()

    asyncio.run(twice())
    assert app.ports[0] == app.ports[1], "a connection in use must be kept"
    assert app.ports[2] != app.ports[1], "a connection the server is about to close was reused"
    assert KEEPALIVE_EXPIRY_S <= VLLM_KEEP_ALIVE_S / 2  # stalls of seconds still leave a margin


def test_control_a_client_that_keeps_connections_as_long_as_the_server_reuses_it(
    vllm_models: tuple[str, ModelsApp], idle_clock: list[float]
) -> None:
    """httpx's default (5 s) keeps the connection: the moment in which vLLM closes under a request."""
    url, app = vllm_models

    async def twice() -> None:
        async with httpx.AsyncClient(base_url=url) as client:
            await client.get("/v1/models")
            idle_clock[0] += JUST_BEFORE_CLOSE_S
            await client.get("/v1/models")

    asyncio.run(twice())
    assert app.ports[0] == app.ports[1]
