"""The voice manager with live models (transcribe, preview, next reply) and the studio window's selector."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt

from tests.speech import piper_speech, word_error_rate
from tests.ui.conftest import RecordingSynthesizer, listening_stack
from tests.ui.voice_manager.conftest import (
    SPOKEN,
    FakePlayer,
    FileRecorderFactory,
    _answer,
    _choose_file,
    _clip_file,
    _name_answer,
    _own_profile,
)


# ----- with the live models: transcribe, preview, and the studio using the new voice --------------
class VoiceRecordingSynthesizer(RecordingSynthesizer):
    """Also keeps the profile objects, to check the persona and reference the engine used."""

    def __init__(self) -> None:
        super().__init__()
        self.profiles: list = []

    def synthesize(self, text, voice):
        self.profiles.append(voice)
        return super().synthesize(text, voice)


def test_created_voice_is_transcribed_previewed_and_used_for_the_next_reply(
    qtbot, studio, store, tmp_path, monkeypatch
):
    synthesizer = VoiceRecordingSynthesizer()
    window, _mic = studio(stack_factory=listening_stack(synthesizer=synthesizer))
    player = FakePlayer()
    window.voice_manager_options = {"recorder_factory": FileRecorderFactory(problem="x"), "player": player}
    qtbot.mouseClick(window.voices_button, Qt.MouseButton.LeftButton)
    dialog = window.voice_manager
    assert dialog is not None and dialog.isVisible() and dialog.engine is window.engine

    spoken = "The weather tonight is calm and clear, with a light breeze from the west."
    path = _clip_file(tmp_path, np.array(piper_speech(spoken)), "joe.wav")
    _choose_file(monkeypatch, path)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.form.name_edit.text() == "joe", timeout=30_000)
    dialog.form.name_edit.setText("Nachtschicht Ünï")
    dialog.form.anchor_edit.setText("Nova")
    assert dialog.transcribe_button.isEnabled()
    qtbot.mouseClick(dialog.transcribe_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.form.transcript_edit.toPlainText() != "", timeout=60_000)
    transcript = dialog.form.transcript_edit.toPlainText()
    assert word_error_rate(spoken, transcript) <= 0.25, transcript
    assert not dialog.form.transcript_edit.isReadOnly()

    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(player.played) == 1, timeout=30_000)
    assert synthesizer.profiles[-1].anchor_name == "Nova"
    assert synthesizer.profiles[-1].reference_transcript == transcript
    assert len(player.played[0][0]) > 0

    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    names = [window.voice_box.itemText(i) for i in range(window.voice_box.count())]
    assert "Nachtschicht Ünï" in names
    window.voice_box.setCurrentText("Nachtschicht Ünï")  # reaches the running show on its own thread
    qtbot.waitUntil(lambda: window.engine.voice.name == "Nachtschicht Ünï", timeout=5_000)
    synthesizer.profiles.clear()
    with qtbot.waitSignal(window.engine.turn_completed, timeout=20_000) as turn:
        qtbot.keyClicks(window.controls.text_input, "Who is reading the news tonight?")
        qtbot.keyClick(window.controls.text_input, Qt.Key.Key_Return)
    assert turn.args[0].transcript == "Who is reading the news tonight?"
    used = synthesizer.profiles
    assert used and all(v.name == "Nachtschicht Ünï" and v.anchor_name == "Nova" for v in used)
    assert used[0].reference_audio == store.user_dir / "Nachtschicht Ünï" / "reference.wav"
    assert used[0].system_prompt().startswith("Your name is Nova.")
    dialog.reject()
    assert window.voice_manager is None


def test_transcribe_before_the_models_are_loaded_says_so(qtbot, make_dialog, store, tmp_path):
    from studio.config import load_settings
    from studio.ui.show_thread import ShowThread

    _own_profile(store, tmp_path, "Robin")
    engine = ShowThread(load_settings(), store.get("Robin"))  # never started
    dialog = make_dialog(engine=engine)
    engine.setParent(dialog)  # deleted with the dialog, on the GUI thread
    dialog.select("Robin")
    qtbot.mouseClick(dialog.transcribe_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.error_label.isVisible, timeout=30_000)
    assert "models not loaded yet" in dialog.error_label.text()
    assert dialog.form.transcript_edit.toPlainText() == SPOKEN and dialog.transcribe_button.isEnabled()
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Preview failed" in dialog.error_label.text(), timeout=30_000)


# ----- the studio window's "Voices…" button ---------------------------------------------------------
@pytest.fixture
def idle_window(qtbot):
    """A studio window whose engine is never started (the selector and the dialog need no models)."""
    from studio.config import data_dir, load_settings
    from studio.ui.main_window import StudioWindow
    from studio.ui.show_thread import ShowThread
    from studio.voices.catalog import VoiceCatalog
    from tests.ui.conftest import FAKE_DEVICES

    windows = []

    def make(voice: str):
        settings = load_settings()
        voices = VoiceCatalog(data_dir() / "voices").profiles()
        chosen = next(v for v in voices if v.name == voice)
        window = StudioWindow(settings, voices, ShowThread(settings, chosen), lambda: FAKE_DEVICES)
        qtbot.addWidget(window)
        windows.append(window)  # deleted by qtbot on the GUI thread, never by a stray GC
        window.voice_manager_options = {
            "recorder_factory": FileRecorderFactory(problem="no input devices in this test"),
            "player": FakePlayer(),
        }
        return window

    yield make


def test_the_window_selector_follows_renames_and_deletes(qtbot, idle_window, store, tmp_path, monkeypatch):
    _own_profile(store, tmp_path, "Robin")
    window = idle_window("Robin")
    assert window.voice_box.currentText() == "Robin"
    qtbot.mouseClick(window.voices_button, Qt.MouseButton.LeftButton)
    dialog = window.voice_manager
    assert dialog is not None and dialog.isVisible() and dialog.engine is window.engine
    qtbot.mouseClick(window.voices_button, Qt.MouseButton.LeftButton)
    assert window.voice_manager is dialog  # one manager at a time

    dialog.select("Robin")
    _name_answer(monkeypatch, "Robin Late")
    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.rename_button, Qt.MouseButton.LeftButton)
    names = [window.voice_box.itemText(i) for i in range(window.voice_box.count())]
    assert "Robin Late" in names and "Robin" not in names
    assert window.voice_box.currentText() == "Robin Late" and window.engine.voice.name == "Robin Late"

    dialog.select("Max")  # a duplicate shows up in the selector without changing the choice
    _name_answer(monkeypatch, "Max copy")
    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.duplicate_button, Qt.MouseButton.LeftButton)
    assert window.voice_box.findText("Max copy") >= 0 and window.voice_box.currentText() == "Robin Late"

    dialog.select("Robin Late")
    _answer(monkeypatch, yes=True)
    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert window.voice_box.findText("Robin Late") < 0
    assert window.engine.voice.name == window.voice_box.currentText() != ""
    dialog.reject()
    assert window.voice_manager is None
