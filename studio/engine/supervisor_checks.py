"""What a sane backend answer looks like: text, audio and probabilities are checked before use.

Anything malformed (non-text, NaN/inf or silent-garbage audio, impossible sample rates, wrong
shapes) raises StageFault; what can be repaired safely (stray NaN samples, stereo, int PCM) is.
Also the cheap probe calls that tell whether a stage without `health()` works again.
Threading: plain functions; probes are awaited on the engine loop.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from studio.backends.contracts import INPUT_SAMPLE_RATE, AudioChunk, ChatMessage, ChatOptions, Transcript
from studio.engine.supervisor import StageFault
from studio.voices.profile import VoiceProfile

MIN_RATE, MAX_RATE = 8_000, 192_000
MAX_BAD_FRACTION = 0.5  # a chunk with more non-finite samples than this is garbage, not a glitch


def checked_text(stage: str, piece: object) -> str:
    """A chat piece as text; anything but a string is garbage."""
    if not isinstance(piece, str):
        raise StageFault(stage, f"returned {type(piece).__name__} instead of text")
    return piece


def checked_audio(stage: str, chunk: object) -> AudioChunk | None:
    """A usable mono float32 chunk in [-1, 1], None for an empty one; garbage raises StageFault."""
    if not isinstance(chunk, AudioChunk):
        raise StageFault(stage, f"returned {type(chunk).__name__} instead of an audio chunk")
    rate = chunk.sample_rate
    if not isinstance(rate, int | np.integer) or not MIN_RATE <= int(rate) <= MAX_RATE:
        raise StageFault(stage, f"impossible sample rate {rate!r}")
    try:
        samples = np.asarray(chunk.samples)
    except (TypeError, ValueError) as exc:
        raise StageFault(stage, f"audio is not an array ({exc})") from None
    if samples.ndim == 2 and 0 < min(samples.shape) <= 8:  # interleaved channels: mix down
        samples = samples.mean(axis=int(np.argmin(samples.shape)))
    if samples.ndim != 1:
        raise StageFault(stage, f"audio has shape {samples.shape}, expected mono")
    if not len(samples):
        return None
    if samples.dtype.kind in "iu":  # integer PCM: scale to [-1, 1]
        samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max)
    elif samples.dtype.kind != "f":
        raise StageFault(stage, f"audio of dtype {samples.dtype} is not sound")
    samples = samples.astype(np.float32, copy=False)
    finite = np.isfinite(samples)
    if not finite.all():
        if 1.0 - float(np.mean(finite)) > MAX_BAD_FRACTION:
            raise StageFault(stage, "audio is mostly NaN/inf")
        samples = np.where(finite, samples, 0.0).astype(np.float32)
    return AudioChunk(np.clip(samples, -1.0, 1.0), int(rate))


def checked_transcript(stage: str, result: object, is_final: bool) -> Transcript:
    """A transcript whose text is a string (other fields repaired if odd)."""
    if not isinstance(result, Transcript) or not isinstance(result.text, str):
        shown = type(result.text if isinstance(result, Transcript) else result).__name__
        raise StageFault(stage, f"returned {shown} instead of a transcript")
    return result if result.is_final == is_final else dataclasses.replace(result, is_final=is_final)


def checked_probability(stage: str, value: object) -> float:
    """A probability in [0, 1]; NaN, inf and non-numbers are garbage."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise StageFault(stage, f"returned {type(value).__name__} instead of a probability") from None
    if not math.isfinite(number):
        raise StageFault(stage, f"returned probability {number}")
    return min(1.0, max(0.0, number))


def probe_for(stage: str, backend: Any, voice: Callable[[], VoiceProfile]) -> Callable[[], Awaitable[bool]]:
    """The backend's own `health()` if it has one, else one cheap real call of its stage."""
    own = getattr(backend, "health", None)
    if own is not None:
        return own

    async def chat() -> bool:
        request = [ChatMessage("user", "Say OK.")]
        stream = backend.stream_reply(request, ChatOptions(max_tokens=2, temperature=0.0))
        async with contextlib.aclosing(stream):
            async for piece in stream:
                checked_text(stage, piece)
                return True
        return True

    async def tts() -> bool:
        async with contextlib.aclosing(backend.synthesize("Okay.", voice())) as stream:
            async for chunk in stream:
                if checked_audio(stage, chunk) is not None:
                    return True
        return False

    async def stt() -> bool:
        silence = np.zeros(INPUT_SAMPLE_RATE // 2, np.float32)
        checked_transcript(stage, await backend.transcribe(silence), True)
        return True

    async def turn() -> bool:
        checked_probability(stage, await backend.completion_probability(np.zeros(8000, np.float32), "Okay."))
        return True

    async def vad() -> bool:
        checked_probability(stage, backend.speech_probability(np.zeros(backend.frame_samples, np.float32)))
        return True

    return {"chat": chat, "tts": tts, "stt": stt, "turn": turn, "vad": vad}[stage]
