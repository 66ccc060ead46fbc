"""Fakes and fixtures for the presenter tests: a pumped worker, a fake view, player and engine, a store."""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from studio.ui.voice_manager_presenter import VoiceManagerPresenter
from studio.ui.voice_manager_state import (
    ButtonStates,
    FormValues,
    ProfileRow,
)
from studio.voices.profile import VoiceProfile
from studio.voices.reference import ReferenceClip
from studio.voices.store import VoiceProfileStore
from tests.voices.conftest import SPOKEN


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
