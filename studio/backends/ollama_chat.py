"""Chat through an Ollama server (`/api/chat`, streamed NDJSON) with the official `ollama` client.

Threading: async HTTP on the engine loop, no threads. Closing the reply iterator closes the
streaming response (and its connection), which makes Ollama stop generating. The model is asked
to stay resident (keep_alive=-1) so a reply never waits for a load, with num_ctx =
chat_context_tokens (on the gpu stack the registry sets it to what the memory plan gives the chat
model, as `host up` gives Ollama: studio.gpu.stack_plan.planned_settings). Before the stage says
ready, `preflight` checks that the model is pulled: a missing model starts the stage amber with
"model not pulled" (and a pull offered), never green.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from studio.backends.contracts import BackendInfo, ChatMessage, ChatOptions
from studio.backends.ollama_admin import OllamaAdmin, OllamaError
from studio.backends.readiness import NotReady, passes
from studio.config import Settings

PULL_ACTION = "pull"  # NotReady.action: the window offers a Pull button, `host pull` does it in a terminal


class OllamaChat:
    """The anchor's replies from whichever model an Ollama server holds."""

    def __init__(self, settings: Settings) -> None:
        import ollama

        self._host = settings.OLLAMA_HOST
        self._model = settings.OLLAMA_MODEL_NAME
        self._context_tokens = settings.chat_context_tokens  # always sent: Ollama's default varies
        self._client = ollama.AsyncClient(host=self._host)
        self.info = BackendInfo(
            name=f"Ollama {self._model}", detail=f"{self._host}, num_ctx {self._context_tokens}"
        )

    def request_options(self, options: ChatOptions) -> dict[str, Any]:
        """The `options` object of the /api/chat request."""
        values: dict[str, Any] = {
            "num_ctx": self._context_tokens,
            "num_predict": options.max_tokens,
            "temperature": options.temperature,
        }
        if options.seed is not None:
            values["seed"] = options.seed
        return values

    async def stream_reply(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[str]:
        """Yield the reply's text pieces; a server that cannot be reached raises ConnectionError."""
        stream = await self._client.chat(
            model=self._model,
            messages=[{"role": m.role, "content": m.content} for m in messages],
            stream=True,
            options=self.request_options(options),
            keep_alive=-1,
        )
        try:
            async for part in stream:
                content = part.message.content if part.message is not None else None
                if content:
                    yield content
        except httpx.TransportError as exc:
            raise ConnectionError(f"Ollama at {self._host} is unreachable: {exc}") from exc
        finally:
            await stream.aclose()  # closes the HTTP response: Ollama stops generating

    async def preflight(self) -> None:
        """Ollama answers and has the model pulled; else NotReady (amber "not pulled", or down)."""
        try:
            pulled = await OllamaAdmin(self._host).pulled(self._model)
        except OllamaError as exc:
            raise NotReady(str(exc)) from None
        if not pulled:
            raise NotReady(
                f"model not pulled: {self._model} is not in Ollama at {self._host}; "
                "pull it (Pull button, or `ai-anchor-studio host pull`)",
                state="degraded",
                action=PULL_ACTION,
            )

    async def health(self) -> bool:
        """True when the server answers and has the model pulled (cheap: no generation)."""
        return await passes(self)

    async def aclose(self) -> None:
        await self._client.close()
