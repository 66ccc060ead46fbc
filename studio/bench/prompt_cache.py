"""A chat server's prompt cache, modelled for `bench --gpu-sim`: a turn prefills only its new tokens.

Ollama's runner keeps the KV cache of its last sequence and reuses the longest common token prefix
of the next prompt (runner/ollamarunner/cache.go: `LoadCacheSlot` → `countCommonPrefix`); llama.cpp's
server does the same (`cache_prompt`, on by default). The cached sequence is the last prompt plus
the reply generated for it, so when the studio's next request repeats the persona and the history
(the reply as it aired) byte for byte, only the host's new line is prefilled. The time to the first
token is then `overhead + uncached tokens / prefill rate + one decode step`.
Tokens are counted as characters / CHARS_PER_TOKEN over a rendering that keeps each message's role
and content in order, the way chat templates do.
Threading: coroutines on the engine loop (like every fixed-delay backend).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from studio.backends.contracts import BackendInfo, ChatMessage, ChatOptions

CHARS_PER_TOKEN = 4.0  # English text in Mistral's and Llama's tokenizers, on average


@dataclass(frozen=True, slots=True)
class PrefillModel:
    """What a request costs the server before its first token (seconds, tokens per second)."""

    prefill_tokens_per_s: float
    decode_s: float  # one decode step (the first token)
    overhead_s: float  # HTTP, templating and tokenizing, scheduling


def render(messages: Sequence[ChatMessage]) -> str:
    """The prompt as a chat template lays it out: role and content of each, in order, then the reply's."""
    return "".join(f"<{m.role}>{m.content}</{m.role}>" for m in messages) + "<assistant>"


def shared_prefix_length(first: str, second: str) -> int:
    """How many leading characters the two strings share (the cache's reuse, in characters)."""
    for index, (a, b) in enumerate(zip(first, second, strict=False)):
        if a != b:
            return index
    return min(len(first), len(second))


class PromptCachedChat:
    """Streams a fixed reply; the first token after the prefill of what the cache does not hold."""

    info = BackendInfo(name="fixed-delay chat with prompt cache (instrumented)")

    def __init__(self, reply: str, model: PrefillModel, per_token: float) -> None:
        self.reply, self.model, self.per_token = reply, model, per_token
        self.cached = ""  # the server's last sequence: prompt and generated reply
        self.requests: list[list[ChatMessage]] = []
        self.prefilled_tokens: list[int] = []  # per request, what the cache did not hold
        self.first_token_s: list[float] = []  # per request, the time to its first token
        self.cancelled = 0

    def first_token_delay(self, prompt: str) -> float:
        """Seconds to the first token of `prompt`, given what the cache holds; counts the prefill."""
        uncached = len(prompt) - shared_prefix_length(prompt, self.cached)
        tokens = round(uncached / CHARS_PER_TOKEN)
        delay = self.model.overhead_s + tokens / self.model.prefill_tokens_per_s + self.model.decode_s
        self.prefilled_tokens.append(tokens)
        self.first_token_s.append(delay)
        return delay

    async def stream_reply(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[str]:
        """The fixed reply word by word; the cache then holds this prompt and what was generated."""
        self.requests.append(list(messages))
        prompt = render(messages)
        delay = self.first_token_delay(prompt)
        self.cached = prompt  # the server's slot now holds this prompt, whether or not it finishes
        try:
            await asyncio.sleep(delay)
            for index, word in enumerate(self.reply.split(" ")):
                if index:
                    await asyncio.sleep(self.per_token)
                piece = word if index == 0 else " " + word
                self.cached += piece
                yield piece
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled += 1
            raise
