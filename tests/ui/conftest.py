"""GUI test fixtures: a window over a real engine thread, a replaying mic, and a mixed real/fast stack."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("pytestqt")

from studio.backends.registry import BackendStack, create_backend
from studio.bench.fixed_delay import FixedDelayChat, FixedDelaySynthesizer
from studio.bench.queued_mic import QueuedMicrophone
from studio.config import load_settings
from studio.ui.device_pickers import DeviceChoice
from studio.ui.main_window import StudioWindow
from studio.ui.show_thread import ShowThread
from studio.voices.catalog import VoiceCatalog

REPLY = "Good evening, here is the news. It has been a busy day in the city. More after the break."


class RecordingSynthesizer(FixedDelaySynthesizer):
    """Fast synthetic speech that remembers which voice each clause was spoken with."""

    def __init__(self) -> None:
        super().__init__(first=0.01, chunk_seconds=0.2)
        self.voices: list[str] = []

    def synthesize(self, text, voice):
        self.voices.append(voice.name)
        return super().synthesize(text, voice)


def listening_stack(chat_per_token: float = 0.01, synthesizer: RecordingSynthesizer | None = None):
    """Real VAD, end-of-turn and STT (they are what the mic tests are about); fast chat and TTS."""

    async def factory(settings, progress):
        backends = {}
        for stage, name in (("vad", "silero"), ("turn", "smart-turn"), ("stt", "faster-whisper")):
            progress(stage, name, "loading")
            backends[stage] = await asyncio.to_thread(create_backend, stage, name, settings)
            progress(stage, name, "ready")
        return BackendStack(
            preset="test",
            chat=FixedDelayChat(REPLY, first=0.02, per_token=chat_per_token),
            tts=synthesizer or RecordingSynthesizer(),
            **backends,
        )

    return factory


FAKE_DEVICES = [
    DeviceChoice("Built-in Microphone", True, False),
    DeviceChoice("Headphones", False, True),
    DeviceChoice("AI_Anchor_Out", False, True, is_virtual=True),
]


@pytest.fixture
def studio(qtbot):
    """Start a StudioWindow over a ShowThread; returns (window, mic)."""
    windows: list[StudioWindow] = []

    def start(stack_factory=None, turn_mode: str = "auto", lister=lambda: FAKE_DEVICES):
        settings = load_settings(turn_mode=turn_mode)
        voices = VoiceCatalog(None).profiles()
        mic = QueuedMicrophone()

        show = ShowThread(
            settings, voices[0], stack_factory=stack_factory or listening_stack(), source_factory=mic.source
        )
        window = StudioWindow(settings, voices, show, lister)
        qtbot.addWidget(window)
        windows.append(window)
        with qtbot.waitSignal(window.engine.engine_ready, timeout=60_000):
            window.start()
        return window, mic

    yield start
    for window in windows:
        window.close()
        assert not window.engine.isRunning()
