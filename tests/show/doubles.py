"""Doubles for show tests: a fixed-delay stack factory that counts its builds, and fake devices.

Threading: the factory and the fake devices are called on the show's loop (the devices' open and
close in its worker threads, like AudioIO's); `say` may be called from any thread.
"""

from __future__ import annotations

import numpy as np

from studio.audio.outputs import ClockedOutput
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelayChat,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.bench.queued_mic import QueuedMicrophone

RATE = 16_000
QUESTION = "What is the weather like tonight?"
REPLY = "Sure thing. More after the break."


def tone(seconds: float, amplitude: float = 0.2) -> np.ndarray:
    """A host 'line' the energy VAD hears as speech."""
    t = np.arange(int(seconds * RATE), dtype=np.float32) / RATE
    return (amplitude * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def fixed_stack(reply: str = REPLY) -> BackendStack:
    """Every stage of known, short delay; the STT always hears QUESTION."""
    return BackendStack(
        preset="instrumented",
        stt=FixedDelaySpeechToText(QUESTION, delay=0.02),
        vad=EnergyVoiceActivity(),
        turn=FixedDelayTurnDetector(delay=0.01),
        chat=FixedDelayChat(reply, first=0.02, per_token=0.005),
        tts=FixedDelaySynthesizer(first=0.01, chunk_seconds=0.1),
    )


class CountingStackFactory:
    """A stack factory that builds a fresh fixed-delay stack each call and keeps every one."""

    def __init__(self, reply: str = REPLY) -> None:
        self.reply = reply
        self.stacks: list[BackendStack] = []
        self.settings: list = []

    async def __call__(self, settings, progress) -> BackendStack:
        progress("chat", "fixed-delay chat", "loading")
        stack = fixed_stack(self.reply)
        self.stacks.append(stack)
        self.settings.append(settings)
        progress("chat", stack.chat.info.name, "ready")
        return stack

    @property
    def chat(self) -> FixedDelayChat:
        """The chat model of the latest stack (its `requests` are what the model was sent)."""
        return self.stacks[-1].chat  # type: ignore[return-value]


class FakeAudio:
    """Stands in for AudioIO: a mic that hears what `mic.say` queues, a real-time program output."""

    echo_gate = None

    def __init__(self, settings) -> None:
        self.settings = settings
        self.mic = QueuedMicrophone()
        self.program = ClockedOutput(settings.SAMPLE_RATE)
        self.closed = False

    def frames(self, frame_samples: int):
        return self.mic.source(frame_samples)

    def subscribe(self, listener) -> None:
        self.listener = listener

    def stats(self) -> dict:
        name = self.settings.program_device or "default"
        mic = self.settings.mic_device or "default"
        return {
            "program": {"device": name, "state": "playing", "underruns": 0},
            "monitor": None,
            "mic": {"device": mic, "state": "playing", "overruns": 0},
            "mic_note": "",
        }

    def close(self) -> None:
        self.closed = True


class FakeDevices:
    """An audio factory for the show: each call opens a FakeAudio on the settings' devices."""

    def __init__(self) -> None:
        self.opened: list[FakeAudio] = []

    def __call__(self, settings) -> FakeAudio:
        audio = FakeAudio(settings)
        self.opened.append(audio)
        return audio
