"""The studio window over a real engine thread: mic turns, typed lines, interrupt, readouts, voices."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.speech import piper_speech, silence, word_error_rate
from tests.ui.conftest import FAKE_DEVICES, REPLY, RecordingSynthesizer, listening_stack

QUESTION = "What is the weather like in Paris tonight?"


def _question_audio() -> np.ndarray:
    return np.concatenate([silence(0.3), piper_speech(QUESTION), silence(1.6)])


def _transcript(window) -> str:
    return window.transcript.toPlainText()


def test_push_to_talk_with_the_button_shows_host_line_then_anchor_reply(qtbot, studio):
    window, mic = studio(turn_mode="push_to_talk")
    assert window.controls.mode == "push_to_talk" and window.controls.talk_button.isEnabled()
    qtbot.mousePress(window.controls.talk_button, Qt.MouseButton.LeftButton)
    mic.say(_question_audio())
    qtbot.waitUntil(mic.finished.is_set, timeout=20_000)
    with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000) as done:
        qtbot.mouseRelease(window.controls.talk_button, Qt.MouseButton.LeftButton)
    turn = done.args[0]
    assert word_error_rate(QUESTION, turn.transcript) <= 0.2, turn.transcript
    qtbot.waitUntil(lambda: "More after the break." in _transcript(window), timeout=30_000)
    text = _transcript(window)
    assert "HOST" in text and "ANCHOR" in text and turn.transcript in text
    assert text.index("HOST") < text.index("ANCHOR")
    # The mic waveform saw the question: the engine heard it through the scope the GUI draws.
    assert window.engine.mic_scope.end > len(piper_speech(QUESTION))
    assert window.latency.values["voice_to_voice"].text().endswith("ms")
    assert window.latency.turns == 1


def test_auto_turn_runs_a_turn_by_itself(qtbot, studio):
    window, mic = studio(turn_mode="auto")
    with qtbot.waitSignal(window.engine.turn_completed, timeout=40_000) as done:
        mic.say(_question_audio())
    assert word_error_rate(QUESTION, done.args[0].transcript) <= 0.2
    qtbot.waitUntil(lambda: "ANCHOR" in _transcript(window), timeout=30_000)
    assert window.latency.values["turn_decided"].text().endswith("ms")


def test_space_held_is_push_to_talk_but_types_a_space_in_the_text_box(qtbot, studio):
    window, mic = studio(turn_mode="push_to_talk")
    window.activateWindow()
    window.transcript.setFocus()
    with qtbot.waitSignal(window.engine.host_speech_started, timeout=30_000):
        qtbot.keyPress(window.transcript, Qt.Key.Key_Space)
    assert window.hotkeys.held
    mic.say(_question_audio())
    qtbot.waitUntil(mic.finished.is_set, timeout=20_000)
    with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000) as done:
        qtbot.keyRelease(window.transcript, Qt.Key.Key_Space)
    assert word_error_rate(QUESTION, done.args[0].transcript) <= 0.2
    qtbot.keyClicks(window.controls.text_input, "a b")
    assert window.controls.text_input.text() == "a b" and not window.hotkeys.held


def test_typed_line_interrupt_and_exports(qtbot, studio, tmp_path):
    window, _mic = studio(stack_factory=listening_stack(chat_per_token=0.12))
    assert window.safety_strip.dump_button.isHidden()  # no broadcast delay: INTERRUPT is the only dump
    window.controls.text_input.setText("Give me the headlines")
    with qtbot.waitSignal(window.engine.reply_clause_started, timeout=30_000):
        window.controls.text_input.returnPressed.emit()
    with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000) as done:
        qtbot.mouseClick(window.controls.dump_button, Qt.MouseButton.LeftButton)
    turn = done.args[0]
    assert turn.interrupted and len(turn.heard) < len(REPLY)
    # The program output stopped at once: nothing queued past the playhead.
    output = window.engine.output
    assert output.scope.end <= output.played_samples() + output.sample_rate // 50
    qtbot.waitUntil(lambda: "—" in _transcript(window), timeout=30_000)
    assert "Give me the headlines" in _transcript(window)

    srt = window.export_transcript("srt", tmp_path / "show.srt")
    text = window.export_transcript("txt", tmp_path / "show.txt")
    assert srt is not None and text is not None
    blocks = srt.read_text(encoding="utf-8").strip().split("\n\n")
    assert blocks[0].splitlines()[0] == "1" and " --> " in blocks[0].splitlines()[1]
    assert blocks[0].splitlines()[2] == "Host: Give me the headlines"
    assert blocks[1].splitlines()[2].startswith("Anchor: ")
    assert "host:   Give me the headlines" in text.read_text(encoding="utf-8")  # the session exporter


def test_voice_switch_applies_from_the_next_reply(qtbot, studio):
    synthesizer = RecordingSynthesizer()
    window, _mic = studio(stack_factory=listening_stack(synthesizer=synthesizer))
    names = [window.voice_box.itemText(i) for i in range(window.voice_box.count())]
    assert names == ["Ava", "Max"]
    with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000):
        window.engine.submit_text("First question")
    window.voice_box.setCurrentText("Max")
    with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000):
        window.engine.submit_text("Second question")
    first_turn = synthesizer.voices[: len(synthesizer.voices) // 2]
    assert set(first_turn) == {"Ava"} and synthesizer.voices[-1] == "Max"


def test_gauge_shows_studio_ram_without_a_gpu_and_devices_are_listed(qtbot, studio):
    window, _mic = studio()
    qtbot.waitUntil(lambda: window.gauge.last is not None, timeout=30_000)
    reading = window.gauge.last
    assert reading.kind == "ram" and "No GPU" in window.gauge.bar.format()
    assert 50 * 2**20 < reading.used_bytes < reading.total_bytes
    program = [window.devices.program.itemText(i) for i in range(window.devices.program.count())]
    assert program == ["System default", "Headphones", "AI_Anchor_Out (virtual)"]
    assert window.devices.names(window.devices.program) == [
        "",
        *(d.name for d in FAKE_DEVICES if d.is_output),
    ]
    assert window.devices.names(window.devices.mic) == ["", "Built-in Microphone"]


@pytest.mark.parametrize("state", ["degraded", "down"])
def test_stage_trouble_lights_up_and_shows_the_banner(qtbot, studio, state):
    window, _mic = studio()
    assert window.banner.isHidden()
    window.engine.stage_status_changed.emit("chat", "ollama", state, "connection refused")
    qtbot.waitUntil(lambda: not window.banner.isHidden(), timeout=20_000)
    assert "prepared lines" in window.banner.text() and "connection refused" in window.banner.text()
    assert window.lights.lights["chat"].state == state
    assert "connection refused" in window.lights.lights["chat"].toolTip()
    window.engine.stage_status_changed.emit("chat", "ollama", "ready", "")
    qtbot.waitUntil(window.banner.isHidden, timeout=20_000)


def test_settings_change_applies_hotkey_at_once_and_sensitivity_without_a_reload(qtbot, studio):
    window, _mic = studio(turn_mode="push_to_talk")
    first_engine = window.engine
    dialog = window.open_settings()
    dialog.ptt.setKeySequence("F9")
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.save()
    assert window.engine is first_engine and "F9" in window.controls.talk_button.text()
    with qtbot.waitSignal(window.engine.host_speech_started, timeout=30_000):
        qtbot.keyPress(window.transcript, Qt.Key.Key_F9)
    qtbot.keyRelease(window.transcript, Qt.Key.Key_F9)

    dialog = window.open_settings()
    dialog.vad.setValue(0.65)
    with qtbot.waitSignal(window.engine.settings_applied, timeout=20_000) as applied:
        dialog.save()
    assert applied.args[0] == ()  # a threshold is read per frame: no model reloads, the show goes on
    assert window.engine is first_engine and first_engine.isRunning()
    assert window.settings.vad_threshold == 0.65 and window.engine.settings.vad_threshold == 0.65
    with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000):
        window.engine.submit_text("Still on air?")


def test_the_show_in_the_window_is_written_to_a_session_log(qtbot, studio):
    from studio.session.export import read_session

    window, _mic = studio()
    with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000):
        window.engine.submit_text("Who is on the show tonight?")
    records = read_session(window.engine.session_log_path)
    kinds = [record["kind"] for record in records]
    assert kinds[0] == "session_started"
    assert any("Who is on the show tonight?" in str(record) for record in records)
    assert any(REPLY.split(",")[0] in str(record) for record in records)


def test_captions_show_when_speech_synthesis_is_down(qtbot, studio):
    from studio.faults import FaultPlan, inject_faults

    async def broken_tts(settings, progress):
        return inject_faults(await listening_stack()(settings, progress), FaultPlan("tts:fail:1.0"))

    window, _mic = studio(stack_factory=broken_tts)
    with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000):
        window.engine.submit_text("Are you there?")
    qtbot.waitUntil(lambda: "More after the break." in _transcript(window), timeout=30_000)
    assert window.lights.lights["tts"].state in ("degraded", "down")
    assert not window.banner.isHidden() and "captions" in window.banner.text()
