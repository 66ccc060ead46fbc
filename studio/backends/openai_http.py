"""Shared plumbing for the GPU stack's HTTP clients: SSE lines, error messages (probes: studio.probe).

Threading: coroutines awaited on the engine loop (httpx async client), no threads.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

CONNECT_TIMEOUT_S = 3.0
# vLLM's API server is uvicorn, which closes a connection idle for VLLM_HTTP_TIMEOUT_KEEP_ALIVE
# (5 s by default). A client that keeps it as long (httpx's default) can send a request on it just
# as the server closes it: "Server disconnected without sending a response", a lost STT final or
# reply. Dropping idle connections well before the server does leaves no such moment.
KEEPALIVE_EXPIRY_S = 2.0


class ServerError(RuntimeError):
    """A model server answered, but with an error; the message names the server and its reason."""


def client_timeout(read_s: float) -> httpx.Timeout:
    """Connect quickly (a dead server must fail fast), read as long as one step may take."""
    return httpx.Timeout(read_s, connect=CONNECT_TIMEOUT_S)


def model_server_client(url: str, read_s: float, headers: dict[str, str]) -> httpx.AsyncClient:
    """The async client for one model server: fast connect, `read_s` reads, idle connections short-lived."""
    limits = httpx.Limits(
        max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY_S
    )
    return httpx.AsyncClient(base_url=url, timeout=client_timeout(read_s), headers=headers, limits=limits)


def unreachable(what: str, url: str, exc: BaseException, fix: str) -> ConnectionError:
    """The one error every client raises when its server is down or dies mid-stream."""
    reason = str(exc) or type(exc).__name__
    return ConnectionError(f"{what} at {url} is unreachable ({reason}); {fix}")


async def raise_for_answer(what: str, response: httpx.Response) -> None:
    """ServerError with the server's own message for a non-2xx answer (streamed or not)."""
    if response.is_success:
        return
    body = (await response.aread()).decode(errors="replace")
    try:
        detail = json.loads(body)
        if isinstance(detail, dict):
            error = detail.get("error", detail.get("detail", detail.get("message", body)))
            body = error.get("message", str(error)) if isinstance(error, dict) else str(error)
    except ValueError:
        pass
    raise ServerError(f"{what} answered HTTP {response.status_code}: {body.strip()[:300]}")


async def sse_events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The JSON objects of a `data: ...` server-sent-event stream, until `data: [DONE]`."""
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue  # blank separators, comments, `event:` lines
        data = line[5:].strip()
        if data == "[DONE]":
            return
        if data:
            event = json.loads(data)
            if isinstance(event, dict) and "error" in event and not event.get("choices"):
                error = event["error"]
                message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
                raise ServerError(f"server error mid-stream: {message}")
            yield event


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for an API key (vLLM --api-key, our higgs host's token); none if empty."""
    return {"Authorization": f"Bearer {key}"} if key else {}
