"""The voice manager's recorder: trimming, the take buffer, the mic, preview devices off the GUI thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt

from studio.audio.ring import SampleRing
from studio.ui.clip_player import ClipPlayer, PlaybackUnavailable
from studio.ui.reference_recorder import TakeBuffer, trim_silence
from tests.speech import RATE, espeak_speech, noise
from tests.ui.voice_manager.conftest import (
    SPOKEN,
    FileRecorder,
    FileRecorderFactory,
    _user_folders,
    _voiced_seconds,
)


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
