"""The voice manager through pytest-qt: import, record, transcribe, preview, edits, the studio using it."""

from __future__ import annotations

import concurrent.futures
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from studio.audio.ring import SampleRing
from studio.ui.clip_player import ClipPlayer, PlaybackUnavailable
from studio.ui.reference_recorder import RING_SECONDS, RecorderUnavailable, TakeBuffer, trim_silence
from studio.ui.voice_manager import VoiceManagerDialog
from studio.voices.reference import REFERENCE_RATE, prepare_reference
from studio.voices.store import VoiceProfileStore
from tests.speech import RATE, espeak_speech, noise, piper_speech, word_error_rate
from tests.ui.conftest import RecordingSynthesizer, listening_stack

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


# ----- pure helpers --------------------------------------------------------------------------------
def test_trim_silence_keeps_the_speech_and_a_short_pad():
    speech = np.array(espeak_speech(SPOKEN))
    take = np.concatenate([noise(1.5, 0.002), speech, noise(2.0, 0.002, seed=3)])
    trimmed = trim_silence(take, RATE)
    voiced = _voiced_seconds(speech) * RATE
    assert voiced <= len(trimmed) <= voiced + 0.35 * RATE  # 0.15 s pad each side, 20 ms frames
    assert float(np.max(np.abs(trimmed))) == float(np.max(np.abs(speech)))
    assert len(trim_silence(noise(2.0, 0.002), RATE)) == 0  # -54 dBFS hum alone is silence
    assert len(trim_silence(noise(2.0, 0.05), RATE)) == 2 * RATE  # a steady loud sound is kept whole
    assert len(trim_silence(np.zeros(RATE, np.float32), RATE)) == 0


def test_take_buffer_records_only_while_armed_and_stops_when_full():
    ring = SampleRing(RATE)
    take = TakeBuffer(RATE, max_seconds=1.0)
    ring.write(np.full(1000, 0.5, np.float32))
    take.drain(ring)
    assert take.length == 0 and take.level[1] == pytest.approx(20 * np.log10(0.5), abs=0.01)
    take.armed = True
    for _ in range(20):
        ring.write(np.full(1000, 0.1, np.float32))
        take.drain(ring)
    assert take.full and take.length == RATE and np.all(take.take() == np.float32(0.1))


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


def _items(dialog: VoiceManagerDialog):
    return [dialog.profile_list.item(i) for i in range(dialog.profile_list.count())]


# ----- record ------------------------------------------------------------------------------------
def test_no_input_device_disables_record_and_says_why(qtbot, make_dialog):
    dialog = make_dialog(recorder_factory=FileRecorderFactory(problem="no audio input devices found"))
    qtbot.waitUntil(lambda: "no audio input devices found" in dialog.record_button.toolTip(), timeout=30_000)
    assert not dialog.record_button.isEnabled()


class ThreadNotingFactory(FileRecorderFactory):
    """Notes the thread each call that may block on the audio server runs on."""

    def __init__(self, audio: np.ndarray) -> None:
        super().__init__(audio)
        self.calls: list[tuple[str, int]] = []

    def problem(self) -> str | None:
        self.calls.append(("problem", threading.get_ident()))
        return super().problem()

    def open(self) -> FileRecorder:
        self.calls.append(("open", threading.get_ident()))
        return super().open()


def test_the_mic_is_probed_and_opened_off_the_gui_thread(qtbot, make_dialog):
    factory = ThreadNotingFactory(noise(5.0, 0.002))
    dialog = make_dialog(recorder_factory=factory)
    qtbot.waitUntil(dialog.record_button.isEnabled, timeout=30_000)
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    recorder_dialog = dialog.record_dialog
    qtbot.waitUntil(lambda: recorder_dialog.state == "ready", timeout=30_000)
    assert [call for call, _thread in factory.calls] == ["problem", "open"]
    assert all(thread != threading.get_ident() for _call, thread in factory.calls)
    recorder_dialog.reject()
    qtbot.waitUntil(factory.recorders[0]._closed.is_set, timeout=30_000)


