"""OpenAI-compatible speech endpoint (`POST /v1/audio/speech`) that streams PCM as it is generated.

The server knows nothing about the model: a `SpeechEngine` yields float32 chunks for (text, voice)
from a blocking generator. One request is synthesised at a time (higgs' engine serves one), in the
server's single engine thread, and the next starts only once the previous one's generator has
closed (HiggsEngine joins its generation there). A client that hangs up sets the request's stop
event at once: serve the app with `handler_cancellation=True` (the host does), so aiohttp cancels
the handler when the connection drops instead of at its next write.
Responses: `pcm` = raw s16le mono at the engine's rate (header `X-Sample-Rate`), or `wav` (a WAV
header with open length, then the same PCM). Also `/health`, `/v1/models`, `/v1/audio/voices`, and
voice lookup/upload with the host's token (studio.hosts.voice_routes).
Threading: aiohttp handlers on the host's event loop; synthesis in one worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np
from aiohttp import web

from studio.audio.wavwriter import pcm16, wav_header
from studio.hosts.voice_routes import MAX_CLIP_BYTES, VoiceRoutes, token_guard
from studio.hosts.voice_routes import error as _error

log = logging.getLogger(__name__)


class SpeechEngine(Protocol):
    """What the speech server drives: a model that speaks text in one of its voices."""

    sample_rate: int
    model_name: str

    def voices(self) -> list[str]:
        """Names accepted as `voice`."""

    def stream(self, text: str, voice: str, stop: threading.Event) -> Iterator[np.ndarray]:
        """Blocking: yield mono float32 chunks for `text`; stop early once `stop` is set."""


class UnknownVoice(KeyError):
    """The request named a voice the engine does not have."""


class SpeechServer:
    """The aiohttp application around one SpeechEngine."""

    def __init__(self, engine: SpeechEngine, token: str = "") -> None:
        self.engine = engine
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech-engine")
        self._busy = asyncio.Lock()
        self.app = web.Application(
            client_max_size=MAX_CLIP_BYTES + 1024 * 1024, middlewares=[token_guard(token)]
        )
        self.app.add_routes(
            [
                web.get("/health", self._health),
                web.get("/v1/models", self._models),
                web.get("/v1/audio/voices", self._voices),
                web.post("/v1/audio/speech", self._speech),
                *VoiceRoutes(engine, token).routes(),
            ]
        )
        self.app.on_cleanup.append(self._shutdown)

    async def _shutdown(self, _app: web.Application) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _models(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": self.engine.model_name, "object": "model"}]}
        )

    async def _voices(self, _request: web.Request) -> web.Response:
        return web.json_response({"voices": self.engine.voices()})

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        try:
            body: dict[str, Any] = await request.json()
            text = str(body["input"])
        except (ValueError, KeyError, TypeError):
            return _error(400, "body must be JSON with an 'input' text")
        voice = str(body.get("voice") or "")
        form = str(body.get("response_format") or "pcm")
        if form not in ("pcm", "wav"):
            return _error(400, f"response_format {form!r} is not supported (use pcm or wav)")
        if voice not in self.engine.voices():
            return _error(
                404, f"voice {voice!r} not found (known: {', '.join(self.engine.voices()) or 'none'})"
            )
        if not text.strip():
            return _error(400, "input is empty")
        async with self._busy:
            return await self._stream(request, text, voice, form)

    async def _stream(self, request: web.Request, text: str, voice: str, form: str) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()  # unbounded: the producer never blocks
        stop = threading.Event()
        end = object()

        def produce() -> None:
            try:
                with contextlib.closing(self.engine.stream(text, voice, stop)) as chunks:
                    for chunk in chunks:
                        if stop.is_set():
                            break
                        loop.call_soon_threadsafe(queue.put_nowait, chunk)
            except BaseException as exc:
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, end)

        rate = self.engine.sample_rate
        response = web.StreamResponse(
            headers={
                "Content-Type": "audio/wav" if form == "wav" else "audio/pcm",
                "X-Sample-Rate": str(rate),
            }
        )
        producer = loop.run_in_executor(self._executor, produce)
        try:
            first = await queue.get()
            if isinstance(first, BaseException):
                log.exception("synthesis failed", exc_info=first)
                return _error(500, f"synthesis failed: {first}")
            await response.prepare(request)
            if form == "wav":
                await response.write(wav_header(rate))
            item = first
            while item is not end:
                if isinstance(item, BaseException):
                    log.error("synthesis failed mid-stream: %s", item)
                    break  # the client sees a truncated stream (chunked encoding never ends cleanly)
                if len(item):
                    await response.write(pcm16(np.asarray(item, dtype=np.float32)))
                item = await queue.get()
            await response.write_eof()
            return response
        finally:
            stop.set()  # a client that hung up (handler cancelled) ends the generation at its next frame
            await asyncio.shield(producer)  # the lock is held until the engine has really stopped
