"""The voice manager's plain rules (names, errors, form values, no Qt) and its profile list."""

from __future__ import annotations

import subprocess
import sys

from studio.ui.voice_manager_state import (
    NO_ENGINE_TIP,
    FormValues,
    short_error,
    unique_name,
)
from studio.voices.profile import VoiceProfile
from tests.voices.voice_manager.conftest import _own


# ----- plain rules ---------------------------------------------------------------------------------
def test_unique_name_numbers_a_taken_name_in_any_case():
    profiles = [VoiceProfile(name="Ava"), VoiceProfile(name="ava 2")]
    assert unique_name("Ava", profiles) == "Ava 3"
    assert unique_name("  ", profiles) == "New voice"
    assert unique_name("Max", profiles) == "Max"


def test_short_error_drops_the_temp_path_but_keeps_other_colons():
    assert short_error(ValueError("/tmp/x/a.wav: the clip is silent")) == "the clip is silent"
    assert short_error(ValueError("bad language: 'xx!'")) == "bad language: 'xx!'"
    assert short_error(RuntimeError()) == "RuntimeError"


def test_form_values_keep_the_base_where_a_field_was_left_blank():
    base = VoiceProfile(name="Ava", anchor_name="Ava", persona="Calm.", embedded_voice="en_US-amy")
    values = FormValues(name=" ", anchor_name="", language=" fr ", transcript="  two\n words ", seed=5)
    voice = values.profile(base)
    assert (voice.name, voice.anchor_name, voice.persona, voice.embedded_voice) == (
        "Ava",
        "Ava",
        "Calm.",
        "en_US-amy",
    )
    assert (voice.language, voice.reference_transcript, voice.synthesis.seed) == ("fr", "two words", 5)
    assert FormValues(language="pt-BR").stt_language == "pt" and FormValues(language="").stt_language is None


def test_the_presenter_modules_do_not_import_qt():
    code = (
        "import sys, studio.ui.voice_manager_presenter, studio.ui.voice_checks;"
        "sys.exit(any(m.split('.')[0] in ('PySide6', 'shiboken6') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


# ----- list --------------------------------------------------------------------------------------
def test_the_list_marks_default_and_bundled_and_bundled_voices_cannot_be_changed(manager, store):
    store.set_default("Max")
    m = manager()
    rows = {row.name: row for row in m.view.rows}
    assert "default" in rows["Max"].text and "bundled" in rows["Max"].text and rows["Max"].bold
    assert not rows["Ava"].bold and "read-only" in rows["Ava"].tooltip
    assert m.pick("Ava") == "show"
    buttons = m.view.buttons
    assert "read-only" in m.view.note and not m.view.editable
    assert not buttons.rename.enabled and not buttons.delete.enabled and not buttons.save.enabled
    assert buttons.duplicate.enabled and buttons.default.enabled and buttons.play.enabled
    assert not buttons.transcribe.enabled and buttons.preview.tip == NO_ENGINE_TIP
    assert not buttons.record.enabled and buttons.record.tip == "Checking for a microphone…"


def test_leaving_unsaved_edits_asks_and_no_keeps_them(manager, store):
    _own(store, "Robin")
    m = manager()
    m.pick("Robin")
    m.edit(persona="Dry wit.")
    assert m.view.buttons.save.enabled and m.view.buttons.revert.enabled
    m.view.answers = [False]
    assert m.presenter.choose("Ava") == "keep"
    assert m.view.questions == ["Discard the unsaved changes to 'Robin'?"]
    assert m.view.values.persona == "Dry wit." and m.presenter.state.selected.name == "Robin"
    assert m.presenter.choose("Ava") == "show"  # yes: the edits go, Ava is shown
    assert m.view.profile.name == "Ava" and not m.presenter.state.dirty
