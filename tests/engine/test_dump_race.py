"""A dump silences the anchor for good: no TTS chunk already in flight is queued after the flush."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from studio.audio.outputs import ClockedOutput
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelayChat,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.config import load_settings
from studio.engine.engine import StudioEngine
from studio.voices.profile import VoiceProfile
from tests.engine.test_turn_loop import feed, frames_of, quiet, tone


class DumpOnFirstWrite(ClockedOutput):
    """Asks for a barge-in right after the reply's first chunk, while the next one is ready."""

    def __init__(self, hops: int) -> None:
        super().__init__(24_000)
        self.hops = hops
        self.engine: StudioEngine | None = None
        self.flushed = False
        self.written_after_flush = 0

    def write(self, samples: np.ndarray) -> float:
        if self.flushed:
            self.written_after_flush += len(samples)
        at = super().write(samples)
        if self.engine is not None and not self.flushed:
            self._later(self.hops)
        return at

    def _later(self, hops: int) -> None:
        """Interrupt after `hops` turns of the loop: lands at every point of the voicing task's step."""
        loop = asyncio.get_running_loop()
        if hops == 0:
            loop.call_soon(self.engine.interrupt, "host barged in")
        else:
            loop.call_soon(self._later, hops - 1)

    def flush(self) -> int:
        self.flushed = True
        return super().flush()


@pytest.mark.parametrize("hops", range(8))
def test_no_audio_is_queued_after_a_dump(hops: int) -> None:
    async def scenario() -> tuple[StudioEngine, DumpOnFirstWrite]:
        tts = FixedDelaySynthesizer(first=0.0, chunk_seconds=0.05)  # chunks always ready
        chat = FixedDelayChat("Here are tonight's headlines, one after the other.", first=0.01, per_token=0.0)
        stack = BackendStack(
            "instrumented",
            FixedDelaySpeechToText("Give me the headlines", delay=0.01),
            EnergyVoiceActivity(),
            FixedDelayTurnDetector(0.01),
            chat,
            tts,
        )
        output = DumpOnFirstWrite(hops)
        engine = StudioEngine(load_settings(), stack, output, VoiceProfile(name="Ava"))
        output.engine = engine
        await feed(engine, frames_of(quiet(0.3), tone(1.0), quiet(1.0)))
        await engine.wait_anchor_idle()
        await engine.aclose()
        return engine, output

    engine, output = asyncio.run(scenario())
    assert output.flushed and engine.completed and engine.completed[0].interrupted
    assert output.written_after_flush == 0
