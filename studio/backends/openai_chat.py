"""Chat through any OpenAI-compatible `/v1/chat/completions` server (vLLM, llama.cpp server), streamed.

Server-sent events: `choices[0].delta.content` pieces until `data: [DONE]`. Closing the reply
iterator (barge-in) closes the HTTP response; vLLM and llama.cpp abort the request when the
client goes away. The model is the one the server serves (`GET /v1/models`, matched as in
studio.backends.served_models); with OPENAI_CHAT_MODEL empty, the server's only model.
Threading: coroutines on the engine loop (httpx async), no threads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from studio.backends.contracts import BackendInfo, ChatMessage, ChatOptions
from studio.backends.openai_http import (
    ServerError,
    bearer,
    model_server_client,
    raise_for_answer,
    sse_events,
    unreachable,
)
from studio.backends.readiness import NotReady, passes
from studio.backends.served_models import ModelResolver, api_root
from studio.config import Settings

FIX = "start the server or point OPENAI_CHAT_URL at one"


class OpenAIChat:
    """The anchor's replies from an OpenAI-compatible chat server."""

    def __init__(self, settings: Settings, timeout_s: float | None = None) -> None:
        self._url = api_root(settings.OPENAI_CHAT_URL)
        self._model = settings.OPENAI_CHAT_MODEL
        self._context_tokens = settings.chat_context_tokens
        headers = bearer(settings.OPENAI_CHAT_API_KEY)
        self._client = model_server_client(self._url, timeout_s or settings.chat_timeout_s, headers)
        self._served = ModelResolver(
            self._client, "chat server", self._url, self._model, "OPENAI_CHAT_MODEL", FIX
        )
        self.info = BackendInfo(
            name=f"OpenAI-compatible chat {self._model or '(server default)'}", detail=self._url
        )

    async def model(self) -> str:
        """The id the server serves for the configured model (discovered once, again after a 404)."""
        return await self._served.model()

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
                if response.status_code == 404:
                    self._served.forget()
                await raise_for_answer(f"chat server at {self._url}", response)
                async for event in sse_events(response):
                    for choice in event.get("choices") or []:
                        content = (choice.get("delta") or {}).get("content")
                        if content:
                            yield content
        except httpx.TransportError as exc:
            raise unreachable("chat server", self._url, exc, FIX) from exc

    async def preflight(self) -> None:
        """The server answers and serves the model (vLLM and llama.cpp list /v1/models); else NotReady."""
        try:
            await self._served.refresh()
        except (ConnectionError, ServerError) as exc:
            raise NotReady(str(exc)) from None

    async def health(self) -> bool:
        """True when the server answers and serves the model."""
        return await passes(self)

    async def aclose(self) -> None:
        await self._client.aclose()
