"""OllamaChat and chat selection against a real local server speaking Ollama's documented API."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

import pytest

from studio.backends.chat_selection import select_embedded_chat
from studio.backends.contracts import ChatMessage, ChatModel, ChatOptions
from studio.backends.ollama_admin import OllamaAdmin
from studio.backends.ollama_chat import OllamaChat
from studio.config import load_settings
from tests.fake_ollama import FakeOllama

MESSAGES = [
    ChatMessage("system", "You are Ava, a news anchor."),
    ChatMessage("user", "Say good evening."),
]
OPTIONS = ChatOptions(max_tokens=48, temperature=0.2, seed=11)


@pytest.fixture()
def fake():
    with FakeOllama(models=("llama3.2:latest", "hf.co/org/repo-GGUF:Q4_K_M")) as server:
        yield server


def chat_for(url: str, model: str = "llama3.2"):
    return OllamaChat(load_settings(OLLAMA_HOST=url, OLLAMA_MODEL_NAME=model))


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens here any more: connection refused


def test_streams_the_reply_piece_by_piece(fake) -> None:
    fake.paced = True
    chat = chat_for(fake.url)
    assert isinstance(chat, ChatModel)

    async def scenario() -> tuple[list[str], list[int], list[str]]:
        got, sent_when_received = [], []
        async with contextlib.aclosing(chat.stream_reply(MESSAGES, OPTIONS)) as stream:
            for _ in fake.reply:
                fake.release()
                got.append(await asyncio.wait_for(anext(stream), 10.0))
                sent_when_received.append(fake.pieces_sent)
            fake.release()  # the final `done` line
            rest = [piece async for piece in stream]
        await chat.aclose()
        return got, sent_when_received, rest

    got, sent_when_received, rest = asyncio.run(scenario())
    assert got == fake.reply and rest == []
    assert sent_when_received == list(range(1, len(fake.reply) + 1))  # each before the next existed
    assert fake.reply_finished.wait(30.0)  # set by the server thread just after its last write


def test_sends_model_messages_options_and_keep_alive(fake) -> None:
    chat = chat_for(fake.url)

    async def scenario() -> str:
        text = "".join([piece async for piece in chat.stream_reply(MESSAGES, OPTIONS)])
        await chat.aclose()
        return text

    assert asyncio.run(scenario()) == "".join(fake.reply)
    (request,) = fake.chat_requests
    assert request["model"] == "llama3.2" and request["stream"] is True
    assert request["messages"] == [{"role": m.role, "content": m.content} for m in MESSAGES]
    assert request["options"] == {
        "num_ctx": 4096,
        "num_predict": 48,
        "temperature": 0.2,
        "seed": 11,
    }
    assert request["keep_alive"] == -1


def test_closing_the_stream_hangs_up_on_the_server(fake) -> None:
    fake.paced = True
    chat = chat_for(fake.url)

    async def scenario() -> list[str]:
        got = []
        async with contextlib.aclosing(chat.stream_reply(MESSAGES, OPTIONS)) as stream:
            fake.release(2)
            got.append(await asyncio.wait_for(anext(stream), 10.0))
            got.append(await asyncio.wait_for(anext(stream), 10.0))
        await chat.aclose()
        return got

    assert asyncio.run(scenario()) == fake.reply[:2]
    assert fake.client_disconnected.wait(30.0)
    assert fake.pieces_sent == 2 and not fake.reply_finished.is_set()


def test_cancelling_the_task_hangs_up_on_the_server(fake) -> None:
    fake.paced = True
    chat = chat_for(fake.url)

    async def scenario() -> None:
        first = asyncio.Event()

        async def listen() -> None:
            async with contextlib.aclosing(chat.stream_reply(MESSAGES, OPTIONS)) as stream:
                async for _piece in stream:
                    first.set()

        task = asyncio.create_task(listen())
        fake.release()
        await asyncio.wait_for(first.wait(), 10.0)
        task.cancel()  # waiting for a piece the server will never send unprompted
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await chat.aclose()

    asyncio.run(scenario())
    assert fake.client_disconnected.wait(30.0)
    assert fake.pieces_sent == 1


def test_unreachable_server_raises_connection_error() -> None:
    chat = chat_for(closed_port_url())

    async def scenario() -> None:
        with pytest.raises(ConnectionError):
            async for _piece in chat.stream_reply(MESSAGES, OPTIONS):
                pass
        await chat.aclose()

    asyncio.run(scenario())


def test_serves_model_matches_names_with_and_without_latest(fake) -> None:
    admin = OllamaAdmin(fake.url)
    assert admin.serves("llama3.2")
    assert admin.serves("llama3.2:latest")
    assert OllamaAdmin(fake.url + "/").serves("hf.co/org/repo-GGUF:Q4_K_M")
    assert not admin.serves("hf.co/org/repo-GGUF")  # that would be :latest
    assert not admin.serves("mistral")
    assert not admin.serves("llama3.2:1b")


def test_serves_model_is_false_without_a_server() -> None:
    assert not OllamaAdmin(closed_port_url()).serves("llama3.2", timeout_s=1.0)


def test_serves_model_gives_up_on_a_server_that_never_answers() -> None:
    """The probe's timeout is honoured: False after it, not a wait for ever (the client's default)."""
    answers: list[bool] = []
    with socket.socket() as silent:  # the kernel accepts the connection; nobody ever replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        probe = threading.Thread(
            target=lambda: answers.append(OllamaAdmin(url).serves("llama3.2", timeout_s=0.5)), daemon=True
        )
        probe.start()
        probe.join(60.0)  # generous for a loaded machine; without the timeout it never ends
    assert answers == [False]


def test_selection_picks_ollama_when_it_serves_the_model(fake) -> None:
    settings = load_settings(OLLAMA_HOST=fake.url, OLLAMA_MODEL_NAME="llama3.2")
    chat = select_embedded_chat(settings)
    assert isinstance(chat, OllamaChat) and not chat.info.demo_quality
    asyncio.run(chat.aclose())


@pytest.mark.parametrize("served", [True, False])
def test_selection_falls_back_to_smollm2(fake, served, smollm, smollm_cache_dir, monkeypatch):
    from studio.backends.smollm_chat import SmolLMChat

    monkeypatch.setenv("AI_ANCHOR_CACHE_DIR", str(smollm_cache_dir))  # built by `smollm`
    host = fake.url if served else closed_port_url()  # served: up, but without this model
    settings = load_settings(OLLAMA_HOST=host, OLLAMA_MODEL_NAME="mistral-small")
    chat = select_embedded_chat(settings)
    assert isinstance(chat, SmolLMChat) and chat.info.demo_quality
    asyncio.run(chat.aclose())
