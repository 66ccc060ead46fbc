"""The voice manager dialog: the list, edits, rename/delete, importing a clip and naming a new voice."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt

from studio.voices.reference import REFERENCE_RATE
from tests.speech import RATE, espeak_speech
from tests.ui.voice_manager.conftest import (
    SPOKEN,
    FakePlayer,
    _answer,
    _choose_file,
    _clip_file,
    _items,
    _name_answer,
    _own_profile,
    _user_folders,
)


# ----- list, details, edits ------------------------------------------------------------------------
def test_bundled_voices_are_listed_read_only_and_the_default_is_marked(qtbot, make_dialog, store):
    store.set_default("Max")
    dialog = make_dialog()
    assert {"Ava", "Max"} <= set(dialog.profile_names())
    texts = [dialog.profile_list.item(i).text() for i in range(dialog.profile_list.count())]
    assert any(t.startswith("Max") and "default" in t and "bundled" in t for t in texts)
    dialog.select("Ava")
    assert "read-only" in dialog.note_label.text()
    assert not dialog.rename_button.isEnabled() and not dialog.delete_button.isEnabled()
    assert dialog.duplicate_button.isEnabled() and dialog.default_button.isEnabled()
    assert dialog.form.persona_edit.isReadOnly() and not dialog.save_button.isEnabled()
    assert "s, 24 kHz mono" in dialog.form.reference_label.text()
    assert not dialog.transcribe_button.isEnabled() and "No model stack" in dialog.preview_button.toolTip()


def test_play_reference_hands_the_clip_to_the_player(qtbot, make_dialog, store):
    player = FakePlayer()
    dialog = make_dialog(player=player)
    dialog.select("Ava")
    qtbot.mouseClick(dialog.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(player.played) == 1, timeout=30_000)
    samples, rate = player.played[0]
    ava = store.get("Ava")
    assert ava.reference_audio is not None
    assert rate == REFERENCE_RATE and len(samples) == sf.info(str(ava.reference_audio)).frames


def test_duplicate_edit_save_and_set_default(qtbot, make_dialog, store, monkeypatch):
    dialog = make_dialog()
    dialog.select("Ava")
    _name_answer(monkeypatch, "Ava nights")
    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.duplicate_button, Qt.MouseButton.LeftButton)
    assert dialog.profile_list.currentItem().text() == "Ava nights"
    assert dialog.rename_button.isEnabled() and not dialog.form.persona_edit.isReadOnly()
    dialog.form.persona_edit.setPlainText("Dry wit, short sentences.")
    dialog.form.temperature_spin.setValue(0.45)
    dialog.form.seed_spin.setValue(77)
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = store.get("Ava nights")
    assert saved.persona == "Dry wit, short sentences." and not saved.read_only
    assert (saved.synthesis.temperature, saved.synthesis.seed) == (0.45, 77)
    assert saved.reference_transcript == store.get("Ava").reference_transcript
    assert not dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.default_button, Qt.MouseButton.LeftButton)
    assert store.default_name() == "Ava nights"
    assert "default" in dialog.profile_list.currentItem().text()


def test_a_refused_edit_shows_why_and_keeps_the_file(qtbot, make_dialog, store, tmp_path):
    _own_profile(store, tmp_path, "Robin")
    before = (store.user_dir / "Robin" / "profile.toml").read_text()
    dialog = make_dialog()
    dialog.select("Robin")
    dialog.form.language_box.setCurrentText("not a language!")
    changed: list[bool] = []
    dialog.profiles_changed.connect(lambda: changed.append(True))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=30_000)
    assert "bad language" in dialog.error_label.text()
    assert (store.user_dir / "Robin" / "profile.toml").read_text() == before and not changed


def test_rename_and_delete_ask_first(qtbot, make_dialog, store, tmp_path, monkeypatch):
    _own_profile(store, tmp_path, "Robin")
    store.set_default("Robin")
    dialog = make_dialog()
    dialog.select("Robin")
    _name_answer(monkeypatch, "Robin Ünïcode")
    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.rename_button, Qt.MouseButton.LeftButton)
    assert "Robin Ünïcode" in dialog.profile_names() and "Robin" not in dialog.profile_names()
    assert store.default_name() == "Robin Ünïcode"

    asked = _answer(monkeypatch, yes=False)
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert asked and "Robin Ünïcode" in asked[0] and "cannot be undone" in asked[0]
    assert "Robin Ünïcode" in [p.name for p in store.profiles()]

    _answer(monkeypatch, yes=True)
    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert "Robin Ünïcode" not in dialog.profile_names()
    assert _user_folders(store) == [] and store.default_name() is None


def test_rename_to_a_taken_name_is_refused_in_the_dialog(qtbot, make_dialog, store, tmp_path, monkeypatch):
    _own_profile(store, tmp_path, "Robin")
    dialog = make_dialog()
    dialog.select("Robin")
    _name_answer(monkeypatch, "max")  # a bundled voice's name, other case
    qtbot.mouseClick(dialog.rename_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=30_000)
    assert "already exists" in dialog.error_label.text()
    assert _user_folders(store) == ["Robin"]


# ----- import ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not audio", "not an audio file"),
        ("short", "must be 3–30 s"),
        ("silent", "silent"),
    ],
)
def test_bad_import_shows_the_error_and_writes_nothing(
    qtbot, make_dialog, store, tmp_path, monkeypatch, content, expected
):
    if content == "not audio":
        path = tmp_path / "notes.wav"
        path.write_text("these are my show notes, not a recording")
    elif content == "short":
        path = _clip_file(tmp_path, np.array(espeak_speech("Hello there.")), "short.flac")
    else:
        path = _clip_file(tmp_path, np.zeros(5 * RATE, np.float32), "silent.wav")
    dialog = make_dialog()
    changed: list[bool] = []
    dialog.profiles_changed.connect(lambda: changed.append(True))
    _choose_file(monkeypatch, path)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=30_000)
    message = dialog.error_label.text()
    assert expected in message and path.name in message and "Nothing was saved" in message
    assert str(tmp_path) not in message  # the reason, not a path dump
    assert _user_folders(store) == [] and not changed
    assert all(item.data(Qt.ItemDataRole.UserRole) is not None for item in _items(dialog))


def test_import_makes_an_unsaved_voice_that_save_creates(qtbot, make_dialog, store, tmp_path, monkeypatch):
    path = _clip_file(tmp_path, np.array(espeak_speech(SPOKEN)), "evening voice.ogg", format="OGG")
    dialog = make_dialog()
    _choose_file(monkeypatch, path)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.profile_list.item(0).text().endswith("(not saved)"), timeout=30_000)
    assert dialog.form.name_edit.text() == "evening voice" and not dialog.form.name_edit.isReadOnly()
    assert "OGG" in dialog.form.reference_label.text() and _user_folders(store) == []
    assert dialog.form.transcript_edit.toPlainText() == ""
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # no transcript yet: refused
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=30_000)
    assert "transcript is empty" in dialog.error_label.text() and _user_folders(store) == []
    dialog.form.transcript_edit.setPlainText(SPOKEN)
    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    profile = store.get("evening voice")
    assert profile.reference_transcript == SPOKEN and profile.reference_audio is not None
    info = sf.info(str(profile.reference_audio))
    assert (info.samplerate, info.channels) == (REFERENCE_RATE, 1)
    assert dialog.profile_list.currentItem().data(Qt.ItemDataRole.UserRole) == "evening voice"


def test_leaving_an_unsaved_import_asks_first(qtbot, make_dialog, store, tmp_path, monkeypatch):
    path = _clip_file(tmp_path, np.array(espeak_speech(SPOKEN)), "take one.wav")
    dialog = make_dialog()
    _choose_file(monkeypatch, path)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.profile_list.item(0).text().endswith("(not saved)"), timeout=30_000)
    asked = _answer(monkeypatch, yes=False)
    dialog.select("Ava")
    assert asked and "take one" in asked[0]
    assert dialog.profile_list.currentRow() == 0 and dialog.form.name_edit.text() == "take one"
    _answer(monkeypatch, yes=True)
    dialog.select("Ava")
    qtbot.waitUntil(lambda: not any(item.text().endswith("(not saved)") for item in _items(dialog)))
    assert dialog.profile_list.currentItem().data(Qt.ItemDataRole.UserRole) == "Ava"
    assert dialog.form.name_edit.text() == "Ava" and _user_folders(store) == []


@pytest.mark.parametrize(
    ("name", "expected"), [("", "name is empty"), ("news/late", "path separators"), ("Ava", "already exists")]
)
def test_a_bad_name_for_a_new_voice_is_refused_and_nothing_is_written(
    qtbot, make_dialog, store, tmp_path, monkeypatch, name, expected
):
    path = _clip_file(tmp_path, np.array(espeak_speech(SPOKEN)), "clip.wav")
    dialog = make_dialog()
    _choose_file(monkeypatch, path)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.form.name_edit.text() == "clip", timeout=30_000)
    dialog.form.name_edit.setText(name)
    dialog.form.transcript_edit.setPlainText(SPOKEN)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.error_label.isVisible, timeout=30_000)
    assert expected in dialog.error_label.text() and "Not saved" in dialog.error_label.text()
    assert _user_folders(store) == [] and dialog.profile_list.item(0).text().endswith("(not saved)")
