"""Shared fakes, fixtures and helpers for the voice manager dialog tests: a file-fed mic, a silent player."""

from __future__ import annotations

import concurrent.futures
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from studio.audio.ring import SampleRing
from studio.ui.reference_recorder import RING_SECONDS, RecorderUnavailable
from studio.ui.voice_manager import VoiceManagerDialog
from studio.voices.reference import prepare_reference
from studio.voices.store import VoiceProfileStore
from tests.speech import RATE, espeak_speech, noise

SPOKEN = "Good evening and welcome to the late show, where we talk about the news of the day."


class FakePlayer:
    """Remembers what it was asked to play and finishes at once (no sound card in CI)."""

    def __init__(self) -> None:
        self.played: list[tuple[np.ndarray, int]] = []
        self.stops = 0

    def play(self, samples: np.ndarray, rate: int) -> concurrent.futures.Future[None]:
        self.played.append((np.array(samples), rate))
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        done.set_result(None)
        return done

    def stop(self) -> None:
        self.stops += 1


class FileRecorder:
    """A "mic" feeding room noise into the ring from its own thread, like a device; once `speak` is
    set it replays the file, then room noise again."""

    def __init__(self, audio: np.ndarray, rate: int, speed: float) -> None:
        self.rate = rate
        self.ring = SampleRing(int(RING_SECONDS * rate))
        self.fed_all = threading.Event()
        self.speak = threading.Event()
        self._audio, self._speed = audio, speed
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        block = self.rate // 50  # 20 ms, as a sound card delivers it
        position = 0
        hum = noise(0.02, level=0.002)
        while not self._closed.wait(block / self.rate / self._speed):
            if self.speak.is_set() and position < len(self._audio):
                self.ring.write(self._audio[position : position + block])
                position += block
                if position >= len(self._audio):
                    self.fed_all.set()
            else:
                self.ring.write(hum)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)


class FileRecorderFactory:
    def __init__(
        self, audio: np.ndarray | None = None, problem: str | None = None, speed: float = 3.0
    ) -> None:
        self.audio, self._problem, self.speed = audio, problem, speed
        self.recorders: list[FileRecorder] = []

    def problem(self) -> str | None:
        return self._problem

    def open(self) -> FileRecorder:
        if self._problem is not None or self.audio is None:
            raise RecorderUnavailable(self._problem or "no audio")
        recorder = FileRecorder(self.audio, RATE, self.speed)
        self.recorders.append(recorder)
        return recorder


@pytest.fixture(autouse=True)
def no_modal_boxes(monkeypatch):
    """A modal box nobody answers would hang the test: answer Yes / cancel unless a test says otherwise."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))


@pytest.fixture
def store() -> VoiceProfileStore:
    return VoiceProfileStore()  # data_dir()/voices: private per test (tests/conftest.py)


@pytest.fixture
def make_dialog(qtbot, store):
    # Held until qtbot has closed and deleted them on the GUI thread: a parentless dialog left to
    # Python's cyclic GC could be destroyed on whatever thread the collector runs (a worker), mid-paint.
    dialogs: list[VoiceManagerDialog] = []

    def make(engine=None, recorder_factory=None, player=None, countdown: int = 0) -> VoiceManagerDialog:
        dialog = VoiceManagerDialog(
            store,
            engine,
            recorder_factory=recorder_factory or FileRecorderFactory(problem="no input devices in this test"),
            player=player or FakePlayer(),
            record_countdown_s=countdown,
        )
        qtbot.addWidget(dialog)
        dialogs.append(dialog)
        dialog.show()
        return dialog

    yield make


def _clip_file(tmp_path: Path, audio: np.ndarray, name: str, **write) -> Path:
    path = tmp_path / name
    sf.write(path, audio, RATE, **write)
    return path


def _voiced_seconds(audio: np.ndarray) -> float:
    """From the first to the last sample louder than -34 dBFS (espeak leaves silence around speech)."""
    loud = np.flatnonzero(np.abs(audio) > 0.02)
    return (loud[-1] - loud[0] + 1) / RATE


def _user_folders(store: VoiceProfileStore) -> list[str]:
    return sorted(p.name for p in store.user_dir.iterdir()) if store.user_dir.exists() else []


def _choose_file(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def _answer(monkeypatch, yes: bool) -> list[str]:
    asked: list[str] = []

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return QMessageBox.StandardButton.Yes if yes else QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def _name_answer(monkeypatch, name: str) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (name, True))


def _own_profile(store: VoiceProfileStore, tmp_path: Path, name: str):
    clip = prepare_reference(_clip_file(tmp_path, np.array(espeak_speech(SPOKEN)), f"{name}.wav"))
    return store.create(name, clip, SPOKEN, anchor_name="Robin")


def _items(dialog: VoiceManagerDialog):
    return [dialog.profile_list.item(i) for i in range(dialog.profile_list.count())]
