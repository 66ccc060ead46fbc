"""Window parts on their own: transcript export, settings file and dialog, watchdog, gauge, hotkeys."""

from __future__ import annotations

import time
import tomllib

import pytest

from studio.config import settings_file
from studio.engine.events import (
    AnchorInterrupted,
    AnchorLineQueued,
    HostSpeechStarted,
    ReplyClauseStarted,
    TranscriptUpdated,
)
from studio.session.export import session_srt, session_text
from studio.ui.resource_gauge import MemoryReading, ResourceGauge
from studio.ui.settings_dialog import SettingsDialog
from studio.ui.settings_file import save_settings
from studio.ui.transcript_model import TranscriptLog
from studio.ui.transcript_view import TranscriptView
from studio.ui.watchdog import MainThreadWatchdog


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_partials_are_replaced_and_srt_is_timed_from_the_session_start(qtbot):
    clock = FakeClock()
    log = TranscriptLog(clock)
    view = TranscriptView(log)
    qtbot.addWidget(view)
    clock.now += 1.0
    log.record(HostSpeechStarted(1))
    log.host_started(1)
    log.host_text(1, "what is the", False)
    view.refresh()
    assert "what is the" in view.toPlainText()
    clock.now += 1.5
    log.record(TranscriptUpdated(1, "What is the news?", True))
    log.host_text(1, "What is the news?", True)
    view.refresh()
    assert "what is the\n" not in view.toPlainText() and "What is the news?" in view.toPlainText()
    clock.now += 0.4
    for clause in ("Good evening,", "here is the news."):
        log.record(AnchorLineQueued(1, clause, "Ava"))
        log.record(ReplyClauseStarted(1, clause))
        log.anchor_clause(1, clause)
        clock.now += 1.0
    clock.now += 1.0
    log.record(AnchorInterrupted(1, "Good evening, here", "host spoke"))
    log.anchor_done(1, heard="Good evening, here", reply="Good evening, here is the news.", interrupted=True)
    view.refresh()
    assert view.toPlainText().count("HOST") == 1 and "Good evening, here —" in view.toPlainText()
    assert log.to_srt() == session_srt(log.records) and log.to_text() == session_text(log.records)
    srt = log.to_srt().split("\n\n")
    assert srt[0] == "1\n00:00:01,000 --> 00:00:02,900\nHost: What is the news?"
    assert srt[1].startswith("2\n00:00:02,900 --> 00:00:03,900\nAnchor: Good evening,")
    assert srt[2].startswith("3\n00:00:03,900 --> ") and srt[2].endswith("Anchor: here is the news.\n")
    assert "(interrupted; heard: 'Good evening, here')" in log.to_text()


def test_settings_are_merged_validated_and_written_atomically(tmp_path):
    path = settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('chat_backend = "smollm2"\n', encoding="utf-8")
    settings = save_settings({"vad_threshold": 0.6, "ptt_hotkey": "F9"})
    assert settings.vad_threshold == 0.6 and settings.chat_backend == "smollm2"
    assert tomllib.loads(path.read_text()) == {
        "chat_backend": "smollm2",
        "vad_threshold": 0.6,
        "ptt_hotkey": "F9",
    }
    before = path.read_bytes()
    with pytest.raises(ValueError, match="vad_threshold"):
        save_settings({"vad_threshold": 3.0})
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".settings-")]


def test_settings_dialog_saves_changes_and_refuses_bad_pauses(qtbot):
    from studio.config import load_settings

    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    dialog.min_silence.setValue(900)
    dialog.max_silence.setValue(800)
    dialog.save()
    assert "shortest pause" in dialog.error.text() and not settings_file().exists()
    dialog.max_silence.setValue(1500)
    dialog.vad.setValue(0.7)
    dialog.save()
    assert dialog.saved is not None and dialog.saved.turn_max_silence_ms == 1500
    assert set(dialog.changed()) == {"turn_min_silence_ms", "turn_max_silence_ms", "vad_threshold"}
    written = tomllib.loads(settings_file().read_text())
    assert written == {"turn_min_silence_ms": 900, "turn_max_silence_ms": 1500, "vad_threshold": 0.7}


def test_watchdog_counts_a_blocked_main_thread(qtbot):
    watchdog = MainThreadWatchdog()
    watchdog.start()
    qtbot.waitUntil(lambda: watchdog.ticks >= 3, timeout=20_000)
    assert watchdog.stalls == 0 or watchdog.worst_ms > 50
    watchdog.reset()
    deadline = time.perf_counter() + 0.15
    while time.perf_counter() < deadline:  # the GUI thread is busy: a stall the watchdog must see
        pass
    with qtbot.waitSignal(watchdog.stalled, timeout=20_000) as stall:
        pass
    assert stall.args[0] >= 100 and watchdog.stalls == 1
    watchdog.stop()


def test_gauge_shows_gpu_breakdown_from_a_reading(qtbot):
    reading = MemoryReading(
        "gpu", 40 * 2**30, 48 * 2**30, "NVIDIA RTX 6000 Ada", {"chat": 16 * 2**30, "tts": 9 * 2**30}
    )
    gauge = ResourceGauge(reader=lambda: reading)
    qtbot.addWidget(gauge)
    gauge.start()
    qtbot.waitUntil(lambda: gauge.last is not None, timeout=20_000)
    assert gauge.title.text() == "GPU" and "40.0 / 48.0 GB" in gauge.bar.format()
    assert gauge.bar.value() == round(40 / 48 * 1000)
    assert "chat: 16.00 GB" in gauge.toolTip() and "tts: 9.00 GB" in gauge.toolTip()
    gauge.stop()


def test_a_waveform_is_painted_again_only_when_its_envelope_changed(qtbot):
    import numpy as np

    from studio.audio.scope import SampleScope
    from studio.ui.waveforms import COLUMNS, ScopeTrace

    scope = SampleScope(16_000)
    trace = ScopeTrace("Host mic", "#58a6ff", lambda: (scope, None))
    qtbot.addWidget(trace.plot)
    painted: list[int] = []
    trace.curve.sigPlotChanged.connect(lambda _curve: painted.append(trace.frames_drawn))
    trace.refresh()
    scope.write(np.zeros(1_600, np.float32))
    trace.refresh()  # silence scrolled by: the same flat envelope
    scope.write(np.full(1_600, 0.5, np.float32))
    trace.refresh()
    assert trace.frames_drawn == 3 and painted == [0, 2]
    assert trace.curve.boundingRect().width() >= COLUMNS  # the whole plot, whatever the data


def test_settings_dialog_turns_the_barge_in_hold_off(qtbot):
    from studio.config import load_settings

    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    assert dialog.hold.isChecked(), "on by default"
    dialog.hold.setChecked(False)
    dialog.save()
    assert dialog.saved is not None and dialog.saved.barge_in_hold is False
    assert tomllib.loads(settings_file().read_text()) == {"barge_in_hold": False}
