"""Measures the embedded demo chat model as the show uses it (README "The demo chat model").

Five host questions, each a fresh conversation with the default persona and the engine's options
(temperature and seed from the default voice, max_reply_tokens): load time, time to the first
streamed piece, tokens per second after it, and the reply text, so quality is read, not guessed.
Usage: .venv/bin/python scripts/measure_chat_model.py [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time

from studio.backends.contracts import ChatMessage, ChatOptions
from studio.backends.smollm_chat import SmolLMChat, gguf_path
from studio.config import load_settings
from studio.voices.profile import SynthesisSettings, VoiceProfile

QUESTIONS = (
    "Good evening and welcome to the show. What is the capital of France?",
    "We have a storm coming in tonight. What should people at home do to stay safe?",
    "Our next guest is a marathon runner. What is one question you would ask her?",
    "Can you explain in one sentence what inflation means?",
    "That's all for tonight. Would you like to say goodbye to our viewers?",
)


async def measure_one(chat: SmolLMChat, question: str, options: ChatOptions) -> dict:
    """Stream one reply; time its first piece and its token rate."""
    persona = VoiceProfile(name="default").system_prompt()
    messages = [ChatMessage("system", persona), ChatMessage("user", question)]
    started = time.perf_counter()
    first: float | None = None
    pieces: list[str] = []
    async for piece in chat.stream_reply(messages, options):
        if first is None:
            first = time.perf_counter() - started
        pieces.append(piece)
    total = time.perf_counter() - started
    reply = "".join(pieces).strip()
    tokens = len(chat._tokenizer.encode(reply, add_special_tokens=False))
    rate = (tokens - 1) / (total - first) if first is not None and total > first and tokens > 1 else None
    return {
        "question": question,
        "reply": reply,
        "first_token_s": first,
        "tokens": tokens,
        "tokens_per_s": rate,
    }


async def main() -> None:
    """Load once (reporting whether from the cache), then ask every question."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    settings = load_settings()
    chat = SmolLMChat(settings)
    voice = SynthesisSettings()
    options = ChatOptions(
        max_tokens=settings.max_reply_tokens, temperature=voice.temperature, seed=voice.seed
    )
    try:
        await measure_one(chat, "Hello.", options)  # warm-up: the first generate() pays one-off setup
        turns = [await measure_one(chat, question, options) for question in QUESTIONS]
    finally:
        await chat.aclose()
    result = {
        "model": chat.info.name,
        "file_mb": round(gguf_path().stat().st_size / 1e6, 1),
        "load_s": round(chat.load_seconds, 2),
        "loaded_from_cache": chat.loaded_from_cache,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "turns": turns,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['model']}: {result['file_mb']} MB file, load {result['load_s']} s "
        f"(cache: {result['loaded_from_cache']}), peak RSS {result['max_rss_mb']} MB"
    )
    for turn in turns:
        rate = f"{turn['tokens_per_s']:.0f} tok/s" if turn["tokens_per_s"] else "-"
        figures = f"first token {turn['first_token_s']:.2f} s, {turn['tokens']} tokens, {rate}"
        print(f"\nQ: {turn['question']}\n   {figures}")
        print(f"A: {turn['reply']}")


if __name__ == "__main__":
    asyncio.run(main())
