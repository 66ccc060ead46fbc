"""One small contract per pipeline stage, so the engine never knows which model it drives.

Threading: every coroutine here is awaited on the engine's asyncio loop. Implementations that do
CPU work (onnxruntime, CTranslate2, torch) must move it off the loop (their own worker thread);
`VoiceActivityDetector.speech_probability` is the one synchronous call and must stay sub-millisecond.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from studio.audio.formats import INPUT_SAMPLE_RATE as INPUT_SAMPLE_RATE  # the contracts' input rate
from studio.voices.profile import VoiceProfile


@dataclass(frozen=True, slots=True)
class Transcript:
    """What the host said, as far as the recogniser can tell yet."""

    text: str
    is_final: bool
    language: str | None = None
    audio_seconds: float = 0.0
    # True only when the recogniser worked the language out from the audio; a fixed one (tiny.en's
    # "en", a forced stt_language, a server's default) is not a reason to follow the host's language
    detected: bool = False


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One line of the conversation in chat-model terms."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """Per-request knobs a chat backend honours where it can."""

    max_tokens: int = 160
    temperature: float = 0.7
    seed: int | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """A piece of synthesized speech: mono float32 in [-1, 1] at `sample_rate`."""

    samples: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """How a backend presents itself in logs, the CLI's JSON and the GUI's status lights."""

    name: str
    detail: str = ""
    demo_quality: bool = False
    extra: dict[str, str] = field(default_factory=dict)


class TranscriptionSession(Protocol):
    """One host utterance being recognised while it grows.

    Optional: `stops_on_cancel = True` where a cancelled recognition frees the recogniser at once
    (a server request): the engine then cancels a live partial for a final that cannot wait.
    """

    def append(self, audio: np.ndarray) -> None:
        """Add 16 kHz mono float32 samples to the utterance (cheap; no recognition here)."""

    async def partial(self) -> Transcript:
        """Best hypothesis over all audio appended so far."""

    async def finalize(self) -> Transcript:
        """Final text of the utterance; may reuse a partial that already covered all audio."""

    async def aclose(self) -> None:
        """Release whatever the session holds (sockets, buffers)."""


@runtime_checkable
class SpeechToText(Protocol):
    """Speech-to-text: partial results while the host speaks, then a final."""

    info: BackendInfo

    def start_session(self, language: str | None = None) -> TranscriptionSession:
        """Open a session for one utterance."""

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        """Recognise a whole clip at once (files, voice references)."""


@runtime_checkable
class VoiceActivityDetector(Protocol):
    """Frame-level speech probability; runs inline on the engine loop, so it must be fast."""

    info: BackendInfo
    frame_samples: int

    def speech_probability(self, frame: np.ndarray) -> float:
        """Probability that this frame of `frame_samples` 16 kHz samples holds speech."""

    def reset(self) -> None:
        """Forget the recurrent state (new stream)."""


@runtime_checkable
class EndOfTurnDetector(Protocol):
    """Judges whether the host has finished their turn, from the audio and/or the words."""

    info: BackendInfo

    async def completion_probability(self, audio: np.ndarray, transcript: str | None) -> float:
        """Probability in [0, 1] that the utterance so far is a complete turn."""


@runtime_checkable
class ChatModel(Protocol):
    """Chat model that streams the anchor's reply; closing the iterator cancels the request."""

    info: BackendInfo

    def stream_reply(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[str]:
        """Yield text pieces as they are generated."""


@runtime_checkable
class SpeechSynthesizer(Protocol):
    """Text-to-speech that streams audio; closing the iterator cancels the synthesis."""

    info: BackendInfo

    def synthesize(self, text: str, voice: VoiceProfile) -> AsyncIterator[AudioChunk]:
        """Yield audio chunks for `text` spoken with `voice`."""


class Closeable(Protocol):
    """Backends that hold processes, threads or sockets release them here."""

    async def aclose(self) -> None: ...
