"""Speech-to-text by Voxtral on vLLM: OpenAI-compatible `/v1/audio/transcriptions` at VOXTRAL_URL.

Each recognition uploads the utterance so far as a 16 kHz WAV (multipart) at temperature 0.
Partials use `stream=true`: the server's `transcription.chunk` deltas are exposed as growing
partial transcripts (`TranscriptionSession.partials`). With language `auto` the final asks for
`verbose_json` to learn the language (a server that refuses it gets plain `json` from then on).
vLLM answers verbose_json with the request's language and defaults it to "en" for a model that
does not detect languages, so an unasked "en" is vLLM's default, not a detection; any other
language reported unasked was detected, and only that may change the voice (Transcript.detected).
The model id is the one the server serves (`GET /v1/models`, studio.backends.served_models): vLLM
started with `--served-model-name` is found without configuring the short name.
Threading: coroutines on the engine loop (httpx async); the WAV encoding is cheap and inline.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import numpy as np
import soundfile

from studio.backends.contracts import INPUT_SAMPLE_RATE, BackendInfo, Transcript
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

#: The languages Voxtral-Mini-3B transcribes (ISO-639-1).
VOXTRAL_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "hi")
MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # vLLM's VLLM_MAX_AUDIO_CLIP_FILESIZE_MB default
VLLM_DEFAULT_LANGUAGE = "en"  # what vLLM assumes (and reports) when a request names no language
MIN_SAMPLES = INPUT_SAMPLE_RATE // 10
FIX = "start it with `ai-anchor-studio host up`, or point VOXTRAL_URL at a running vLLM"


def wav_bytes(audio: np.ndarray) -> bytes:
    """16 kHz mono PCM16 WAV of float32 samples in [-1, 1]."""
    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(audio, -1.0, 1.0), INPUT_SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


class VoxtralSession:
    """One utterance: audio accumulates; each recognition uploads all of it (cached by length)."""

    stops_on_cancel = True  # a cancelled recognition closes its request: vLLM aborts it at once

    def __init__(self, owner: VoxtralSpeechToText, language: str | None) -> None:
        self._owner = owner
        self._language = language
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._cached: tuple[int, Transcript] | None = None
        self._lock = asyncio.Lock()

    def append(self, audio: np.ndarray) -> None:
        samples = np.array(audio, dtype=np.float32).reshape(-1)
        if len(samples):
            self._chunks.append(samples)
            self._samples += len(samples)

    def _audio(self) -> np.ndarray:
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0] if self._chunks else np.zeros(0, np.float32)

    async def partials(self) -> AsyncIterator[Transcript]:
        """Growing partial transcripts of all audio so far, one per streamed delta."""
        seconds = self._samples / INPUT_SAMPLE_RATE
        text = ""
        async for delta in self._owner.stream_text(self._audio(), self._language):
            text += delta
            yield Transcript(text.strip(), False, self._language, seconds)

    async def partial(self) -> Transcript:
        async with self._lock:
            if self._cached is not None and self._cached[0] == self._samples:
                return replace(self._cached[1], is_final=False)
            latest = Transcript("", False, self._language, self._samples / INPUT_SAMPLE_RATE)
            async for latest in self.partials():  # noqa: B007 - the last one is the answer
                pass
            return latest

    async def speculate(self) -> Transcript:
        """The host paused: the final over the audio so far, kept for `finalize` (one upload, not two)."""
        return replace(await self.finalize(), is_final=False)

    async def finalize(self) -> Transcript:
        async with self._lock:
            if self._cached is not None and self._cached[0] == self._samples:
                return self._cached[1]
            covered = self._samples  # audio appended while it is recognised is not in this final
            final = await self._owner.transcribe(self._audio(), self._language)
            self._cached = (covered, final)
            return final

    async def aclose(self) -> None:
        self._chunks.clear()


class VoxtralSpeechToText:
    """Voxtral-Mini-3B behind vLLM: 8 languages, language given or detected."""

    def __init__(self, settings: Settings, timeout_s: float | None = None) -> None:
        self._url = api_root(settings.VOXTRAL_URL)
        self._model = settings.VOXTRAL_MODEL_PATH
        self._language = None if settings.stt_language == "auto" else settings.stt_language
        headers = bearer(settings.VOXTRAL_API_KEY)
        self._client = model_server_client(self._url, timeout_s or settings.stt_timeout_s, headers)
        self._served = ModelResolver(
            self._client, "Voxtral", self._url, self._model, "VOXTRAL_MODEL_PATH", FIX
        )
        self._verbose_ok = True  # False once the server refused verbose_json
        self.info = BackendInfo(name=f"Voxtral ({self._model})", detail=self._url)

    async def _checked(self, response: httpx.Response) -> None:
        """Raise for an error answer; a 404 (model gone after a restart) makes us discover again."""
        if response.status_code == 404:
            self._served.forget()
        await raise_for_answer(f"Voxtral at {self._url}", response)

    async def _form(self, language: str | None, response_format: str, stream: bool) -> dict[str, str]:
        model = await self._served.model()
        form = {"model": model, "temperature": "0.0", "response_format": response_format}
        if language:
            form["language"] = language
        if stream:
            form["stream"] = "true"
        return form

    def _files(self, audio: np.ndarray) -> dict[str, tuple[str, bytes, str]]:
        data = wav_bytes(audio)
        if len(data) > MAX_UPLOAD_BYTES:
            seconds = len(audio) / INPUT_SAMPLE_RATE
            raise ValueError(f"utterance of {seconds:.0f} s is over vLLM's 25 MB upload cap")
        return {"file": ("utterance.wav", data, "audio/wav")}

    async def stream_text(self, audio: np.ndarray, language: str | None = None) -> AsyncIterator[str]:
        """Text deltas of a streamed transcription (`transcription.chunk` events)."""
        if len(audio) < MIN_SAMPLES:
            return
        language = language or self._language
        try:
            request = self._client.build_request(
                "POST",
                "/v1/audio/transcriptions",
                data=await self._form(language, "json", stream=True),
                files=self._files(audio),
            )
            response = await self._client.send(request, stream=True)
            try:
                await self._checked(response)
                async for event in sse_events(response):
                    for choice in event.get("choices") or []:
                        content = (choice.get("delta") or {}).get("content")
                        if content:
                            yield content
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise unreachable("Voxtral", self._url, exc, FIX) from exc

    async def _post(self, audio: np.ndarray, language: str | None, response_format: str) -> httpx.Response:
        try:
            return await self._client.post(
                "/v1/audio/transcriptions",
                data=await self._form(language, response_format, stream=False),
                files=self._files(audio),
            )
        except httpx.TransportError as exc:
            raise unreachable("Voxtral", self._url, exc, FIX) from exc

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        seconds = len(samples) / INPUT_SAMPLE_RATE
        language = language or self._language
        if len(samples) < MIN_SAMPLES:
            return Transcript("", True, language, seconds)
        verbose = language is None and self._verbose_ok
        response = await self._post(samples, language, "verbose_json" if verbose else "json")
        if verbose and response.status_code in (400, 422):
            self._verbose_ok = False  # this server has no verbose_json for this model
            response = await self._post(samples, language, "json")
        await self._checked(response)
        try:
            body = response.json()
            text = str(body["text"]).strip()
        except (ValueError, KeyError, TypeError) as exc:
            raise ServerError(f"Voxtral at {self._url} sent no transcription text ({exc})") from None
        reported = normalise_language(body.get("language") if isinstance(body.get("language"), str) else None)
        detected = language is None and reported not in (None, VLLM_DEFAULT_LANGUAGE)
        return Transcript(text, True, reported or language, seconds, detected)

    def start_session(self, language: str | None = None) -> VoxtralSession:
        return VoxtralSession(self, language or self._language)

    async def preflight(self) -> None:
        """The server answers and serves our model (its served id is remembered); else NotReady."""
        try:
            await self._served.refresh()
        except (ConnectionError, ServerError) as exc:
            raise NotReady(str(exc)) from None

    async def health(self) -> bool:
        """True when vLLM answers and serves the model (a restart with another model fails it)."""
        return await passes(self)

    async def aclose(self) -> None:
        await self._client.aclose()


_LANGUAGE_NAMES = {
    "english": "en",
    "french": "fr",
    "german": "de",
    "spanish": "es",
    "italian": "it",
    "portuguese": "pt",
    "dutch": "nl",
    "hindi": "hi",
}


def normalise_language(value: str | None) -> str | None:
    """ISO-639-1 code from what a server reports ("en", "English", "en-US")."""
    if not value:
        return None
    value = value.strip().lower()
    return _LANGUAGE_NAMES.get(value) or value.split("-")[0][:2] or None
