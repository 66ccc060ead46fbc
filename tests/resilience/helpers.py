"""Shared pieces of the resilience tests: an instrumented stack under a fault plan, event waits.

Threading: everything on the test's asyncio loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

from studio.audio.outputs import InstantOutput
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
from studio.engine.events import EngineEvent
from studio.faults import FaultPlan, inject_faults
from studio.voices.profile import VoiceProfile

RATE = 16_000
REPLY = "Good evening, it is a calm night here. Stay with us."
QUESTION = "How is the weather tonight?"
FALLBACK = ("Hold that thought, we will be right back to it.",)
FAST_RESILIENCE = dict(
    stt_timeout_s=0.5, turn_timeout_s=0.3, chat_timeout_s=0.5, tts_timeout_s=0.5, health_check_s=0.05
)


def tone(seconds: float, amplitude: float = 0.2) -> np.ndarray:
    t = np.arange(int(seconds * RATE), dtype=np.float32) / RATE
    return (amplitude * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def frames_of(*parts: np.ndarray) -> list[np.ndarray]:
    audio = np.concatenate(parts)
    usable = len(audio) - len(audio) % 512
    return [audio[i : i + 512] for i in range(0, usable, 512)]


class Recorder:
    """Keeps every event and lets a test wait for one that matches."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: EngineEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(self, match: Callable[[EngineEvent], bool], timeout: float = 20.0) -> EngineEvent:
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events:
                    if match(event):
                        return event
                self._changed.clear()
                await self._changed.wait()


def faulty_engine(
    spec: str = "", mid_stream: bool = False, air_gate=None, **overrides
) -> tuple[StudioEngine, FaultPlan, Recorder, InstantOutput]:
    """An engine over fixed-delay backends wrapped by a fault plan (rates 1.0 make faults certain).

    Stream faults strike before the first item unless `mid_stream`; `air_gate` is the engine's.
    """
    settings = load_settings(**{**FAST_RESILIENCE, **overrides})
    stack = BackendStack(
        preset="instrumented",
        stt=FixedDelaySpeechToText(QUESTION, delay=0.02),
        vad=EnergyVoiceActivity(),
        turn=FixedDelayTurnDetector(delay=0.01, probability=0.9),
        chat=FixedDelayChat(REPLY, first=0.02, per_token=0.002),
        tts=FixedDelaySynthesizer(first=0.01, chunk_seconds=0.1),
    )
    plan = FaultPlan(spec)
    if not mid_stream:
        plan.after_items = lambda: 0  # type: ignore[method-assign]
    output = InstantOutput(24_000, keep_recording=True)
    voice = VoiceProfile(name="Test", anchor_name="Tess", fallback_lines=FALLBACK)
    engine = StudioEngine(settings, inject_faults(stack, plan), output, voice, air_gate=air_gate)
    recorder = Recorder()
    engine.bus.subscribe(recorder)
    return engine, plan, recorder, output


async def speak_a_line(engine: StudioEngine) -> None:
    """The host says one line through the mic and pauses; wait until the anchor is done."""
    for frame in frames_of(quiet(0.2), tone(0.8), quiet(1.6)):
        engine.process_frame(frame)
        await engine.wait_settled()
    await engine.wait_anchor_idle()
