"""Speech synthesis by higgs-audio v2 through an OpenAI-compatible `/v1/audio/speech` at HIGGS_AUDIO_URL.

Works with our host (`ai-anchor-studio host higgs`) and with Boson's `higgs-audio-vllm` server:
`{model, voice, input, response_format: "pcm"}` → raw s16le mono (24 kHz unless the server says
otherwise in `X-Sample-Rate`), streamed; chunks are yielded as they arrive. The voice is the
profile's content key on our host, which gets the reference clip uploaded when it lacks it
(studio.backends.higgs_voices), or the profile's name on Boson's server (a preset of that name:
`host export-voices`). `ensure_voice` is the stage's readiness check of the current voice (the
supervisor calls it before the stage says "ready" and after each voice switch).
`[SPEAKER0]`/`[SPEAKER1]` line tags pass through untouched. Closing the iterator (barge-in)
closes the HTTP response, which stops the synthesis on the server. The model id sent is the one
the server serves (`GET /v1/models`): Boson's image serves `higgs-audio-v2-generation-3B-base`
(its --served-model-name), not the HF path in HIGGS_AUDIO_MODEL_PATH.
Threading: coroutines on the engine loop (httpx async), no threads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import numpy as np

from studio.backends.contracts import AudioChunk, BackendInfo
from studio.backends.higgs_voices import HostVoices, unavailable_reason
from studio.backends.openai_http import (
    ServerError,
    bearer,
    model_server_client,
    raise_for_answer,
    unreachable,
)
from studio.backends.readiness import VOICE_ACTION, NotReady, passes
from studio.backends.served_models import ModelResolver, api_root
from studio.config import Settings
from studio.voices.profile import VoiceProfile

HIGGS_SAMPLE_RATE = 24_000
MIN_CHUNK_SAMPLES = 960  # 40 ms: smaller network reads are merged before they go to the engine
FIX = "start it with `ai-anchor-studio host higgs`, or point HIGGS_AUDIO_URL at a running server"


class PcmAssembler:
    """s16le bytes in arbitrary network pieces → float32 sample arrays (odd bytes carried over)."""

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, data: bytes) -> np.ndarray:
        data = self._carry + data
        usable = len(data) - len(data) % 2
        self._carry = data[usable:]
        return np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0


class HiggsSynthesizer:
    """The anchor's cloned voice, streamed from a higgs-audio speech server."""

    def __init__(self, settings: Settings, timeout_s: float | None = None) -> None:
        self._url = api_root(settings.HIGGS_AUDIO_URL)
        self._model = settings.HIGGS_AUDIO_MODEL_PATH
        headers = bearer(settings.HIGGS_AUDIO_API_KEY)
        self._client = model_server_client(self._url, timeout_s or settings.tts_timeout_s, headers)
        self._served = ModelResolver(
            self._client, "higgs-audio", self._url, self._model, "HIGGS_AUDIO_MODEL_PATH", FIX
        )
        self._voices = HostVoices(self._client, f"higgs-audio at {self._url}")
        self.info = BackendInfo(name="higgs-audio v2", detail=self._url)

    async def synthesize(self, text: str, voice: VoiceProfile) -> AsyncIterator[AudioChunk]:
        if not text.strip():
            return
        pcm = PcmAssembler()
        try:
            model = await self._served.model()
            voice_id = await self._voices.voice_id(voice)
            body = {"model": model, "voice": voice_id, "input": text, "response_format": "pcm"}
            async with self._client.stream("POST", "/v1/audio/speech", json=body) as response:
                if response.status_code == 404:  # model or voice gone (host restarted): ask again next time
                    self._served.forget()
                    self._voices.forget(voice_id)
                await raise_for_answer(f"higgs-audio at {self._url}", response)
                rate = int(response.headers.get("X-Sample-Rate", HIGGS_SAMPLE_RATE))
                pending: list[np.ndarray] = []
                held = 0
                async for data in response.aiter_raw():
                    samples = pcm.feed(data)
                    if len(samples):
                        pending.append(samples)
                        held += len(samples)
                    if held >= MIN_CHUNK_SAMPLES:
                        yield AudioChunk(np.concatenate(pending), rate)
                        pending, held = [], 0
                if held:
                    yield AudioChunk(np.concatenate(pending), rate)
        except httpx.TransportError as exc:
            raise unreachable("higgs-audio", self._url, exc, FIX) from exc

    async def preflight(self) -> None:
        """The server answers and serves a higgs model (the id it serves is remembered); else NotReady."""
        try:
            await self._served.refresh()
        except (ConnectionError, ServerError) as exc:
            raise NotReady(str(exc)) from None

    async def ensure_voice(self, voice: VoiceProfile) -> None:
        """The server has `voice` (uploaded now if it lacked it), so a "ready" stage can speak it;
        else NotReady: amber with the voice and the fix, or down when the server is unreachable."""
        try:
            await self._voices.ensure(voice)
        except httpx.TransportError as exc:
            raise NotReady(str(unreachable("higgs-audio", self._url, exc, FIX))) from None
        except (ServerError, ValueError) as exc:  # refused, too big, server error, unreadable clip
            reason = unavailable_reason(voice, f"higgs-audio at {self._url}", str(exc))
            raise NotReady(reason, state="degraded", action=VOICE_ACTION) from None

    async def health(self) -> bool:
        """True when the speech server answers and serves the model."""
        return await passes(self)

    async def aclose(self) -> None:
        await self._client.aclose()
