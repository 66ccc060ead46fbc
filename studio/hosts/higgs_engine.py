"""higgs-audio v2 behind the speech server: zero-shot cloning from our voice profiles, streamed early.

`HiggsAudioServeEngine.generate_delta_stream` yields raw code columns (delay pattern); they go
through `DelayedCodeAssembler` (complete frames) and `IncrementalDecoder` (audio with left context
and crossfade), so the first audio leaves after ~8 frames instead of after the whole reply.
Each profile is cloned from its reference clip + transcript with the profile's fixed seed and
temperature, so a voice does not drift between requests. `[SPEAKER0]` line tags pass through.
boson_multimodal (and torch) are imported only here, when the host starts, in the higgs environment.
Threading: `stream` runs in the speech server's engine thread; each request runs the engine's
async generator on a private event loop in that thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.hosts.delay_pattern import DelayedCodeAssembler
from studio.hosts.incremental_decode import IncrementalDecoder
from studio.voices.profile import VoiceProfile

SYSTEM_PROMPT = "Generate audio following instruction."
SCENE = "Audio is recorded from a quiet room."
FRAMES_PER_TEXT_CHAR = 1.2  # 25 frames/s, ~15 chars/s of speech, with headroom: caps max_new_tokens
HIGGS_SETUP = (
    "the higgs host needs boson_multimodal (higgs-audio) in its own environment; "
    "see README 'Studio GPU setup' → 'The higgs-audio environment'"
)


class HiggsUnavailable(RuntimeError):
    """The higgs environment is missing or broken; the message says how to create it."""


@dataclass(frozen=True, slots=True)
class HiggsVoice:
    """What cloning needs from a voice profile."""

    name: str
    reference_audio: Path
    transcript: str
    seed: int
    temperature: float

    @classmethod
    def from_profile(cls, profile: VoiceProfile) -> HiggsVoice | None:
        """None for profiles without a reference clip and transcript (nothing to clone from)."""
        if profile.reference_audio is None or not profile.reference_transcript.strip():
            return None
        return cls(
            profile.name,
            profile.reference_audio,
            profile.reference_transcript.strip(),
            profile.synthesis.seed,
            profile.synthesis.temperature,
        )


def cloning_messages(voice: HiggsVoice, text: str) -> list[tuple[str, str | Path]]:
    """The ChatML turns for zero-shot cloning: (role, text) and ("assistant", reference clip path)."""
    return [
        ("system", f"{SYSTEM_PROMPT}\n\n<|scene_desc_start|>\n{SCENE}\n<|scene_desc_end|>"),
        ("user", voice.transcript),
        ("assistant", voice.reference_audio),
        ("user", text),
    ]


def max_new_tokens(text: str) -> int:
    """A generous bound on audio frames for `text` (also bounds work after a client hangs up)."""
    return int(256 + FRAMES_PER_TEXT_CHAR * len(text) * 25 / 15)


class HiggsEngine:
    """HiggsAudioServeEngine loaded once; speaks in the voices of the given profiles."""

    def __init__(
        self,
        model_path: str,
        tokenizer_path: str,
        voices: list[HiggsVoice],
        device: str = "cuda",
        kv_cache_lengths: tuple[int, ...] = (1024, 4096, 8192),
        first_chunk_frames: int = 8,
        chunk_frames: int = 25,
    ) -> None:
        try:
            import torch
            from boson_multimodal.data_types import AudioContent, ChatMLSample, Message
            from boson_multimodal.serve.serve_engine import HiggsAudioServeEngine
        except ImportError as exc:
            raise HiggsUnavailable(f"{HIGGS_SETUP} ({exc})") from exc
        self._torch = torch
        self._types = (AudioContent, ChatMLSample, Message)
        self._engine = HiggsAudioServeEngine(
            model_path, tokenizer_path, device=device, kv_cache_lengths=list(kv_cache_lengths)
        )
        self.model_name = model_path
        self.sample_rate = int(self._engine.audio_tokenizer.sampling_rate)
        self._samples_per_frame = int(self._engine.samples_per_token)
        self._codebooks = int(self._engine.audio_num_codebooks)
        self._codebook_size = int(self._engine.audio_codebook_size)
        config = self._engine.model.config
        self._bos, self._eos = int(config.audio_stream_bos_id), int(config.audio_stream_eos_id)
        self._chunks = (first_chunk_frames, chunk_frames)
        self._voices = {voice.name: voice for voice in voices}

    def voices(self) -> list[str]:
        return sorted(self._voices)

    def _sample(self, voice: HiggsVoice, text: str) -> Any:
        audio_content, chat_ml_sample, message = self._types
        turns = []
        for role, content in cloning_messages(voice, text):
            if isinstance(content, Path):
                turns.append(message(role=role, content=audio_content(audio_url=str(content))))
            else:
                turns.append(message(role=role, content=content))
        return chat_ml_sample(messages=turns)

    def _decode(self, frames: np.ndarray) -> np.ndarray:
        codes = self._torch.from_numpy(frames).to(self._engine.device).unsqueeze(0)
        with self._torch.no_grad():
            return np.asarray(self._engine.audio_tokenizer.decode(codes)[0, 0], dtype=np.float32)

    def stream(self, text: str, voice: str, stop: threading.Event) -> Iterator[np.ndarray]:
        """Audio for `text` in `voice`, chunk by chunk as the codes come out of the model."""
        chosen = self._voices[voice]
        assembler = DelayedCodeAssembler(self._codebooks, self._codebook_size, self._bos, self._eos)
        decoder = IncrementalDecoder(
            self._decode,
            self._samples_per_frame,
            first_chunk_frames=self._chunks[0],
            chunk_frames=self._chunks[1],
        )
        for column in self._columns(self._sample(chosen, text), len(text), chosen):
            if stop.is_set():
                return
            audio = decoder.push(assembler.push(column))
            if len(audio):
                yield audio
            if assembler.finished:
                break
        decoder.push(assembler.flush())
        tail = decoder.flush()
        if len(tail) and not stop.is_set():
            yield tail

    def _columns(self, sample: Any, chars: int, voice: HiggsVoice) -> Iterator[np.ndarray]:
        """The model's audio code columns, pulled from its async stream on a private loop."""
        loop = asyncio.new_event_loop()
        stream = self._engine.generate_delta_stream(
            sample,
            max_new_tokens=max_new_tokens("x" * chars),
            temperature=voice.temperature,
            top_p=0.95,
            ras_win_len=7,
            seed=voice.seed,
            force_audio_gen=True,
        )
        try:
            while True:
                try:
                    delta = loop.run_until_complete(stream.__anext__())
                except StopAsyncIteration:
                    return
                if delta.audio_tokens is not None:
                    yield delta.audio_tokens.detach().cpu().numpy()
        finally:
            loop.run_until_complete(stream.aclose())
            loop.close()


def voices_from_profiles(profiles: list[VoiceProfile]) -> list[HiggsVoice]:
    """The profiles that can be cloned (reference clip + transcript)."""
    return [voice for voice in map(HiggsVoice.from_profile, profiles) if voice is not None]
