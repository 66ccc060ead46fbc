"""Instrumented backends with fixed, known delays: the engine's own overhead is what remains.

They honour the real contracts (streaming, cancellation) and produce real signals (a tone whose
length follows the text), so the engine cannot tell them from models. Used by `bench` and tests.
Threading: coroutines on the engine loop; delays are loop timers, no worker threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import numpy as np

from studio.backends.contracts import (
    INPUT_SAMPLE_RATE,
    AudioChunk,
    BackendInfo,
    ChatMessage,
    ChatOptions,
    Transcript,
)
from studio.voices.profile import VoiceProfile


@dataclass(frozen=True, slots=True)
class Delays:
    """The fixed costs each instrumented stage adds (seconds)."""

    stt: float = 0.100
    turn: float = 0.020
    llm_first_token: float = 0.100
    llm_token: float = 0.010
    tts_first_chunk: float = 0.050
    tts_chunk_seconds: float = 0.5


SPEECH_FLOOR = 0.02  # |sample| above this (-34 dBFS) is speech (as the peer bench finds a question's end)


class EnergyVoiceActivity:
    """Speech = frame RMS above a threshold; exact on clean synthetic or studio audio."""

    info = BackendInfo(name="energy VAD (instrumented)")
    frame_samples = 512

    def __init__(self, threshold_rms: float = 0.01) -> None:
        self._threshold = threshold_rms

    def speech_probability(self, frame: np.ndarray) -> float:
        return 1.0 if float(np.sqrt(np.mean(np.square(frame)))) >= self._threshold else 0.0

    def reset(self) -> None:
        return None


class _FixedSession:
    stops_on_cancel = True  # its delay is a loop timer: a cancelled recognition frees it at once

    def __init__(self, owner: FixedDelaySpeechToText) -> None:
        self._owner = owner
        self.samples = 0
        self.speech_samples = 0

    def append(self, audio: np.ndarray) -> None:
        self.samples += len(audio)
        self.speech_samples += self._owner.speech_in(audio)

    async def partial(self) -> Transcript:
        return await self._recognise(False)

    async def finalize(self) -> Transcript:
        return await self._recognise(True)

    async def _recognise(self, final: bool) -> Transcript:
        """The audio as it is now (what comes during the delay is not heard), after the delay."""
        text, seconds = self._owner.text_for(self.speech_samples), self.samples / INPUT_SAMPLE_RATE
        await asyncio.sleep(self._owner.delay)
        return Transcript(text, final, "en", seconds)

    async def aclose(self) -> None:
        return None


class _KeepingSession(_FixedSession):
    """Like the Voxtral session: one recognition at a time; the speculative final is kept and a
    finalize over the same audio returns it without a second recognition."""

    def __init__(self, owner: FixedDelaySpeechToText) -> None:
        super().__init__(owner)
        self._lock = asyncio.Lock()
        self._kept: tuple[int, Transcript] | None = None

    async def partial(self) -> Transcript:
        async with self._lock:
            return await super().partial()

    async def speculate(self) -> Transcript:
        final = await self.finalize()
        return Transcript(final.text, False, final.language, final.audio_seconds)

    async def finalize(self) -> Transcript:
        async with self._lock:
            covered = self.samples
            if self._kept is None or self._kept[0] != covered:
                self._kept = (covered, await super().finalize())
            return self._kept[1]


class FixedDelaySpeechToText:
    """Returns `text` after `delay` seconds for any audio (`keeps_final`: sessions that behave like
    the Voxtral client's, for the GPU simulation). `counts_speech`: the text also says how many
    samples of speech (|x| > SPEECH_FLOOR) it heard, so a recognition begun before the host's last
    word reads differently from the whole line's, as a model's would."""

    info = BackendInfo(name="fixed-delay STT (instrumented)")

    def __init__(
        self,
        text: str = "What is the weather like tonight?",
        delay: float = 0.1,
        keeps_final: bool = False,
        counts_speech: bool = False,
    ) -> None:
        self.text, self.delay, self.keeps_final = text, delay, keeps_final
        self.counts_speech = counts_speech

    def speech_in(self, audio: np.ndarray) -> int:
        return int(np.count_nonzero(np.abs(audio) > SPEECH_FLOOR)) if self.counts_speech else 0

    def text_for(self, speech_samples: int) -> str:
        return f"{self.text} [{speech_samples} samples of speech]" if self.counts_speech else self.text

    def start_session(self, language: str | None = None) -> _FixedSession:
        return _KeepingSession(self) if self.keeps_final else _FixedSession(self)

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        await asyncio.sleep(self.delay)
        text = self.text_for(self.speech_in(audio))
        return Transcript(text, True, language, len(audio) / INPUT_SAMPLE_RATE)


class FixedDelayTurnDetector:
    """Always says 'complete' after `delay` seconds."""

    info = BackendInfo(name="fixed-delay end-of-turn (instrumented)")

    def __init__(self, delay: float = 0.02, probability: float = 0.9) -> None:
        self.delay, self.probability = delay, probability

    async def completion_probability(self, audio: np.ndarray, transcript: str | None) -> float:
        await asyncio.sleep(self.delay)
        return self.probability


class FixedDelayChat:
    """Streams a fixed reply word by word: first after `first`, then one per `per_token`."""

    info = BackendInfo(name="fixed-delay chat (instrumented)")

    def __init__(self, reply: str, first: float = 0.1, per_token: float = 0.01) -> None:
        self.reply, self.first, self.per_token = reply, first, per_token
        self.requests: list[list[ChatMessage]] = []
        self.cancelled = 0

    async def stream_reply(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[str]:
        self.requests.append(list(messages))
        try:
            await asyncio.sleep(self.first)
            for index, word in enumerate(self.reply.split(" ")):
                if index:
                    await asyncio.sleep(self.per_token)
                yield word if index == 0 else " " + word
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled += 1
            raise


class FixedDelaySynthesizer:
    """A 220 Hz tone, 60 ms per character, in chunks; first chunk after `first` seconds."""

    info = BackendInfo(name="fixed-delay TTS (instrumented)")
    sample_rate = 24_000

    def __init__(self, first: float = 0.05, chunk_seconds: float = 0.5) -> None:
        self.first, self.chunk_seconds = first, chunk_seconds
        self.cancelled = 0

    async def synthesize(self, text: str, voice: VoiceProfile) -> AsyncIterator[AudioChunk]:
        total = int(0.06 * len(text) * self.sample_rate)
        step = int(self.chunk_seconds * self.sample_rate)
        t = np.arange(total, dtype=np.float32) / self.sample_rate
        tone = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
        try:
            await asyncio.sleep(self.first)
            for start in range(0, total, step):
                yield AudioChunk(tone[start : start + step], self.sample_rate)
                await asyncio.sleep(0)
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled += 1
            raise
