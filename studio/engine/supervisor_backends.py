"""Supervised stand-ins for the five backends: same contracts, but they never raise into the engine.

Each wraps one real backend, bounds every call by its stage's timeout, checks the answer, and on
failure reports to the stage's health and answers with the stage's fallback instead:
chat → a pre-written persona line, TTS → no audio (the engine shows a caption), STT → no text
(typed lines still work), end of turn → "not sure" (the silence timeout decides), VAD → an
energy threshold. A failed call is retried once where nothing has reached the audience yet.
Threading: engine loop only, like the contracts they implement.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import numpy as np

from studio.backends.contracts import (
    AudioChunk,
    BackendInfo,
    ChatMessage,
    ChatModel,
    ChatOptions,
    EndOfTurnDetector,
    SpeechSynthesizer,
    SpeechToText,
    Transcript,
    TranscriptionSession,
    VoiceActivityDetector,
)
from studio.engine.supervisor import StageFault, StageHealth, bounded_call, bounded_stream, describe_error
from studio.engine.supervisor_checks import (
    checked_audio,
    checked_probability,
    checked_text,
    checked_transcript,
)
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
ENERGY_SPEECH_RMS = 0.02  # the VAD fallback: frames louder than this count as speech


class _Supervised:
    """Shared plumbing: the wrapped backend, its health, and its resources released on close."""

    def __init__(self, inner: Any, health: StageHealth) -> None:
        self.inner, self.health = inner, health

    @property
    def info(self) -> BackendInfo:
        return self.inner.info

    async def aclose(self) -> None:
        closer = getattr(self.inner, "aclose", None)
        if closer is not None:
            await closer()


class SupervisedChat(_Supervised):
    """Streams the real reply; if the model fails before its first words, a persona line instead."""

    def __init__(self, inner: ChatModel, health: StageHealth, timeout: float, fallback: Callable[[], str]):
        super().__init__(inner, health)
        self._timeout, self._fallback = timeout, fallback

    async def stream_reply(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[str]:
        for attempt in range(2):
            if self.health.bypassed and attempt == 0:
                break
            produced = False
            pieces = bounded_stream(
                "chat", lambda: self.inner.stream_reply(messages, options), self._timeout, self._timeout
            )
            try:
                async with contextlib.aclosing(pieces):
                    async for piece in pieces:
                        text = checked_text("chat", piece)
                        if text:
                            produced = True
                            yield text
                self.health.succeeded()
                return
            except StageFault as fault:
                self.health.failed(fault)
                if produced:  # words already went out: end the reply where the model stopped
                    return
                if not fault.retryable:
                    break
        yield self._fallback()


class SupervisedSynthesizer(_Supervised):
    """Streams checked audio; when synthesis fails, yields nothing more (the engine captions it)."""

    def __init__(self, inner: SpeechSynthesizer, health: StageHealth, timeout: float) -> None:
        super().__init__(inner, health)
        self._timeout = timeout

    async def synthesize(self, text: str, voice: VoiceProfile) -> AsyncIterator[AudioChunk]:
        for attempt in range(2):
            if self.health.bypassed and attempt == 0:
                return
            produced = False
            chunks = bounded_stream(
                "tts", lambda: self.inner.synthesize(text, voice), self._timeout, self._timeout
            )
            try:
                async with contextlib.aclosing(chunks):
                    async for chunk in chunks:
                        clean = checked_audio("tts", chunk)
                        if clean is not None:
                            produced = True
                            yield clean
                self.health.succeeded()
                return
            except StageFault as fault:
                self.health.failed(fault)
                if produced or not fault.retryable:
                    return
                # Otherwise retry once: nothing of this clause has played yet.

    def __getattr__(self, name: str) -> Any:  # e.g. `sample_rate` of the real synthesizer
        return getattr(self.inner, name)


class _SilentSession:
    """A session that hears nothing: what the engine gets while speech-to-text is down."""

    def __init__(self, text: str = "") -> None:
        self._text = text

    def append(self, audio: np.ndarray) -> None:
        return None

    async def partial(self) -> Transcript:
        return Transcript(self._text, False)

    async def finalize(self) -> Transcript:
        return Transcript(self._text, True)

    async def aclose(self) -> None:
        return None


def _detected(result: Transcript) -> str | None:
    """The transcript's language when the recogniser detected it, else None (fixed or forced)."""
    return result.language if result.detected else None


