"""higgs-audio v2 behind the speech server: zero-shot cloning from our voice profiles, streamed early.

The model generates raw code columns (delay pattern) one audio frame per step; they go through
`DelayedCodeAssembler` (complete frames) and `IncrementalDecoder` (audio with left context and
crossfade), so the first audio leaves after ~8 frames instead of after the whole reply.
Each profile is cloned from its reference clip + transcript with the profile's fixed seed and
temperature, so a voice does not drift between requests. `[SPEAKER0]` line tags pass through.
Generation stops when the listener does: we run the steps of `generate_delta_stream` ourselves
(prepare inputs, reset the KV caches, `model.generate` in a thread with a streamer) and add a
stopping criterion that ends the model's loop at the next frame once `stop` is set; the thread is
joined before `stream` returns, so a new request never overlaps a running generation (the KV
caches are shared). boson's own stream has no stop: its generation ran on to max_new_tokens.
boson_multimodal (and torch) are imported only here, when the host starts, in the higgs environment.
Threading: `stream` runs in the speech server's engine thread; `model.generate` in one
"higgs-generate" thread per request, handing code columns over a thread-safe queue.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.hosts.delay_pattern import DelayedCodeAssembler
from studio.hosts.incremental_decode import IncrementalDecoder
from studio.voices.profile import VoiceProfile
from studio.voices.travel import VoiceUpload

SYSTEM_PROMPT = "Generate audio following instruction."
STOP_STRINGS = ["<|end_of_text|>", "<|eot_id|>"]  # generate_delta_stream's defaults
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
    """A generous bound on audio frames for `text` (a run-away generation ends here at the latest)."""
    return int(256 + FRAMES_PER_TEXT_CHAR * len(text) * 25 / 15)


_END = object()


class CodeStreamer:
    """The transformers streamer the model's loop feeds: audio code columns onto a thread-safe queue.

    Like boson's AsyncHiggsAudioStreamer (skip_prompt=True): the first `put` is the prompt and is
    skipped; later puts of `codebooks` values are audio columns; text tokens are dropped.
    """

    def __init__(self, codebooks: int) -> None:
        self._codebooks = codebooks
        self._prompt = True
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.columns_put = 0  # audio frames the model produced (tests count them after a cancel)

    def put(self, value: Any) -> None:
        if self._prompt:
            self._prompt = False
            return
        if len(value.shape) == 1 and value.shape[0] == self._codebooks > 1:
            self.columns_put += 1
            self._queue.put(value)

    def end(self) -> None:
        self._queue.put(_END)

    def fail(self, error: BaseException) -> None:
        self._queue.put(error)

    def columns(self) -> Iterator[Any]:
        """Each column as the model makes it, until the model's loop ends (its error re-raised)."""
        while (item := self._queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item


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
            from transformers.generation.stopping_criteria import StoppingCriteria, StoppingCriteriaList
        except ImportError as exc:
            raise HiggsUnavailable(f"{HIGGS_SETUP} ({exc})") from exc
        self._torch = torch
        self._types = (AudioContent, ChatMLSample, Message)
        self._criteria = (StoppingCriteria, StoppingCriteriaList)
        self.last_streamer: CodeStreamer | None = None  # the latest request's (tests count its frames)
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
        self.voice_store: Callable[[VoiceUpload], HiggsVoice] | None = None  # uploads kept (VoiceCache)

    def voices(self) -> list[str]:
        return sorted(self._voices)

    def add_voice(self, upload: VoiceUpload) -> str:
        """A voice uploaded by a studio: kept by its content key (no restart needed); the key."""
        if self.voice_store is None:
            raise RuntimeError("this host keeps no uploaded voices (no voice cache)")
        voice = self.voice_store(upload)
        self._voices[voice.name] = voice  # one assignment: the engine thread sees old or new, whole
        return voice.name

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
        for column in self._columns(self._sample(chosen, text), len(text), chosen, stop):
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

    def _stopping(self, *events: threading.Event) -> Any:
        """A stopping criterion the model's loop checks after every frame: True once an event is set."""
        criterion, criteria = self._criteria

        class StopWhenAsked(criterion):  # type: ignore[misc, valid-type]
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return any(event.is_set() for event in events)

        return criteria([StopWhenAsked()])

    def _generation(self, sample: Any, chars: int, voice: HiggsVoice, stop: Any) -> dict:
        """generate_delta_stream's arguments to model.generate, plus our streamer and stop."""
        engine = self._engine
        with self._torch.no_grad():
            inputs = engine._prepare_inputs(sample, force_audio_gen=True)
        engine._prepare_kv_caches()
        return dict(
            **inputs,
            max_new_tokens=max_new_tokens("x" * chars),
            use_cache=True,
            stop_strings=STOP_STRINGS,
            tokenizer=engine.tokenizer,
            do_sample=voice.temperature > 0.0,
            temperature=voice.temperature,
            top_k=None,
            top_p=0.95,
            past_key_values_buckets=engine.kv_caches,
            ras_win_len=7,
            ras_win_max_num_repeat=2,
            seed=voice.seed,
            stopping_criteria=stop,
        )

    def _columns(
        self, sample: Any, chars: int, voice: HiggsVoice, stop: threading.Event
    ) -> Iterator[np.ndarray]:
        """The model's audio code columns as it makes them; the loop ends within a frame of `stop`
        and its thread is joined before this generator finishes (no overlap with the next request)."""
        streamer = self.last_streamer = CodeStreamer(self._codebooks)
        done = threading.Event()  # the reader is gone (finished, or stopped): the model stops too
        criteria = self._stopping(stop, done)
        kwargs = {**self._generation(sample, chars, voice, criteria), "streamer": streamer}
        worker = threading.Thread(
            target=_generate, args=(self._engine.model.generate, kwargs, streamer), name="higgs-generate"
        )
        worker.start()
        try:
            for column in streamer.columns():
                yield column.detach().cpu().numpy()
        finally:
            done.set()
            worker.join()


def _generate(generate: Callable[..., Any], kwargs: dict, streamer: CodeStreamer) -> None:
    """The model's loop, in its own thread; an error reaches the reader instead of dying here."""
    try:
        generate(**kwargs)
    except BaseException as exc:
        streamer.fail(exc)
    finally:
        streamer.end()


def voices_from_profiles(profiles: list[VoiceProfile]) -> list[HiggsVoice]:
    """The profiles that can be cloned (reference clip + transcript)."""
    return [voice for voice in map(HiggsVoice.from_profile, profiles) if voice is not None]
