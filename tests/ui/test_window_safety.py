"""The window's safety strip over a running show: the reply edited and approved, the delay and DUMP.

Threading: the show runs in the window's ShowThread; the test clicks on the Qt main thread and waits
on signals and on the strip's polled state.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.show.doubles import CountingStackFactory


def test_the_producer_edits_and_approves_then_dumps_from_the_window(qtbot, studio, monkeypatch) -> None:
    monkeypatch.setenv("APPROVE_REPLIES", "true")
    monkeypatch.setenv("APPROVAL_TIMEOUT_S", "0")
    monkeypatch.setenv("BROADCAST_DELAY_S", "5")
    monkeypatch.setenv("BLOCKED_WORDS", "darn")
    monkeypatch.setenv("BLOCKED_WORD_ACTION", "bleep")
    window, _mic = studio(stack_factory=CountingStackFactory())
    strip = window.safety_strip
    qtbot.waitUntil(lambda: strip.delay.text() == "Delay 5.0 / 5.0 s", timeout=10_000)
    assert strip.approval.isHidden()
    window.controls.text_input.setText("Anything for the road?")
    window.controls.text_input.returnPressed.emit()
    qtbot.waitUntil(lambda: not strip.approval.isHidden(), timeout=30_000)
    assert strip.reply.toPlainText() == "Sure thing. More after the break."
    strip.reply.setPlainText("Sure thing, darn it. Back after the break.")
    with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000) as completed:
        qtbot.mouseClick(strip.approve_button, Qt.MouseButton.LeftButton)
    assert completed.args[0].heard == "Sure thing, [bleep] it. Back after the break."
    qtbot.waitUntil(strip.approval.isHidden, timeout=10_000)
    qtbot.mouseClick(strip.dump_button, Qt.MouseButton.LeftButton)  # the reply is still in the delay
    qtbot.waitUntil(lambda: strip.delay.text() == "Delay 0.0 / 5.0 s (building)", timeout=10_000)
