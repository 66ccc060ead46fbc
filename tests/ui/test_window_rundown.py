"""The window's rundown strip over a running show, and its mute button following a control surface."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from tests.rundown.helpers import THREE
from tests.show.doubles import CountingStackFactory


def test_start_from_the_window_tells_the_anchor_its_segment(qtbot, studio, tmp_path):
    factory = CountingStackFactory()
    window, _mic = studio(stack_factory=factory)
    rundown = tmp_path / "show.toml"
    rundown.write_text(THREE, encoding="utf-8")
    assert window.rundown.open(rundown) is None
    assert window.rundown_panel.next_button.text() == "START ▶"
    qtbot.mouseClick(window.rundown_panel.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.engine.show.rundown_status().started, timeout=10_000)
    window.rundown.refresh()
    assert window.rundown_panel.title.text() == "1/3 Headlines"
    window.controls.text_input.setText("What is first tonight?")
    with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000):
        window.controls.text_input.returnPressed.emit()
    told = factory.chat.requests[-1][-1].content  # the producer's note at the head of the host's line
    assert 'segment 1 of 3, "Headlines"' in told and "Open with the storm warning." in told


def test_the_mute_button_follows_a_mute_from_another_thread(qtbot, studio):
    window, _mic = studio(stack_factory=CountingStackFactory())
    surface = threading.Thread(target=window.engine.show.set_mic_muted, args=(True,))  # as OSC/MIDI do
    surface.start()
    surface.join()
    qtbot.waitUntil(window.controls.mute_button.isChecked, timeout=10_000)
    assert window.engine.mic_muted
    qtbot.mouseClick(window.controls.mute_button, Qt.MouseButton.LeftButton)
    assert not window.engine.mic_muted and not window.controls.mute_button.isChecked()
