"""Ollama housekeeping and the OpenAI-compatible chat client against local protocol servers."""

from __future__ import annotations

import asyncio
import threading

import pytest

from studio.backends.contracts import ChatMessage, ChatOptions
from studio.backends.ollama_admin import OllamaAdmin, OllamaError
from studio.backends.ollama_chat import OllamaChat
from studio.backends.openai_chat import OpenAIChat
from studio.config import SEED_CHAT_MODEL, load_settings
from tests.fake_ollama import FakeOllama
from tests.gpu.servers import ChatApp, ThreadedServer

MISTRAL = SEED_CHAT_MODEL  # the seed's OLLAMA_MODEL_NAME, the default
MESSAGES = [ChatMessage("system", "You are Ava."), ChatMessage("user", "Hello?")]


def test_ollama_presence_pull_with_progress_and_resident_memory():
    with FakeOllama(models=("llama3.2:latest",)) as fake:
        admin = OllamaAdmin(fake.url)
        assert admin.version() == "0.6.0"
        assert admin.has("llama3.2") and not admin.has(MISTRAL)
        seen = []
        admin.pull(MISTRAL, seen.append)
        fractions = [p.fraction for p in seen if p.fraction is not None]
        assert fractions == pytest.approx([1 / 3, 2 / 3, 1.0]) and seen[-1].status == "success"
        assert admin.has(MISTRAL)
        resident = {m.name: m.vram_bytes for m in admin.resident()}
        assert resident[MISTRAL] == 15_000_000_000
        fake.pull_failures.add("nope:latest")
        with pytest.raises(OllamaError, match="pulling 'nope:latest' failed: pull model manifest"):
            admin.pull("nope:latest")


def test_ollama_down_is_named_with_the_fix():
    with FakeOllama() as fake:
        url = fake.url
    with pytest.raises(OllamaError, match=r"Ollama at http://127\.0\.0\.1:\d+ is unreachable .*ollama serve"):
        OllamaAdmin(url).models()
    assert asyncio.run(OllamaAdmin(url).has_model("llama3.2")) is False


def test_ollama_chat_keeps_model_resident_with_explicit_context_and_health():
    with FakeOllama(models=(MISTRAL,)) as fake:
        roomy = load_settings(OLLAMA_HOST=fake.url, chat_context_tokens=8192, GPU_MEMORY_LIMIT_GB=96)
        chat = OllamaChat(roomy)  # a card with room for all three models: the setting stands

        async def go():
            pieces = [p async for p in chat.stream_reply(MESSAGES, ChatOptions(max_tokens=40))]
            return pieces, await chat.health()

        pieces, healthy = asyncio.run(go())
        sent = fake.chat_requests[-1]
    assert "".join(pieces) == "Good evening, everyone." and healthy
    assert sent["keep_alive"] == -1 and sent["options"]["num_ctx"] == 8192
    assert sent["messages"][0] == {"role": "system", "content": "You are Ava."}


def test_the_chat_client_sends_the_num_ctx_the_memory_plan_gives_ollama():
    """One source of truth: on the seed's 48 GB card the plan shrinks num_ctx, and the client follows."""
    from studio.gpu.planner import START_ORDER
    from studio.gpu.stack_plan import planned_settings, stack_plan
    from studio.gpu.supervisor import build_spec

    with FakeOllama(models=(MISTRAL,)) as fake:
        settings = load_settings(OLLAMA_HOST=fake.url, GPU_MEMORY_LIMIT_GB=48)
        plan, _ = stack_plan(settings)
        chat_budget = plan.models[START_ORDER.index("chat")]
        ollama_env = build_spec("chat", chat_budget, settings, plan.card_gb).env
        chat = OllamaChat(planned_settings(settings))  # as the registry builds the gpu stack

        async def go():
            return [p async for p in chat.stream_reply(MESSAGES, ChatOptions(max_tokens=40))]

        asyncio.run(go())
        sent = fake.chat_requests[-1]["options"]["num_ctx"]
    assert settings.chat_context_tokens == 4096 and any("num_ctx" in s.change for s in plan.shrinks)
    assert sent == chat_budget.cache_tokens[0] == int(ollama_env["OLLAMA_CONTEXT_LENGTH"]) == 2048


@pytest.fixture
def chat_server():
    app = ChatApp("mistral-small", ("Good", " evening", ", everyone", "."))
    with ThreadedServer(app.app) as running:
        running.chat = app
        yield running


def test_openai_chat_streams_pieces_from_the_listed_model(chat_server):
    async def go():
        chat = OpenAIChat(load_settings(OPENAI_CHAT_URL=chat_server.url))
        try:
            pieces = [p async for p in chat.stream_reply(MESSAGES, ChatOptions(max_tokens=30, seed=7))]
            return pieces, await chat.health()
        finally:
            await chat.aclose()

    pieces, healthy = asyncio.run(go())
    assert pieces == ["Good", " evening", ", everyone", "."] and healthy
    body = chat_server.chat.requests[-1]
    assert body["model"] == "mistral-small" and body["stream"] is True
    assert body["max_tokens"] == 30 and body["seed"] == 7 and body["messages"][1]["content"] == "Hello?"


def test_openai_chat_server_killed_mid_reply_raises_then_recovers(chat_server):
    async def go():
        gate = chat_server.chat.gate = threading.Event()  # the reply stalls after one piece
        chat = OpenAIChat(load_settings(OPENAI_CHAT_URL=chat_server.url, OPENAI_CHAT_MODEL="mistral-small"))
        try:
            stream = chat.stream_reply(MESSAGES, ChatOptions())
            assert await anext(stream) == "Good"
            chat_server.kill()
            with pytest.raises(
                ConnectionError, match=r"chat server at http://127\.0\.0\.1:\d+ is unreachable"
            ):
                await anext(stream)
            down = await chat.health()
            gate.set()
            chat_server.chat.gate = None
            chat_server.restart()
            return down, await chat.health(), [p async for p in chat.stream_reply(MESSAGES, ChatOptions())]
        finally:
            await chat.aclose()

    down, up, pieces = asyncio.run(go())
    assert not down and up and "".join(pieces) == "Good evening, everyone."
