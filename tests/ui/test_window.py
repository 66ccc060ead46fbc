"""The studio window over a real engine thread (instrumented backends): typed line → both lines shown."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from studio.config import load_settings
from studio.engine.qt_adapter import EngineThread
from studio.ui.app import StudioWindow
from studio.voices.catalog import VoiceCatalog
from tests.engine.test_qt_adapter import REPLY, fixed_stack


def test_typed_line_shows_host_and_anchor(qtbot):
    settings = load_settings()
    voices = VoiceCatalog(None).profiles()
    engine = EngineThread(settings, voices[0], stack_factory=fixed_stack())
    window = StudioWindow(settings, voices, engine)
    qtbot.addWidget(window)
    with qtbot.waitSignal(engine.engine_ready, timeout=10_000):
        engine.start()
    assert window.ready and "stt" in window._lights
    window.text_input.setText("What's new tonight?")
    with qtbot.waitSignal(engine.turn_completed, timeout=10_000):
        window.text_input.returnPressed.emit()
    qtbot.waitUntil(lambda: REPLY in window.transcript.toPlainText(), timeout=5_000)
    text = window.transcript.toPlainText()
    assert "HOST   What's new tonight?" in text
    assert "voice_to_voice" in window.latency.text()
    assert [window.voice_box.itemText(i) for i in range(window.voice_box.count())] == ["Ava", "Max"]
    window.close()
    assert engine.wait(10_000)
