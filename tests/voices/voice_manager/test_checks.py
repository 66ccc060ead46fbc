"""The voice manager presenter's listening checks: transcribe, preview, play, and a new engine."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from studio.ui.voice_checks import PREVIEW_TEXT
from tests.voices.voice_manager.conftest import FakeEngine, _own


# ----- listening checks ----------------------------------------------------------------------------
def test_transcribe_uses_the_base_language_and_fills_the_transcript(manager, store):
    _own(store, "Robin")
    engine = FakeEngine("The words of the clip.")
    m = manager(engine)
    m.pick("Robin")
    m.edit(language="pt-BR", transcript="")
    m.presenter.checks.transcribe()
    assert m.view.buttons.transcribe == dataclasses.replace(
        m.view.buttons.transcribe, enabled=False, text="Transcribing…"
    )
    m.worker.pump()
    audio, language = engine.heard[0]
    assert language == "pt" and audio.dtype == np.float32
    reference_frames = sf.info(str(store.get("Robin").reference_audio)).frames
    assert len(audio) == pytest.approx(reference_frames * 16_000 / 24_000, abs=2)  # resampled for STT
    assert m.view.values.transcript == "The words of the clip."
    assert m.view.status == "Transcribed: check the words, then Save" and m.view.buttons.transcribe.enabled


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("  ", "No words were recognised in the clip; type the transcript instead."),
        (RuntimeError("models not loaded yet"), "Transcription failed: models not loaded yet"),
    ],
)
def test_a_transcription_without_words_says_so(manager, store, answer, expected):
    _own(store, "Robin")
    engine = FakeEngine()
    engine.text = answer
    m = manager(engine)
    m.pick("Robin")
    m.presenter.checks.transcribe()
    m.worker.pump()
    assert m.view.error == expected and m.view.values.transcript == store.get("Robin").reference_transcript


def test_a_late_transcription_for_a_voice_left_behind_is_dropped(manager, store):
    _own(store, "Robin")
    _own(store, "Sam")
    m = manager(FakeEngine("Words for Robin."))
    m.pick("Robin")
    m.presenter.checks.transcribe()
    m.pick("Sam")
    m.worker.pump()
    assert m.view.profile.name == "Sam" and m.view.values.transcript != "Words for Robin."
    assert m.view.buttons.transcribe.text == "Transcribe" and m.view.status == ""


def test_preview_speaks_the_voice_as_edited_and_plays_it(manager, store):
    engine = FakeEngine()
    m = manager(engine)
    m.pick("Ava")
    m.edit(anchor_name="Nova")
    m.presenter.checks.preview()
    assert not m.view.buttons.preview.enabled and m.view.status == "Synthesising the preview with Ava…"
    m.worker.pump()
    text, voice = engine.spoken[0]
    assert text == PREVIEW_TEXT and voice.anchor_name == "Nova" and voice.name == "Ava"
    assert len(m.player.played) == 1 and m.view.status == "Preview played" and m.view.buttons.preview.enabled
    engine.audio = np.zeros(0, np.float32)
    m.view.sentence = "Testing, one two."
    m.presenter.checks.preview()
    m.worker.pump()
    assert engine.spoken[1][0] == "Testing, one two."
    assert (
        m.view.error == "Preview failed: the speech synthesis returned no audio" and len(m.player.played) == 1
    )


def test_play_hands_the_reference_to_the_player_and_a_second_press_stops(manager, store):
    m = manager()
    m.pick("Ava")
    m.presenter.checks.toggle_reference_playback()
    m.worker.pump()
    samples, rate = m.player.played[0]
    assert rate == 24_000 and len(samples) > 3 * rate and m.view.buttons.play.text == "▶ Play"
    m.presenter.state.playing = True  # as while a clip is still playing
    m.presenter.checks.toggle_reference_playback()
    assert m.player.stops == 1 and len(m.player.played) == 1


def test_a_new_engine_enables_transcribe_and_preview(manager, store):
    _own(store, "Robin")
    m = manager()
    m.pick("Robin")
    assert not m.view.buttons.transcribe.enabled and not m.view.buttons.preview.enabled
    m.presenter.engine = FakeEngine()
    assert m.view.buttons.transcribe.enabled and m.view.buttons.preview.enabled


def test_the_draft_clip_is_what_play_uses(manager, speech_wav):
    m = manager()
    m.view.file = str(speech_wav)
    m.presenter.import_clip()
    m.worker.pump()
    assert m.presenter.state.reference_path() == m.presenter.work_dir / "draft-1.wav"
    assert Path(m.presenter.state.reference_path()).is_file()
