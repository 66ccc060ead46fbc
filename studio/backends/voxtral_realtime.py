"""Streaming speech-to-text by a realtime Voxtral on vLLM's `/v1/realtime` WebSocket.

One WebSocket per utterance: server `session.created`; client `session.update{model}`, an empty
`input_audio_buffer.commit` that starts transcription, then `input_audio_buffer.append{audio:
base64 PCM16 mono 16 kHz}` as the host speaks, and `input_audio_buffer.commit{final: true}` at the
end of the turn; the server streams `transcription.delta{delta}` and ends with
`transcription.done{text}`. Partials are the deltas received so far: no request per partial.
The model named in `session.update` is the id the server serves (`GET /v1/models`).
Threading: `append` is called on the engine loop and only queues; one task per session on that
loop sends audio and reads events (aiohttp WebSocket).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from typing import Any

import aiohttp
import numpy as np

from studio.audio.wavwriter import pcm16
from studio.backends.contracts import INPUT_SAMPLE_RATE, BackendInfo, Transcript
from studio.backends.openai_http import ServerError, bearer, model_server_client
from studio.backends.readiness import NotReady, passes
from studio.backends.served_models import ModelResolver, api_root
from studio.config import Settings

FIX = "start the realtime Voxtral server, or point VOXTRAL_URL at one"
_END = object()


def pcm16_base64(audio: np.ndarray) -> str:
    """float32 [-1, 1] → base64 of little-endian PCM16, as the realtime API expects."""
    return base64.b64encode(pcm16(audio)).decode("ascii")


def websocket_url(http_url: str) -> str:
    """`http://host:8000` (or `.../v1/`) → `ws://host:8000/v1/realtime` (https → wss)."""
    scheme, rest = api_root(http_url).split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest.rstrip('/')}/v1/realtime"


class RealtimeSession:
    """One utterance streamed over its own WebSocket while the host speaks."""

    def __init__(self, owner: VoxtralRealtimeSpeechToText, language: str | None) -> None:
        self._owner = owner
        self._language = language
        self._outbox: asyncio.Queue[Any] = asyncio.Queue()
        self._text = ""
        self._final: str | None = None
        self._samples = 0
        self._error: BaseException | None = None
        self._done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _ensure_started(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def append(self, audio: np.ndarray) -> None:
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        if len(samples):
            self._samples += len(samples)
            self._outbox.put_nowait(pcm16_base64(samples))
            self._ensure_started()

    def _transcript(self, text: str, final: bool) -> Transcript:
        return Transcript(text.strip(), final, self._language, self._samples / INPUT_SAMPLE_RATE)

    async def partial(self) -> Transcript:
        if self._error is not None:
            raise self._error
        return self._transcript(self._text, False)

    async def finalize(self) -> Transcript:
        if self._task is None:
            return self._transcript("", True)
        self._outbox.put_nowait(_END)
        try:
            await asyncio.wait_for(self._done.wait(), self._owner.timeout_s)
        except TimeoutError:
            raise TimeoutError(
                f"realtime Voxtral at {self._owner.url} sent no transcription.done within "
                f"{self._owner.timeout_s:.0f} s; check the server's log"
            ) from None
        if self._error is not None:
            raise self._error
        return self._transcript(self._final if self._final is not None else self._text, True)

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        url = self._owner.url
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.ws_connect(websocket_url(url), heartbeat=10.0, headers=self._owner.headers) as ws,
            ):
                await self._expect_created(ws)
                model = await self._owner.served.model()
                update: dict[str, Any] = {"type": "session.update", "model": model}
                if self._language:
                    update["language"] = self._language
                await ws.send_json(update)
                await ws.send_json({"type": "input_audio_buffer.commit"})
                reader = asyncio.create_task(self._read(ws))
                sender = asyncio.create_task(self._send(ws))
                try:
                    done, _ = await asyncio.wait({reader, sender}, return_when=asyncio.FIRST_COMPLETED)
                    if reader not in done:
                        sender.result()
                        await reader
                    reader.result()
                finally:
                    reader.cancel()
                    sender.cancel()
        except (aiohttp.ClientError, ConnectionError, OSError) as exc:
            self._error = ConnectionError(f"realtime Voxtral at {url} is unreachable ({exc}); {FIX}")
        except ServerError as exc:
            self._owner.served.forget()  # e.g. restarted with other models: discover again next time
            self._error = exc
        finally:
            self._done.set()

    async def _expect_created(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        event = await ws.receive_json(timeout=self._owner.timeout_s)
        if event.get("type") == "error":
            raise ServerError(f"realtime Voxtral refused the session: {event.get('error')}")

    async def _send(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while (item := await self._outbox.get()) is not _END:
            await ws.send_json({"type": "input_audio_buffer.append", "audio": item})
        await ws.send_json({"type": "input_audio_buffer.commit", "final": True})

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            event = json.loads(message.data)
            kind = event.get("type")
            if kind == "transcription.delta":
                self._text += str(event.get("delta", ""))
            elif kind == "transcription.done":
                self._final = str(event.get("text", self._text))
                return
            elif kind == "error":
                raise ServerError(f"realtime Voxtral error {event.get('code', '')}: {event.get('error')}")
        raise ConnectionError("the server closed the WebSocket before transcription.done")


class VoxtralRealtimeSpeechToText:
    """Voxtral-Mini-4B-Realtime on vLLM: text streams back while the host is still talking."""

    def __init__(self, settings: Settings, timeout_s: float | None = None) -> None:
        self.url = api_root(settings.VOXTRAL_URL)
        self.model = settings.VOXTRAL_REALTIME_MODEL_PATH
        self.timeout_s = timeout_s or settings.stt_timeout_s
        self.headers = bearer(settings.VOXTRAL_API_KEY)
        self._http = model_server_client(self.url, self.timeout_s, self.headers)
        self.served = ModelResolver(
            self._http, "realtime Voxtral", self.url, self.model, "VOXTRAL_REALTIME_MODEL_PATH", FIX
        )
        self._language = None if settings.stt_language == "auto" else settings.stt_language
        self.info = BackendInfo(name=f"Voxtral realtime ({self.model})", detail=websocket_url(self.url))

    def start_session(self, language: str | None = None) -> RealtimeSession:
        return RealtimeSession(self, language or self._language)

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        session = self.start_session(language)
        try:
            session.append(audio)
            return await session.finalize()
        finally:
            await session.aclose()

    async def preflight(self) -> None:
        """The server answers and serves the realtime model; else NotReady with what it serves."""
        try:
            await self.served.refresh()
        except (ConnectionError, ServerError) as exc:
            raise NotReady(str(exc)) from None

    async def health(self) -> bool:
        """True when vLLM answers and serves the realtime model."""
        return await passes(self)

    async def aclose(self) -> None:
        await self._http.aclose()
