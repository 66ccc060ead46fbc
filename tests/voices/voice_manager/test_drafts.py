"""The voice manager presenter's new voices from a clip: import, record, save, leave or close a draft."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from studio.ui.voice_manager_state import (
    DRAFT_NOTE,
)
from studio.voices.reference import prepare_reference
from tests.speech import RATE, espeak_speech
from tests.voices.conftest import SPOKEN, user_voice_folders


# ----- new voices from a clip -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "expected"),
    [("not audio", "not an audio file"), ("short", "must be 3–30 s"), ("silent", "silent")],
)
def test_a_bad_import_says_why_and_leaves_no_draft(manager, store, tmp_path, content, expected):
    path = tmp_path / ("notes.wav" if content == "not audio" else f"{content}.wav")
    if content == "not audio":
        path.write_text("these are my show notes, not a recording")
    else:
        audio = np.array(espeak_speech("Hello there.")) if content == "short" else np.zeros(5 * RATE)
        sf.write(path, audio, RATE)
    m = manager()
    m.view.file = str(path)
    m.presenter.import_clip()
    assert m.view.status == f"Checking {path.name}…"
    m.worker.pump()
    assert m.view.error.startswith(f"Cannot use {path.name}: ") and expected in m.view.error
    assert m.view.error.endswith("Nothing was saved.") and str(tmp_path) not in m.view.error
    assert m.presenter.state.draft is None and all(row.name is not None for row in m.view.rows)
    assert user_voice_folders(store.user_dir) == [] and m.view.told == []


@pytest.mark.parametrize(
    ("name", "expected"), [("", "name is empty"), ("news/late", "path separators"), ("max", "already exists")]
)
def test_a_draft_is_saved_only_with_a_good_name_and_a_transcript(manager, store, speech_wav, name, expected):
    m = manager()
    m.view.file = str(speech_wav)
    m.presenter.import_clip()
    m.worker.pump()
    draft_row = m.view.rows[0]
    assert draft_row.name is None and draft_row.italic and draft_row.text == "speech (not saved)"
    assert (
        m.view.new and m.view.note == DRAFT_NOTE and m.view.reference.startswith("imported from speech.wav")
    )
    assert ("focus",) in m.view.told and m.view.buttons.save.enabled
    m.presenter.save()  # no transcript yet
    m.worker.pump()
    assert "transcript is empty" in m.view.error
    m.edit(name=name, transcript=SPOKEN)
    assert m.view.rows[0].text == f"{name or 'New voice'} (not saved)"
    m.presenter.save()
    m.worker.pump()
    assert expected in m.view.error and m.view.error.startswith("Not saved: ")
    assert user_voice_folders(store.user_dir) == [] and m.view.rows[0].name is None
    m.edit(name="Evening")
    m.presenter.save()
    m.worker.pump()
    assert store.get("Evening").reference_transcript == SPOKEN and m.view.current_name == "Evening"
    assert m.view.status == "Saved the new voice Evening" and m.presenter.state.draft is None


def test_an_imported_name_that_is_taken_is_numbered(manager, speech_wav, tmp_path):
    clip = tmp_path / "Ava.wav"
    clip.write_bytes(speech_wav.read_bytes())
    m = manager()
    m.view.file = str(clip)
    m.presenter.import_clip()
    m.worker.pump()
    assert m.view.values.name == "Ava 2" and m.view.values.anchor_name == "Ava 2"


def test_leaving_a_draft_asks_then_relists_without_it(manager, speech_wav):
    m = manager()
    m.view.file = str(speech_wav)
    m.presenter.import_clip()
    m.worker.pump()
    m.view.answers = [False]
    assert m.presenter.choose("Ava") == "keep" and m.view.questions == [
        "Discard the unsaved changes to 'speech'?"
    ]
    assert m.presenter.choose("Ava") == "relist" and m.presenter.state.draft is None
    m.presenter.reload(select="Ava")  # what the dialog does once the list's signal has returned
    assert m.view.current_name == "Ava" and all(row.name is not None for row in m.view.rows)


def test_a_recording_becomes_a_draft_only_when_a_mic_was_found(manager, speech_wav):
    m = manager()
    m.presenter.checks.probe_recorder(lambda: "no audio input devices found")
    m.worker.pump()
    assert m.view.buttons.record.tip == "Recording is not possible: no audio input devices found"
    m.presenter.record_clip()
    assert m.view.recorder is None and not m.view.buttons.record.enabled

    def broken() -> str | None:
        raise OSError("PortAudio library not found")

    m.presenter.checks.probe_recorder(broken)
    m.worker.pump()
    assert (
        m.view.buttons.record.tip == "Recording is not possible: No microphone: PortAudio library not found"
    )
    m.presenter.checks.probe_recorder(lambda: None)
    m.worker.pump()
    assert m.view.buttons.record.enabled
    m.presenter.record_clip()
    assert m.view.recorder is not None
    m.view.recorder(prepare_reference(speech_wav))
    m.worker.pump()
    assert m.view.values.name == "My voice" and m.view.reference.startswith("recorded: ")
    assert m.view.status.startswith("Reference ready (")


def test_closing_with_a_draft_asks_and_removes_the_temp_files(manager, speech_wav):
    m = manager()
    m.view.file = str(speech_wav)
    m.presenter.import_clip()
    m.worker.pump()
    work = m.presenter.work_dir
    assert any(work.iterdir())
    m.view.answers = [False]
    assert not m.presenter.may_close()
    assert m.view.questions == ["Close without saving the changes to 'speech'?"]
    assert m.presenter.may_close()
    m.presenter.close()
    assert not work.exists()
