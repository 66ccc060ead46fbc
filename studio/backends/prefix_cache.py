"""The embedded chat model's prompt cache: a turn prefills only what changed since the last request.

Ollama's runner and llama.cpp's server keep the KV cache of their last sequence and reuse the
longest common token prefix of the next prompt; `studio.engine.conversation` lays its requests out
for exactly that (a byte-identical persona and history between its window's jumps). This does the
same for the in-process SmolLM2: the cache left by the last `generate` (prompt plus the tokens it
generated) is cropped to the prefix the next prompt shares with it and handed to `generate`, which
then prefills only the rest. On two cores that is the ~100 ms the history's prefill cost per turn.
Threading: used only by the chat backend's generate thread, one generation at a time (the backend's
worker joins each generate thread before the next request starts).
"""

from __future__ import annotations

import re
from typing import Any


def cache_keyword() -> str:
    """`generate`'s name for a cache passed in: `cache` from transformers 5.24 (`past_key_values` before)."""
    from transformers import __version__

    major_minor = tuple(int(part) for part in re.findall(r"\d+", __version__)[:2])
    return "cache" if major_minor >= (5, 24) else "past_key_values"


class PromptPrefixCache:
    """One KV cache and the token ids it holds; handed out to one generation at a time."""

    def __init__(self) -> None:
        self._ids: Any = None  # 1-D tensor of the token ids the cache covers
        self._cache: Any = None  # transformers DynamicCache
        self.reused_tokens = 0  # of the last request (for tests and traces)

    def take(self, input_ids: Any) -> Any:
        """The kept cache cropped to what `input_ids` (1 × n) shares with it, or None; it is no longer kept.

        At least the prompt's last token is always left to prefill (it yields the first logits)."""
        ids, cache = self._ids, self._cache
        self._ids = self._cache = None
        self.reused_tokens = 0
        if cache is None or ids is None:
            return None
        prompt = input_ids[0]
        limit = min(len(ids), len(prompt) - 1)
        if limit <= 0:
            return None
        same = (ids[:limit] == prompt[:limit]).long()
        shared = int(same.cumprod(0).sum())
        if shared == 0:
            return None
        removed = shared - int(cache.get_seq_length())
        if removed:
            cache.crop(removed)  # a negative count removes that many tokens in transformers 4 and 5 alike
        self.reused_tokens = shared
        return cache

    def keep(self, sequence: Any, cache: Any) -> None:
        """After a generation: `cache` covers the first `cache.get_seq_length()` ids of `sequence` (1 × n)."""
        length = int(cache.get_seq_length())
        if length <= 0 or length > sequence.shape[-1]:
            self.drop()
            return
        self._ids, self._cache = sequence[0, :length].clone(), cache

    def drop(self) -> None:
        """Forget the cache (a failed generation may have left it half-written)."""
        self._ids = self._cache = None
