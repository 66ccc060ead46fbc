"""End of turn from the words: DistilBERT sentence completion turned into a dynamic pause.

RealtimeVoiceChat-style: a sequence classifier (class 1 = complete sentence, max 128 tokens) reads
the latest transcript; the pause the host is allowed is
`0.65 × punctuation pause + 0.35 × (1 − p_complete) × 1 s`, so "... and then" waits long and
"That's all." ends quickly. The engine asks once the host has been quiet for
`turn_min_silence_ms`; the answer is how much of the allowed pause that silence already covers
(1.0: the turn is over). Without text yet, the audio model (Smart Turn) answers instead.
The model is the one `host pull` fetched (studio.backends.turn_model), or TURN_MODEL_PATH; without
one the factory returns the embedded Smart Turn detector, named so that the light's tooltip says why.
Threading: tokenizer + model run in the backend's worker thread (torch, 1 thread); the pause
arithmetic is pure.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

from studio.backends.contracts import BackendInfo, EndOfTurnDetector
from studio.backends.priority import PREFILL, PREFILL_WAIT_SECONDS
from studio.backends.turn_model import NOT_PULLED, turn_model_dir
from studio.backends.workers import BackendWorker
from studio.config import Settings

log = logging.getLogger(__name__)

MAX_TOKENS = 128
COMPLETE_CLASS = 1
PUNCTUATION_WEIGHT, MODEL_WEIGHT = 0.65, 0.35
MODEL_PAUSE_S = 1.0
_PUNCTUATION_PAUSES = ((("...", "…"), 2.3), ((".",), 0.39), (("!",), 0.35), (("?",), 0.33))
OTHER_PAUSE_S = 1.25


def punctuation_pause(text: str) -> float:
    """Seconds of silence the last character of `text` suggests (an ellipsis: the host goes on)."""
    text = text.rstrip().rstrip("\"')]»”’")
    for endings, pause in _PUNCTUATION_PAUSES:
        if text.endswith(endings):
            return pause
    return OTHER_PAUSE_S


def dynamic_pause(text: str, complete_probability: float, speed: float = 1.0) -> float:
    """The silence after which the host's turn counts as over, in seconds."""
    model_pause = MODEL_PAUSE_S * (1.0 - complete_probability)
    return (PUNCTUATION_WEIGHT * punctuation_pause(text) + MODEL_WEIGHT * model_pause) * speed


def pause_covered(silence_s: float, pause_s: float) -> float:
    """Share of the allowed pause that `silence_s` already covers, in [0, 1]."""
    return 1.0 if pause_s <= 0 else min(1.0, max(0.0, silence_s / pause_s))


class DistilBertTurnDetector:
    """Sentence-completion classifier over the transcript, turned into a dynamic pause."""

    def __init__(self, settings: Settings, audio_fallback: EndOfTurnDetector | None = None) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = turn_model_dir(settings) or Path(settings.TURN_MODEL_PATH).expanduser()
        if not (path / "config.json").is_file():
            raise OSError(
                f"TURN_MODEL_PATH {str(path)!r} holds no model (config.json missing); "
                "point it at a saved DistilBERT sentence-completion model or leave it empty"
            )
        torch.set_num_threads(1)
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(path)
        self._model = AutoModelForSequenceClassification.from_pretrained(path).eval()
        self._silence_s = settings.turn_min_silence_ms / 1000.0
        self._audio_fallback = audio_fallback
        self._worker = BackendWorker("turn-distilbert", yields_to=PREFILL, wait_limit=PREFILL_WAIT_SECONDS)
        self.info = BackendInfo(name="DistilBERT sentence completion + dynamic pause", detail=str(path))

    def complete_probability_blocking(self, text: str) -> float:
        """P(the sentence is complete) for `text` (worker thread)."""
        inputs = self._tokenizer(text, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        with self._torch.inference_mode():
            logits = self._model(**inputs).logits[0]
        return float(self._torch.softmax(logits, dim=-1)[COMPLETE_CLASS])

    async def completion_probability(self, audio: np.ndarray, transcript: str | None) -> float:
        text = (transcript or "").strip()
        if not text:
            if self._audio_fallback is not None:
                return await self._audio_fallback.completion_probability(audio, transcript)
            return 0.0
        complete = await self._worker.run(self.complete_probability_blocking, text)
        return pause_covered(self._silence_s, dynamic_pause(text, complete))

    async def aclose(self) -> None:
        await self._worker.aclose()
        closer = getattr(self._audio_fallback, "aclose", None)
        if closer is not None:
            await closer()


def create_turn_detector(settings: Settings) -> EndOfTurnDetector:
    """The GPU stack's turn stage: DistilBERT (with Smart Turn for text-less moments), else Smart Turn."""
    from studio.backends.smart_turn import SmartTurnDetector

    audio = SmartTurnDetector(settings)
    if turn_model_dir(settings) is None:
        log.info("end of turn by Smart Turn alone (%s)", NOT_PULLED)
        audio.info = dataclasses.replace(audio.info, name=f"{audio.info.name} alone ({NOT_PULLED})")
        return audio
    return DistilBertTurnDetector(settings, audio_fallback=audio)
