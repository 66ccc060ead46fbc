"""A speech-to-text stand-in whose text says how much voiced audio it heard ("speech 1.5 s").

Merged or split host lines show in the text itself. Finals can be held on a gate (`release`) or
made to say something else (`final_text`). Threading: the engine loop of the test.
"""

from __future__ import annotations

import asyncio

import numpy as np

from studio.backends.contracts import INPUT_SAMPLE_RATE, BackendInfo, Transcript


class _MeasuringSession:
    """One line: counts voiced samples (RMS above 0.01) and reports them in half seconds."""

    def __init__(self, owner: MeasuringSpeechToText) -> None:
        self._owner, self._voiced = owner, 0

    def append(self, audio: np.ndarray) -> None:
        if len(audio) and float(np.sqrt(np.mean(np.square(audio)))) > 0.01:
            self._voiced += len(audio)

    def _text(self) -> str:
        return f"speech {round(self._voiced / INPUT_SAMPLE_RATE * 2) / 2:.1f} s"

    async def partial(self) -> Transcript:
        await asyncio.sleep(0)
        return Transcript(self._text(), False, "en")

    async def finalize(self) -> Transcript:
        self._owner.finals_started.set()
        await self._owner.release.wait()
        return Transcript(self._owner.final_text or self._text(), True, "en")

    async def aclose(self) -> None:
        return None


class MeasuringSpeechToText:
    """Finals wait for `release` unless `gated` is False; `final_text` overrides what they say."""

    info = BackendInfo(name="measuring STT (test)")

    def __init__(self, gated: bool = True) -> None:
        self.release = asyncio.Event()
        if not gated:
            self.release.set()
        self.finals_started = asyncio.Event()
        self.final_text = ""  # non-empty: every final says this instead

    def start_session(self, language: str | None = None) -> _MeasuringSession:
        return _MeasuringSession(self)

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        return Transcript("", True, language)
