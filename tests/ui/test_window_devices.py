"""The window on real devices: a private PulseAudio server with the AI_Anchor_Out null sink."""

from __future__ import annotations

import pytest
from pytestqt.exceptions import TimeoutError as WaitTimedOut

from studio.audio.devices import list_devices
from studio.audio.pulse import ANCHOR_SINK
from studio.config import load_settings
from studio.ui.app import make_engine
from studio.ui.main_window import StudioWindow
from studio.voices.catalog import VoiceCatalog
from tests.ui.conftest import listening_stack


@pytest.fixture
def device_window(qtbot, anchor_sink, monkeypatch):
    """A window whose engine opens the real program sink (models: fast chat/TTS, real listeners)."""
    import studio.ui.app as app_module

    original = app_module.ShowThread

    def show_with_test_stack(settings, voice, **kwargs):
        return original(settings, voice, stack_factory=listening_stack(), **kwargs)

    monkeypatch.setattr(app_module, "ShowThread", show_with_test_stack)
    settings = load_settings(program_device=ANCHOR_SINK, output_latency_ms=40)
    voices = VoiceCatalog(None).profiles()
    window = StudioWindow(settings, voices, make_engine(settings, voices[0]))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.engine.engine_ready, timeout=60_000):
        window.start()
    yield window
    window.close()


def test_pickers_list_what_the_audio_server_reports_and_the_reply_plays_on_the_sink(qtbot, device_window):
    window = device_window
    reported = list_devices()
    assert window.devices.names(window.devices.program)[1:] == [
        d.name for d in reported if d.kind == "output"
    ]
    assert window.devices.names(window.devices.mic)[1:] == [d.name for d in reported if d.kind == "input"]
    assert window.devices.chosen()[1] == ANCHOR_SINK
    assert window.engine.audio is not None
    # The server's only input is the program sink's monitor: as the mic the anchor would answer
    # itself, so the mic stays off and the window says why.
    assert window.engine.audio.mic is None
    assert "answer itself" in window.transcript.toPlainText()
    with qtbot.waitSignal(window.engine.turn_completed, timeout=20_000) as done:
        window.engine.submit_text("Are we on air?")
    assert not done.args[0].interrupted and done.args[0].audio_seconds > 1.0
    stats = window.engine.audio.stats()
    assert stats["program"]["device"] == ANCHOR_SINK and stats["program"]["callbacks"] > 10
    assert ANCHOR_SINK in window.devices.status.text() and "mic: off" in window.devices.status.text()


def test_losing_the_program_sink_is_reported_and_recovers(qtbot, device_window, anchor_sink):
    window = device_window
    kinds: list[str] = []
    window.engine.device_event.connect(lambda role, device, kind, message: kinds.append(kind))
    assert anchor_sink.remove_anchor_sink()
    try:
        qtbot.waitUntil(lambda: "lost" in kinds, timeout=30_000)
    except WaitTimedOut:
        stats = window.engine.audio.stats() if window.engine.audio is not None else {}
        pytest.fail(f"no 'lost' report 30 s after the sink went; device events {kinds}, stats {stats}")
    assert "lost" in window.transcript.toPlainText()
    with qtbot.waitSignal(window.engine.turn_completed, timeout=20_000):  # the show goes on in silence
        window.engine.submit_text("Still there?")
    anchor_sink.create_anchor_sink()
    qtbot.waitUntil(lambda: "reconnected" in kinds, timeout=30_000)
    assert "reconnected" in window.transcript.toPlainText()