def test_previews_look_up_their_output_device_off_the_gui_thread(monkeypatch):
    import studio.audio.devices as devices
    import studio.audio.pulse as pulse

    calls: list[tuple[str, int]] = []

    class NoServer:
        def __init__(self, *_args: object) -> None:
            calls.append(("connect", threading.get_ident()))

        def close(self) -> None:
            pass

    def no_devices(_pulse: object = None) -> list:
        calls.append(("list", threading.get_ident()))
        raise devices.AudioDeviceError("no audio devices in this test")

    monkeypatch.setattr(pulse, "PulseControl", NoServer)
    monkeypatch.setattr(devices, "list_devices", no_devices)
    player = ClipPlayer("Headphones")
    played = player.play(np.zeros(2_400, np.float32), 24_000)
    with pytest.raises(PlaybackUnavailable, match="no audio devices in this test"):
        played.result(timeout=10)
    player.shutdown()
    assert "list" in [call for call, _thread in calls]
    assert all(thread != threading.get_ident() for _call, thread in calls)


def test_record_from_a_mic_counts_down_trims_and_saves(qtbot, make_dialog, store):
    speech = np.array(espeak_speech(SPOKEN))
    fed = np.concatenate([noise(1.0, 0.002), speech, noise(1.5, 0.002, seed=5)])
    factory = FileRecorderFactory(fed, speed=3.0)
    dialog = make_dialog(recorder_factory=factory, countdown=1)
    qtbot.waitUntil(dialog.record_button.isEnabled, timeout=30_000)
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    recorder_dialog = dialog.record_dialog
    assert recorder_dialog is not None
    qtbot.waitUntil(lambda: recorder_dialog.state == "ready", timeout=30_000)
    qtbot.waitUntil(lambda: recorder_dialog.meter.peak_db > -80, timeout=30_000)  # the level shows before
    qtbot.mouseClick(recorder_dialog.record_button, Qt.MouseButton.LeftButton)
    assert recorder_dialog.state == "countdown" and recorder_dialog.status.text() == "1"
    qtbot.waitUntil(lambda: recorder_dialog.state == "recording", timeout=30_000)
    recorder = factory.recorders[0]
    recorder.speak.set()  # the host starts talking once the countdown is over
    qtbot.waitUntil(recorder.fed_all.is_set, timeout=20_000)
    qtbot.waitUntil(
        lambda: recorder_dialog._take is not None and recorder_dialog._take.seconds > 4.0, timeout=30_000
    )
    qtbot.mouseClick(recorder_dialog.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: recorder_dialog.state != "checking", timeout=30_000)
    assert recorder_dialog.state == "done", (recorder_dialog.state, recorder_dialog.error.text())
    qtbot.waitUntil(lambda: dialog.form.name_edit.text() == "My voice", timeout=30_000)
    qtbot.waitUntil(recorder._closed.is_set, timeout=30_000)  # the input is released with the dialog
    assert "recorded" in dialog.form.reference_label.text()
    dialog.form.transcript_edit.setPlainText(SPOKEN)
    with qtbot.waitSignal(dialog.profiles_changed, timeout=30_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = store.get("My voice")
    seconds = sf.info(str(saved.reference_audio)).duration
    speech_seconds = _voiced_seconds(speech)
    # The take starts in the room hum before the speech; trimming leaves the speech and at most a
    # short pad each side, never the hum around it.
    assert speech_seconds <= seconds <= speech_seconds + 0.4


def test_a_take_that_is_too_short_is_refused_in_the_recorder(qtbot, make_dialog, store):
    factory = FileRecorderFactory(np.concatenate([np.array(espeak_speech("Hi.")), noise(1.0, 0.002)]))
    dialog = make_dialog(recorder_factory=factory)
    qtbot.waitUntil(dialog.record_button.isEnabled, timeout=30_000)
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    recorder_dialog = dialog.record_dialog
    qtbot.waitUntil(lambda: recorder_dialog.state == "ready", timeout=30_000)
    qtbot.mouseClick(recorder_dialog.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: recorder_dialog.state == "recording", timeout=30_000)
    factory.recorders[0].speak.set()
    qtbot.waitUntil(factory.recorders[0].fed_all.is_set, timeout=30_000)
    qtbot.mouseClick(recorder_dialog.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(recorder_dialog.error.isVisible, timeout=30_000)
    assert "record a longer clip" in recorder_dialog.error.text()
    assert recorder_dialog.state == "ready" and recorder_dialog.record_button.isEnabled()
    recorder_dialog.reject()
    qtbot.waitUntil(factory.recorders[0]._closed.is_set, timeout=30_000)
    assert _user_folders(store) == [] and dialog.form.name_edit.text() != "My voice"


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
