"""The voice manager's decisions without Qt: a fake view answers, a real store on disk is written.

Blocking work queues in `Worker` until the test pumps it, so each test sees what the host sees
while a write or a check is still in flight, and then what it sees after.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from studio.ui.voice_checks import PREVIEW_TEXT
from studio.ui.voice_manager_presenter import VoiceManagerPresenter
from studio.ui.voice_manager_state import (
    DRAFT_NOTE,
    NO_ENGINE_TIP,
    ButtonStates,
    FormValues,
    ProfileRow,
    short_error,
    unique_name,
)
from studio.voices.profile import VoiceProfile
from studio.voices.reference import ReferenceClip, prepare_reference
from studio.voices.store import VoiceProfileStore
from tests.speech import RATE, espeak_speech
from tests.voices.conftest import SPOKEN, user_voice_folders


class Worker:
    """Jobs and Relay in one: nothing runs until `pump()`, as if the worker thread were busy."""

    def __init__(self) -> None:
        self.pending: list[tuple[Callable[[], Any] | None, concurrent.futures.Future[Any], Callable]] = []

    def run(self, job: Callable[[], Any], callback: Callable) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.pending.append((job, future, callback))
        return future

    def watch(self, future: concurrent.futures.Future[Any], callback: Callable) -> None:
        self.pending.append((None, future, callback))

    def pump(self) -> None:
        while self.pending:
            job, future, callback = self.pending.pop(0)
            if job is not None:
                try:
                    future.set_result(job())
                except Exception as exc:
                    future.set_exception(exc)
            callback(future)


def done(result: Any = None, error: BaseException | None = None) -> concurrent.futures.Future[Any]:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
    return future


class FakeView:
    """Shows into attributes and answers questions from queues, like a host who already decided."""

    def __init__(self) -> None:
        self.rows: list[ProfileRow] = []
        self.current = -1
        self.profile: VoiceProfile | None = None
        self.editable = self.new = False
        self.reference = self.note = self.error = self.status = ""
        self.buttons: ButtonStates | None = None
        self.values = FormValues()
        self.sentence = ""
        self.answers: list[bool] = []  # confirm(); True once they run out
        self.questions: list[str] = []
        self.names: list[str | None] = []  # ask_name()
        self.suggestions: list[str] = []
        self.file: str | None = None
        self.recorder: Callable[[ReferenceClip], None] | None = None
        self.told: list[tuple[str, ...]] = []

    def show_rows(self, rows: list[ProfileRow], current: int) -> None:
        self.rows, self.current = rows, current

    def rename_draft_row(self, text: str) -> None:
        self.rows[0] = dataclasses.replace(self.rows[0], text=text)

    def show_profile(self, profile: VoiceProfile, reference: str, *, editable: bool, new: bool) -> None:
        self.profile, self.reference, self.editable, self.new = profile, reference, editable, new
        self.values = FormValues(
            profile.name,
            profile.anchor_name,
            profile.language,
            profile.persona,
            profile.show_notes,
            profile.reference_transcript,
            profile.embedded_voice,
            profile.synthesis.temperature,
            profile.synthesis.seed,
        )

    def show_note(self, text: str) -> None:
        self.note = text

    def show_buttons(self, states: ButtonStates) -> None:
        self.buttons = states

    def show_error(self, text: str) -> None:
        self.error = text

    def show_status(self, text: str) -> None:
        self.status = text

    def set_transcript(self, text: str) -> None:
        self.values = dataclasses.replace(self.values, transcript=text)

    def focus_name(self) -> None:
        self.told.append(("focus",))

    def form_values(self) -> FormValues:
        return self.values

    def preview_sentence(self) -> str:
        return self.sentence

    def confirm(self, title: str, text: str) -> bool:
        self.questions.append(text)
        return self.answers.pop(0) if self.answers else True

    def ask_name(self, title: str, label: str, suggestion: str) -> str | None:
        self.suggestions.append(suggestion)
        return self.names.pop(0) if self.names else None

    def choose_audio_file(self) -> str | None:
        return self.file

    def open_recorder(self, on_clip: Callable[[ReferenceClip], None]) -> None:
        self.recorder = on_clip

    def notify_profiles_changed(self) -> None:
        self.told.append(("changed",))

    def notify_renamed(self, old: str, new: str) -> None:
        self.told.append(("renamed", old, new))

    @property
    def current_name(self) -> str | None:
        return self.rows[self.current].name


class FakePlayer:
    def __init__(self) -> None:
        self.played: list[tuple[np.ndarray, int]] = []
        self.stops = 0

    def play(self, samples: np.ndarray, rate: int) -> concurrent.futures.Future[None]:
        self.played.append((np.array(samples), rate))
        return done()

    def stop(self) -> None:
        self.stops += 1


class FakeEngine:
    """Answers transcribe/synthesize with what the test set, and remembers what it was asked."""

    def __init__(self, text: str = SPOKEN, audio: np.ndarray | None = None) -> None:
        self.text: str | BaseException = text
        self.audio = np.full(12_000, 0.1, np.float32) if audio is None else audio
        self.heard: list[tuple[np.ndarray, str | None]] = []
        self.spoken: list[tuple[str, VoiceProfile]] = []

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> concurrent.futures.Future[str]:
        self.heard.append((audio, language))
        return done(error=self.text) if isinstance(self.text, BaseException) else done(self.text)

    def synthesize(self, text: str, voice: VoiceProfile) -> concurrent.futures.Future[tuple[np.ndarray, int]]:
        self.spoken.append((text, voice))
        return done((self.audio, 24_000))


@dataclasses.dataclass
class Manager:
    presenter: VoiceManagerPresenter
    view: FakeView
    worker: Worker
    store: VoiceProfileStore
    player: FakePlayer

    def edit(self, **changes: Any) -> None:
        self.view.values = dataclasses.replace(self.view.values, **changes)
        self.presenter.on_edited()

    def pick(self, name: str | None) -> str:
        self.view.current = next(i for i, row in enumerate(self.view.rows) if row.name == name)
        return self.presenter.choose(name)


@pytest.fixture
def store() -> VoiceProfileStore:
    return VoiceProfileStore()  # data_dir()/voices: private per test (tests/conftest.py)


@pytest.fixture
def manager(store, tmp_path) -> Callable[..., Manager]:
    def make(engine: FakeEngine | None = None) -> Manager:
        view, worker, player = FakeView(), Worker(), FakePlayer()
        presenter = VoiceManagerPresenter(
            store, view, worker, worker, player, engine=engine, work_dir=tmp_path / "work"
        )
        (tmp_path / "work").mkdir()
        presenter.reload()
        return Manager(presenter, view, worker, store, player)

    return make


def _own(store: VoiceProfileStore, name: str) -> VoiceProfile:
    """A profile of the host's own, copied from a bundled one (a real clip, no audio to make)."""
    return store.duplicate("Ava", name)


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


