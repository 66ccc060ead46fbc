"""The stand-in for a stage whose backend could not be created: the show starts without it, degraded.

It answers every contract call with `NotReady` (the supervisor turns that into the stage's
fallback), and its `health()` tries the load again — once, however often it is asked, and off the
loop — then the backend's own preflight; once both pass, every call goes to the loaded backend and
the stage turns ready by itself. An in-process model that is missing (the demo chat model's
weights) is the same case as a server that is down: one red light, never a dead studio.
Threading: contract calls on the engine loop; the load runs in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import numpy as np

from studio.backends.contracts import (
    AudioChunk,
    BackendInfo,
    ChatMessage,
    ChatOptions,
    Transcript,
    TranscriptionSession,
)
from studio.backends.readiness import NotReady, passes
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
VAD_FRAME_SAMPLES = 512  # Silero's 32 ms at 16 kHz: the frame the energy fallback is fed meanwhile


class Unavailable:
    """A backend that failed to load; retries the load when its health is checked."""

    def __init__(self, stage: str, name: str, reason: str, load: Callable[[], Any]) -> None:
        self.stage, self.name, self.reason = stage, name, reason
        self._load = load
        self.loaded: Any = None
        self._loading: asyncio.Future[Any] | None = None

    @property
    def info(self) -> BackendInfo:
        if self.loaded is not None:
            return self.loaded.info
        return BackendInfo(name=f"{self.name} (not loaded)", detail=self.reason)

    @property
    def frame_samples(self) -> int:
        return self.loaded.frame_samples if self.loaded is not None else VAD_FRAME_SAMPLES

    def _backend(self) -> Any:
        if self.loaded is None:
            raise NotReady(f"{self.stage} backend {self.name!r} is not loaded: {self.reason}")
        return self.loaded

    # ----- the five contracts, forwarded once loaded -------------------------------------------
    def speech_probability(self, frame: np.ndarray) -> float:
        return self._backend().speech_probability(frame)

    def reset(self) -> None:
        if self.loaded is not None:
            self.loaded.reset()

    def start_session(self, language: str | None = None) -> TranscriptionSession:
        return self._backend().start_session(language)

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        return await self._backend().transcribe(audio, language)

    async def completion_probability(self, audio: np.ndarray, transcript: str | None) -> float:
        return await self._backend().completion_probability(audio, transcript)

    async def stream_reply(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[str]:
        async with contextlib.aclosing(self._backend().stream_reply(messages, options)) as pieces:
            async for piece in pieces:
                yield piece

    async def synthesize(self, text: str, voice: VoiceProfile) -> AsyncIterator[AudioChunk]:
        async with contextlib.aclosing(self._backend().synthesize(text, voice)) as chunks:
            async for chunk in chunks:
                yield chunk

    # ----- recovery -----------------------------------------------------------------------------
    async def health(self) -> bool:
        """Load again (one attempt at a time, shielded from the caller's timeout), then preflight."""
        if self.loaded is None:
            if self._loading is None or self._loading.done():
                self._loading = asyncio.ensure_future(asyncio.to_thread(self._load))
            try:
                self.loaded = await asyncio.shield(self._loading)
            except Exception as exc:  # still missing: keep the newest reason for the tooltip
                self.reason = str(exc) or type(exc).__name__
                return False
            log.info("%s backend %r loaded after all", self.stage, self.name)
        own = getattr(self.loaded, "health", None)
        return await own() if own is not None else await passes(self.loaded)

    async def ensure_voice(self, voice: VoiceProfile) -> None:
        """The loaded backend's voice check, if it has one (until it loads, `health` fails anyway)."""
        check = getattr(self.loaded, "ensure_voice", None)
        if check is not None:
            await check(voice)

    async def aclose(self) -> None:
        closer = getattr(self.loaded, "aclose", None)
        if closer is not None:
            await closer()
