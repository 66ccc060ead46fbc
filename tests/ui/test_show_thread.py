"""The show's Qt edge: show events arrive as signals on the GUI thread; commands reach the show."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QThread

from studio.audio.sources import paced_frames
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelayChat,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.config import load_settings
from studio.show.host_input import silent_microphone
from studio.ui.show_thread import ShowThread
from studio.voices.profile import VoiceProfile

REPLY = "Sure thing, here is the news. It has been a quiet day. More after the break."


def fixed_stack(per_token: float = 0.01):
    async def factory(settings, progress):
        progress("stt", "fixed", "loading")
        progress("stt", "fixed", "ready")
        return BackendStack(
            preset="instrumented",
            stt=FixedDelaySpeechToText("What happened today?", delay=0.02),
            vad=EnergyVoiceActivity(),
            turn=FixedDelayTurnDetector(delay=0.01),
            chat=FixedDelayChat(REPLY, first=0.02, per_token=per_token),
            tts=FixedDelaySynthesizer(first=0.01, chunk_seconds=0.1),
        )

    return factory


def one_question(frame_samples: int):
    async def frames():
        t = np.arange(16_000, dtype=np.float32) / 16_000
        question = (0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
        async for frame in paced_frames([np.zeros(3200, np.float32), question], frame_samples):
            yield frame
        async for frame in silent_microphone(frame_samples):
            yield frame

    return frames()


@pytest.fixture
def engine_thread(qtbot):
    threads: list[ShowThread] = []

    def start(**kwargs) -> ShowThread:
        thread = ShowThread(load_settings(), VoiceProfile(name="T"), **kwargs)
        threads.append(thread)
        with qtbot.waitSignal(thread.engine_ready, timeout=30_000):
            thread.start()
        return thread

    yield start
    for thread in threads:
        thread.stop()
        assert thread.wait(10_000)


def test_spoken_turn_arrives_as_signals_on_the_gui_thread(qtbot, engine_thread):
    received: list[tuple[str, object]] = []
    gui_thread = QThread.currentThread()

    thread = engine_thread(stack_factory=fixed_stack(), source_factory=one_question)
    thread.transcript_updated.connect(
        lambda tid, text, final: received.append(("transcript", (text, final, QThread.currentThread())))
    )
    with qtbot.waitSignal(thread.turn_completed, timeout=30_000) as done:
        pass
    turn = done.args[0]
    assert turn.transcript == "What happened today?" and turn.reply == REPLY
    finals = [payload for kind, payload in received if kind == "transcript" and payload[1]]
    assert finals and finals[-1][0] == "What happened today?"
    assert all(payload[2] is gui_thread for _, payload in received)


def test_typed_line_and_interrupt(qtbot, engine_thread):
    thread = engine_thread(stack_factory=fixed_stack(per_token=0.1))
    with qtbot.waitSignal(thread.reply_clause_started, timeout=30_000):
        thread.submit_text("Give me the headlines")
    with qtbot.waitSignal(thread.anchor_interrupted, timeout=30_000) as cut:
        thread.interrupt()
    heard = cut.args[1]
    assert len(heard) < len(REPLY)


def test_progress_and_failure_are_reported(qtbot):
    async def broken(settings, progress):
        progress("chat", "ollama", "loading")
        raise RuntimeError("chat backend 'ollama' failed to load: connection refused")

    thread = ShowThread(load_settings(), VoiceProfile(name="T"), stack_factory=broken)
    states: list[tuple] = []
    thread.stage_status_changed.connect(lambda *a: states.append(a))
    with qtbot.waitSignal(thread.engine_failed, timeout=30_000) as failed:
        thread.start()
    assert "connection refused" in failed.args[0]
    assert thread.wait(30_000)
    qtbot.waitUntil(lambda: states == [("chat", "ollama", "loading", "")], timeout=20_000)


def test_commands_before_start_are_ignored_safely():
    thread = ShowThread(load_settings(), VoiceProfile(name="T"))
    thread.push_to_talk(True)
    thread.interrupt()
    thread.stop()
    assert not thread.isRunning()
    asyncio.run(asyncio.sleep(0))