# ----- writes ------------------------------------------------------------------------------------
def test_duplicate_suggests_a_free_name_and_nothing_writes_while_it_runs(manager, store):
    _own(store, "Ava copy")
    m = manager()
    m.pick("Ava")
    m.view.names = ["Ava nights"]
    m.presenter.duplicate()
    assert m.view.suggestions == ["Ava copy 2"]
    in_flight = m.view.buttons
    assert not any(s.enabled for s in (in_flight.save, in_flight.rename, in_flight.delete, in_flight.import_))
    assert not m.presenter.may_close() and m.view.status == "Still saving; close again in a moment"
    m.worker.pump()
    assert store.get("Ava nights").reference_transcript == store.get("Ava").reference_transcript
    assert m.view.current_name == "Ava nights" and m.view.status == "Made Ava nights"
    assert m.view.told == [("changed",)] and m.view.buttons.rename.enabled


def test_save_writes_the_edits_and_a_refused_edit_says_why(manager, store):
    _own(store, "Robin")
    m = manager()
    m.pick("Robin")
    m.edit(persona="Dry wit, short sentences.", temperature=0.45, seed=77)
    m.presenter.save()
    assert not m.view.buttons.save.enabled and not m.view.buttons.delete.enabled  # one write at a time
    m.worker.pump()
    saved = store.get("Robin")
    assert saved.persona == "Dry wit, short sentences." and (
        saved.synthesis.temperature,
        saved.synthesis.seed,
    ) == (
        0.45,
        77,
    )
    assert m.view.status == "Saved Robin" and not m.view.buttons.save.enabled
    before = (store.user_dir / "Robin" / "profile.toml").read_text()
    m.edit(language="not a language!")
    m.presenter.save()
    m.worker.pump()
    assert m.view.error.startswith("Not saved: ") and "bad language" in m.view.error
    assert (store.user_dir / "Robin" / "profile.toml").read_text() == before
    assert m.view.told == [("changed",)] and m.view.buttons.save.enabled  # the edits stay to fix


def test_rename_tells_the_studio_old_and_new_before_the_list_changes(manager, store):
    _own(store, "Robin")
    store.set_default("Robin")
    m = manager()
    m.pick("Robin")
    m.view.names = ["Robin Ünïcode"]
    m.presenter.rename()
    m.worker.pump()
    assert m.view.suggestions == ["Robin"]
    assert m.view.told == [("renamed", "Robin", "Robin Ünïcode"), ("changed",)]
    assert store.default_name() == "Robin Ünïcode" and m.view.status == "Renamed Robin to Robin Ünïcode"
    m.view.names = ["max"]  # a bundled voice's name in another case
    m.presenter.rename()
    m.worker.pump()
    assert "already exists" in m.view.error and store.get("Robin Ünïcode").folder.is_dir()
    assert [p.name for p in store.profiles() if not p.read_only] == ["Robin Ünïcode"]


def test_delete_asks_first_and_a_name_with_braces_is_reported_as_is(manager, store):
    _own(store, "Late {show}")
    m = manager()
    m.pick("Late {show}")
    m.view.answers = [False]
    m.presenter.delete()
    assert "cannot be undone" in m.view.questions[0] and not m.worker.pending
    m.presenter.delete()
    m.worker.pump()
    assert user_voice_folders(store.user_dir) == [] and "Late {show}" not in m.presenter.profile_names()
    assert m.view.status == "Deleted Late {show}" and m.view.told == [("changed",)]


def test_set_default_marks_the_voice_and_disables_itself(manager, store):
    m = manager()
    m.pick("Max")
    m.presenter.set_default()
    m.worker.pump()
    assert store.default_name() == "Max" and m.view.status == "Max is now the default voice"
    assert "Default voice." in m.view.note and not m.view.buttons.default.enabled


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
