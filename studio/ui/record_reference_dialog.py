"""Records a reference clip in the app: level meter, 3-2-1 countdown, stop, trim, then the import checks.

Threading: Qt main thread. The input is opened and closed on a worker thread (it may block on
the audio server); one 30 fps timer drains the recorder's ring into the take and the meter.
The trimmed take is validated exactly like an imported file (prepare_reference) off the GUI thread.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import numpy as np
import soundfile as sf
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.ui.level_meter import LevelMeter
from studio.ui.main_thread import BackgroundJobs, FutureRelay
from studio.ui.reference_recorder import (
    Recorder,
    RecorderFactory,
    TakeBuffer,
    trim_silence,
)
from studio.voices.reference import MAX_SECONDS, MIN_SECONDS, ReferenceClip, prepare_reference

METER_MS = 33


class RecordReferenceDialog(QDialog):
    """One take from the mic; `clip` holds the validated, trimmed reference once accepted."""

    def __init__(
        self,
        factory: RecorderFactory,
        work_dir: Path,
        countdown_s: int = 3,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record a reference clip")
        self.setMinimumWidth(440)
        self.clip: ReferenceClip | None = None
        self.state = "opening"  # opening → ready → countdown → recording → checking → ready / done
        self._factory, self._work_dir, self._countdown_s = factory, work_dir, countdown_s
        self._recorder: Recorder | None = None
        self._take: TakeBuffer | None = None
        self._remaining = 0
        self._takes = 0
        self._relay = FutureRelay(self)
        self._jobs = BackgroundJobs(self._relay, "record-reference")
        self._build()
        self._meter_timer = QTimer(self)
        self._meter_timer.setInterval(METER_MS)
        self._meter_timer.timeout.connect(self._on_meter_tick)
        self._countdown_timer = QTimer(self)
        self._countdown_timer.setInterval(1000)
        self._countdown_timer.timeout.connect(self._on_countdown_tick)
        self.finished.connect(self._release)
        self._opened: list[Recorder] = []  # appended on the worker; closed there by _release's job
        self._open_input()

    def _build(self) -> None:
        """Prompt, big status line, meter and buttons; only Cancel works until the mic is open."""
        self.prompt = QLabel(
            f"Read a few natural sentences ({MIN_SECONDS:.0f}–{MAX_SECONDS:.0f} s) in the voice the anchor "
            "should have. Quiet room, mic at a hand's width."
        )
        self.prompt.setWordWrap(True)
        self.status = QLabel("Opening the microphone…")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setStyleSheet("font-size: 20pt; font-weight: bold;")
        self.meter = LevelMeter()
        self.elapsed = QLabel(f"0.0 s of at most {MAX_SECONDS:.0f} s")
        self.error = QLabel()
        self.error.setObjectName("banner")
        self.error.setWordWrap(True)
        self.error.hide()
        self.record_button = QPushButton("Record")
        self.record_button.setEnabled(False)
        self.record_button.clicked.connect(self.start_countdown)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_recording)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.record_button, self.stop_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (self.prompt, self.status, self.meter, self.elapsed, self.error):
            layout.addWidget(widget)
        layout.addLayout(buttons)

    def _open_input(self) -> None:
        """Open the mic on the worker (it may block on the audio server); _release closes it there."""
        factory, opened = self._factory, self._opened

        def open_input() -> Recorder:
            recorder = factory.open()
            opened.append(recorder)
            return recorder

        self._jobs.run(open_input, self._on_opened)

    # ----- flow ---------------------------------------------------------------------------------
    def _on_opened(self, future: concurrent.futures.Future[Recorder]) -> None:
        exc = future.exception()
        if exc is not None:
            self.state = "failed"
            self.status.setText("No microphone")
            self._show_error(f"The microphone cannot be opened: {exc}")
            return
        recorder = future.result()
        self._recorder, self._take = recorder, TakeBuffer(recorder.rate)
        self.state = "ready"
        self.status.setText("Ready")
        self.record_button.setEnabled(True)
        self._meter_timer.start()

    def start_countdown(self) -> None:
        """3-2-1, then record (the meter keeps running so the host can check the level)."""
        if self.state != "ready" or self._take is None:
            return
        self.error.hide()
        self.record_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._remaining = self._countdown_s
        if self._remaining <= 0:
            self._start_recording()
            return
        self.state = "countdown"
        self.status.setText(str(self._remaining))
        self._countdown_timer.start()

    def _on_countdown_tick(self) -> None:
        self._remaining -= 1
        if self._remaining > 0:
            self.status.setText(str(self._remaining))
            return
        self._countdown_timer.stop()
        self._start_recording()

    def _start_recording(self) -> None:
        assert self._recorder is not None
        self._take = TakeBuffer(self._recorder.rate)
        self._take.drain(self._recorder.ring)  # what came in during the countdown is not the take
        self._take.armed = True
        self.state = "recording"
        self.status.setText("● Recording")
        self.status.setStyleSheet("font-size: 20pt; font-weight: bold; color: #f85149;")

    def stop_recording(self) -> None:
        """Stop (or abort the countdown); a take is trimmed and checked like an imported file."""
        self._countdown_timer.stop()
        self.stop_button.setEnabled(False)
        self.status.setStyleSheet("font-size: 20pt; font-weight: bold;")
        if self.state == "countdown" or self._take is None or self._recorder is None:
            self.state = "ready"
            self.status.setText("Ready")
            self.record_button.setEnabled(True)
            return
        if self.state != "recording":
            return
        self._take.drain(self._recorder.ring)
        self._take.armed = False
        samples, rate = trim_silence(self._take.take(), self._take.rate), self._take.rate
        self.state = "checking"
        self.status.setText("Checking the take…")
        self._takes += 1
        path = self._work_dir / f"recorded-{self._takes}.wav"
        self._jobs.run(lambda: _save_and_check(samples, rate, path), self._on_checked)

    def _on_checked(self, future: concurrent.futures.Future[ReferenceClip]) -> None:
        exc = future.exception()
        if exc is not None:
            self.state = "ready"
            self.status.setText("Try again")
            self._show_error(str(exc).split(": ", 1)[-1] if isinstance(exc, ValueError) else str(exc))
            self.record_button.setEnabled(True)
            return
        self.clip = future.result()
        self.state = "done"
        self.accept()

    # ----- meter --------------------------------------------------------------------------------
    def _on_meter_tick(self) -> None:
        if self._recorder is None or self._take is None:
            return
        self._take.drain(self._recorder.ring)
        self.meter.set_level(*self._take.level)
        if self.state == "recording":
            self.elapsed.setText(f"{self._take.seconds:.1f} s of at most {MAX_SECONDS:.0f} s")
            if self._take.full:
                self.stop_recording()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _release(self, _result: int = 0) -> None:
        """Close the input off the GUI thread, whatever way the dialog ends."""
        self._meter_timer.stop()
        self._countdown_timer.stop()
        self._recorder = None
        if self.state != "done":
            self.state = "closed"
        opened = self._opened

        def close_inputs() -> None:  # the worker runs jobs in order: an open in flight is done by now
            for recorder in opened:
                recorder.close()

        self._jobs.run(close_inputs, lambda _f: None)
        self._jobs.shutdown()
        self._relay.close()  # nothing comes back to a closed dialog


def _save_and_check(samples: np.ndarray, rate: int, path: Path) -> ReferenceClip:
    """Write the trimmed take, then validate it exactly as an imported file (worker thread)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), samples, rate, subtype="FLOAT", format="WAV")
    return prepare_reference(path)
