"""Chat through any OpenAI-compatible `/v1/chat/completions` server (vLLM, llama.cpp server), streamed.

Server-sent events: `choices[0].delta.content` pieces until `data: [DONE]`. Closing the reply
iterator (barge-in) closes the HTTP response; vLLM and llama.cpp abort the request when the
client goes away. With OPENAI_CHAT_MODEL empty, the first model of `/v1/models` is used.
Threading: coroutines on the engine loop (httpx async), no threads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from studio.backends.contracts import BackendInfo, ChatMessage, ChatOptions
from studio.backends.openai_http import (
    ServerError,
    client_timeout,
    raise_for_answer,
    sse_events,
    unreachable,
)
from studio.config import Settings
from studio.probe import probe

FIX = "start the server or point OPENAI_CHAT_URL at one"


class OpenAIChat:
    """The anchor's replies from an OpenAI-compatible chat server."""

    def __init__(self, settings: Settings, timeout_s: float | None = None) -> None:
        self._url = settings.OPENAI_CHAT_URL
        self._model = settings.OPENAI_CHAT_MODEL
        self._context_tokens = settings.chat_context_tokens
        timeout = client_timeout(timeout_s or settings.chat_timeout_s)
        self._client = httpx.AsyncClient(base_url=self._url, timeout=timeout)
        self.info = BackendInfo(
            name=f"OpenAI-compatible chat {self._model or '(server default)'}", detail=self._url
        )

    async def model(self) -> str:
        """The configured model, else the first one the server lists."""
        if self._model:
            return self._model
        try:
            response = await self._client.get("/v1/models")
        except httpx.TransportError as exc:
            raise unreachable("chat server", self._url, exc, FIX) from exc
        await raise_for_answer(f"chat server at {self._url}", response)
        listed = response.json().get("data") or []
        if not listed:
            raise ServerError(
                f"chat server at {self._url} lists no models; load one or set OPENAI_CHAT_MODEL"
            )
        self._model = str(listed[0]["id"])
        return self._model

    def request_body(
        self, model: str, messages: Sequence[ChatMessage], options: ChatOptions
    ) -> dict[str, Any]:
        """The /v1/chat/completions request."""
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
        }
        if options.seed is not None:
            body["seed"] = options.seed
        return body

    async def stream_reply(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[str]:
        body = self.request_body(await self.model(), messages, options)
        try:
            async with self._client.stream("POST", "/v1/chat/completions", json=body) as response:
                await raise_for_answer(f"chat server at {self._url}", response)
                async for event in sse_events(response):
                    for choice in event.get("choices") or []:
                        content = (choice.get("delta") or {}).get("content")
                        if content:
                            yield content
        except httpx.TransportError as exc:
            raise unreachable("chat server", self._url, exc, FIX) from exc

    async def health(self) -> bool:
        """True when the server lists its models (vLLM and llama.cpp both serve /v1/models)."""
        return await probe(f"{self._url}/v1/models")

    async def aclose(self) -> None:
        await self._client.aclose()