class SupervisedSession:
    """One utterance's recognition; on failure it keeps the best text it had and stops asking."""

    def __init__(self, inner: TranscriptionSession, health: StageHealth, timeout: float) -> None:
        self._inner, self._health, self._timeout = inner, health, timeout
        self._broken = False
        self._text = ""
        self._language: str | None = None  # only a language the STT detected (not tiny.en's fixed "en")

    def append(self, audio: np.ndarray) -> None:
        if self._broken:
            return
        try:
            self._inner.append(audio)
        except Exception as exc:
            self._fail(StageFault("stt", describe_error(exc)))

    @property
    def stops_on_cancel(self) -> bool:
        """Whether cancelling a recognition frees the recogniser at once (see `Utterance`)."""
        return bool(getattr(self._inner, "stops_on_cancel", False))

    def _fail(self, fault: StageFault) -> None:
        self._broken = True
        self._health.failed(fault)

    async def partial(self) -> Transcript:
        return await self._hypothesis(self._inner.partial)

    async def speculate(self) -> Transcript:
        """The host paused: a recogniser that can make this its final does (see `Utterance`)."""
        return await self._hypothesis(getattr(self._inner, "speculate", self._inner.partial))

    async def _hypothesis(self, recognise: Callable[[], Awaitable[Transcript]]) -> Transcript:
        if not self._broken:
            try:
                result = checked_transcript("stt", await bounded_call("stt", recognise, self._timeout), False)
                self._text, self._language = result.text, _detected(result) or self._language
            except StageFault as fault:
                self._fail(fault)
        return Transcript(self._text, False, self._language, detected=self._language is not None)

    async def finalize(self) -> Transcript:
        for attempt in range(2):
            if self._broken:
                break
            try:
                result = checked_transcript(
                    "stt", await bounded_call("stt", self._inner.finalize, self._timeout), True
                )
                self._text, self._language = result.text, _detected(result) or self._language
                self._health.succeeded()
                break
            except StageFault as fault:
                if attempt or not fault.retryable:
                    self._fail(fault)
                else:
                    self._health.failed(fault)
        # after a failure: the last partial, maybe empty; the language only when it was detected,
        # so the engine follows the host into another language only on the STT's real evidence
        return Transcript(self._text, True, self._language, detected=self._language is not None)

    async def aclose(self) -> None:
        try:
            await bounded_call("stt", self._inner.aclose, self._timeout)
        except StageFault as fault:
            log.warning("stt session did not close cleanly: %s", fault.reason)


class SupervisedSpeechToText(_Supervised):
    """Opens supervised sessions; while the stage is down, sessions that hear nothing."""

    def __init__(self, inner: SpeechToText, health: StageHealth, timeout: float) -> None:
        super().__init__(inner, health)
        self._timeout = timeout

    def start_session(self, language: str | None = None) -> TranscriptionSession:
        if self.health.bypassed:
            return _SilentSession()
        try:
            return SupervisedSession(self.inner.start_session(language), self.health, self._timeout)
        except Exception as exc:
            self.health.failed(StageFault("stt", describe_error(exc)))
            return _SilentSession()

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        """A whole clip (voice references); a failure raises StageFault with a readable message."""
        make = lambda: self.inner.transcribe(audio, language)  # noqa: E731
        result = checked_transcript("stt", await bounded_call("stt", make, self._timeout), True)
        self.health.succeeded()
        return result


class SupervisedTurnDetector(_Supervised):
    """A bounded end-of-turn verdict; on failure "not sure", so the silence timeout ends the turn."""

    def __init__(self, inner: EndOfTurnDetector, health: StageHealth, timeout: float) -> None:
        super().__init__(inner, health)
        self._timeout = timeout

    async def completion_probability(self, audio: np.ndarray, transcript: str | None) -> float:
        if self.health.bypassed:
            return 0.0
        try:
            make = lambda: self.inner.completion_probability(audio, transcript)  # noqa: E731
            value = checked_probability("turn", await bounded_call("turn", make, self._timeout))
        except StageFault as fault:
            self.health.failed(fault)
            return 0.0
        self.health.succeeded()
        return value


class SupervisedVoiceActivity(_Supervised):
    """The real VAD, or a plain energy threshold while it fails (it runs inline: no timeout possible)."""

    def __init__(self, inner: VoiceActivityDetector, health: StageHealth) -> None:
        super().__init__(inner, health)
        self.frame_samples = inner.frame_samples

    def speech_probability(self, frame: np.ndarray) -> float:
        if not self.health.bypassed:
            try:
                return checked_probability("vad", self.inner.speech_probability(frame))
            except StageFault as fault:
                self.health.failed(fault)
            except Exception as exc:
                self.health.failed(StageFault("vad", describe_error(exc)))
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) if len(frame) else 0.0
        return 1.0 if rms >= ENERGY_SPEECH_RMS else 0.0

    def reset(self) -> None:
        with contextlib.suppress(Exception):
            self.inner.reset()
