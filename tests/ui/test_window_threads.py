"""The window never calls the audio server on the GUI thread: device listing and the OBS sink run on
its worker, and their results come back to the pickers."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from studio.config import load_settings
from studio.ui.main_window import StudioWindow
from studio.ui.show_thread import ShowThread
from studio.voices.catalog import VoiceCatalog
from tests.ui.conftest import FAKE_DEVICES


def test_devices_are_listed_and_the_sink_is_made_off_the_gui_thread(qtbot):
    calls: list[tuple[str, int]] = []

    def lister():
        calls.append(("list", threading.get_ident()))
        return FAKE_DEVICES

    def sink_maker() -> tuple[str, str]:
        calls.append(("sink", threading.get_ident()))
        return "AI_Anchor_Out", "In OBS: capture the monitor of AI_Anchor_Out"

    settings = load_settings()
    voices = VoiceCatalog(None).profiles()
    show = ShowThread(settings, voices[0])  # never started: the pickers need no models
    window = StudioWindow(settings, voices, show, lister, sink_maker=sink_maker)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.device_presenter.listings == 1, timeout=10_000)
    assert window.devices.names(window.devices.program) == ["", "Headphones", "AI_Anchor_Out"]

    qtbot.mouseClick(window.devices.sink_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.devices.chosen()[1] == "AI_Anchor_Out", timeout=10_000)
    assert "In OBS" in window.transcript.toPlainText()
    assert window.settings.program_device == "AI_Anchor_Out"
    assert [call for call, _thread in calls] == ["list", "sink", "list"]
    assert all(thread != threading.get_ident() for _call, thread in calls)
    window.close()
