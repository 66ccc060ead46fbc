"""The Settings dialog holds the host's speech language and the model hosts' keys; a key change
reloads the stack (the clients carry it), a language change applies from the next line."""

from __future__ import annotations

import stat
import tomllib

import pytest

pytest.importorskip("pytestqt")

from studio.config import load_settings, settings_file
from studio.show.changes import plan_reload
from studio.ui.settings_dialog import SettingsDialog


def test_language_and_keys_are_saved_privately_and_a_bad_code_is_named(qtbot):
    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    assert dialog.stt_language.currentText() == "auto" and dialog.stt_language.findText("hi") >= 0
    dialog.stt_language.setCurrentText("French")
    dialog.save()
    assert "stt_language" in dialog.error.text() and not settings_file().exists()
    dialog.stt_language.setCurrentText("fr")
    dialog.voxtral_key.setText("vk-123")
    dialog.higgs_key.setText("token-456")
    dialog.save()
    saved = dialog.saved
    assert saved is not None and saved.stt_language == "fr" and saved.VOXTRAL_API_KEY == "vk-123"
    written = tomllib.loads(settings_file().read_text())
    assert written == {"stt_language": "fr", "VOXTRAL_API_KEY": "vk-123", "HIGGS_AUDIO_API_KEY": "token-456"}
    assert stat.S_IMODE(settings_file().stat().st_mode) == 0o600  # keys: readable by this user only
    plan = plan_reload(saved.model_copy(update={"VOXTRAL_API_KEY": ""}), saved)
    assert plan.stack and "stack" in plan.rebuilt()  # the clients carry the key: rebuilt with it
    assert not plan_reload(saved, saved.model_copy(update={"stt_language": "de"})).stack  # read per line


def test_the_voice_selector_says_which_language_each_voice_answers_in(qtbot):
    from PySide6.QtCore import Qt

    from studio.ui.top_bar import TopBar, voice_names
    from studio.voices.profile import VoiceProfile

    voices = [VoiceProfile(name="Ava", language="en"), VoiceProfile(name="Amélie", language="fr")]
    bar = TopBar(*voice_names(voices, "Amélie"))
    qtbot.addWidget(bar)
    tips = [bar.voice_box.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(bar.voice_box.count())]
    assert tips == ["Ava answers in en", "Amélie answers in fr"] and bar.voice_box.currentText() == "Amélie"
