"""The window is a face of the show: settings and devices change in place, and it sees what `run` sees."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("pytestqt")

from studio.audio.recording import open_host_recording
from studio.config import load_settings
from studio.engine.events import (
    AnchorInterrupted,
    AnchorLineQueued,
    HostLineResumed,
    HostSpeechStarted,
    ReplyCaptioned,
    ReplyClauseStarted,
    TranscriptUpdated,
    TurnCompleted,
    TurnDecided,
    TurnDiscarded,
)
from studio.headless import RunRequest, run_show
from studio.session.export import read_session
from studio.session.log import sessions_dir
from studio.ui.main_window import StudioWindow
from studio.ui.show_thread import ShowThread
from studio.voices.catalog import VoiceCatalog
from tests.show.doubles import QUESTION, CountingStackFactory, FakeDevices, fixed_stack, quiet, tone
from tests.ui.conftest import FAKE_DEVICES


def _users(messages) -> list[str]:
    return [m.content for m in messages if m.role == "user"]


@pytest.fixture
def window_on(qtbot):
    """A started window over a ShowThread with the given stack factory and audio factory."""
    windows: list[StudioWindow] = []

    def start(stack_factory, audio_factory=None) -> StudioWindow:
        settings = load_settings(turn_mode="auto")
        voices = VoiceCatalog(None).profiles()
        show = ShowThread(settings, voices[0], stack_factory=stack_factory, audio_factory=audio_factory)
        window = StudioWindow(settings, voices, show, lambda: FAKE_DEVICES)
        qtbot.addWidget(window)
        windows.append(window)
        with qtbot.waitSignal(window.engine.engine_ready, timeout=30_000):
            window.start()
        return window

    yield start
    for window in windows:
        window.close()
        assert not window.engine.isRunning()


def test_a_device_and_sensitivity_change_keep_the_conversation_and_the_session_log(qtbot, window_on):
    factory, devices = CountingStackFactory(), FakeDevices()
    window = window_on(factory, devices)
    engine = window.engine.show.engine
    with qtbot.waitSignal(window.engine.turn_completed, timeout=20_000):  # 1: spoken
        devices.opened[0].mic.say(np.concatenate([quiet(0.2), tone(0.8), quiet(1.0)]))
    with qtbot.waitSignal(window.engine.turn_completed, timeout=20_000):  # 2: typed
        window.engine.submit_text("And the weekend?")

    program = window.devices.program
    index = program.findData("AI_Anchor_Out")
    program.setCurrentIndex(index)
    with qtbot.waitSignal(window.engine.settings_applied, timeout=30_000) as reopened:
        program.activated.emit(index)  # the host picks another program output
    dialog = window.open_settings()
    dialog.min_silence.setValue(300)
    dialog.completion.setValue(0.6)
    with qtbot.waitSignal(window.engine.settings_applied, timeout=30_000) as resensed:
        dialog.save()
    assert reopened.args[0] == ("audio",) and resensed.args[0] == ("turn policy",)

    with qtbot.waitSignal(window.engine.turn_completed, timeout=20_000) as third:  # 3: on the new mic
        devices.opened[-1].mic.say(np.concatenate([quiet(0.2), tone(0.8), quiet(1.0)]))
    assert third.args[0].transcript == QUESTION
    assert _users(factory.chat.requests[-1]) == [QUESTION, "And the weekend?", QUESTION]
    assert [m.role for m in factory.chat.requests[-1]].count("assistant") == 2
    # Only what changed was rebuilt: one stack, the same engine; the devices reopened once.
    assert len(factory.stacks) == 1 and window.engine.show.engine is engine
    assert len(devices.opened) == 2 and devices.opened[0].closed
    assert devices.opened[1].settings.program_device == "AI_Anchor_Out"
    assert window.engine.settings.turn_min_silence_ms == 300
    logs = sorted(sessions_dir().glob("*.jsonl"))
    assert logs == [window.engine.session_log_path]
    records = read_session(logs[0])
    assert [r["kind"] for r in records].count("session_started") == 1
    assert len([r for r in records if r["kind"] == "turn_completed"]) == 3


def _story(events) -> list[tuple]:
    """The engine's facts without timing: kinds, turn ids and texts, in order (partials left out)."""
    story = []
    for event in events:
        match event:
            case HostSpeechStarted(turn) | HostLineResumed(turn, _):
                story.append((type(event).__name__, turn))
            case TranscriptUpdated(turn, text, True):
                story.append(("final transcript", turn, text))
            case TurnDecided(turn, text, reason):
                story.append(("decided", turn, text, reason))
            case TurnDiscarded(turn, reason):
                story.append(("discarded", turn, reason))
            case AnchorLineQueued(turn, clause, voice):
                story.append(("queued", turn, clause, voice))
            case ReplyClauseStarted(turn, clause) | ReplyCaptioned(turn, clause, _):
                story.append((type(event).__name__, turn, clause))
            case AnchorInterrupted(turn, heard, _):
                story.append(("interrupted", turn, heard))
            case TurnCompleted():
                story.append(("completed", event.turn_id, event.transcript, event.reply, event.interrupted))
    return story


def test_the_window_and_run_see_the_same_show_for_the_same_recording(qtbot, window_on, tmp_path):
    host = tmp_path / "host.wav"
    question = np.concatenate([tone(1.0), quiet(3.5)])
    sf.write(host, np.concatenate([quiet(0.5), question, question]), 16_000)
    voice = VoiceCatalog(None).profiles()[0]

    ran: list = []
    request = RunRequest(open_host_recording(host), None, voice, fast=False, as_json=True)
    asyncio.run(run_show(load_settings(), request, stack=fixed_stack(), subscribers=[ran.append]))

    async def window_stack(settings, progress):
        return fixed_stack()

    window = window_on(window_stack)
    seen: list = []
    window.engine.event_emitted.connect(seen.append)
    window.play_host_file(host)
    qtbot.waitUntil(lambda: len([e for e in seen if isinstance(e, TurnCompleted)]) == 2, timeout=30_000)

    story = _story(ran)
    assert [entry[0] for entry in story].count("completed") == 2
    assert _story(seen) == story
