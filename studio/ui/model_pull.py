"""The window's "model not pulled" strip: a Pull button and a progress bar (size, rate, ETA).

It appears when the chat stage reports that Ollama lacks its model (StageStatusChanged with
action "pull") and hides once the stage is ready. The pull is Ollama's own /api/pull stream, read
by OllamaAdmin in a worker thread; the line shown is the one `host pull` prints (PullMeter).
Threading: widgets on the Qt main thread; `PullWorker.run` in its own QThread, reporting by
queued signals; Cancel sets the worker's stop event (Ollama keeps what was downloaded).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from studio.backends.ollama_admin import OllamaAdmin, OllamaError, PullProgress
from studio.backends.pull_meter import PullMeter
from studio.engine.events import StageStatusChanged

PULL_ACTION = "pull"


class PullWorker(QThread):
    """Pulls one model into one Ollama; `progressed(line, permille)` (-1: no byte counts yet)."""

    progressed = Signal(str, int)
    done = Signal(bool, str)  # success, message

    def __init__(self, host: str, model: str) -> None:
        super().__init__()
        self.host, self.model = host, model
        self.stop = threading.Event()

    def run(self) -> None:
        meter = PullMeter()

        def report(progress: PullProgress) -> None:
            reading = meter.read(progress.status, progress.completed, progress.total)
            permille = int(reading.fraction * 1000) if reading.fraction is not None else -1
            self.progressed.emit(meter.line(reading), permille)

        try:
            OllamaAdmin(self.host).pull(self.model, report, self.stop)
        except OllamaError as exc:
            self.done.emit(False, str(exc))
            return
        if self.stop.is_set():
            self.done.emit(False, "pull stopped; Pull again resumes it")
        else:
            self.done.emit(True, f"{self.model} pulled")


class PullBar(QWidget):
    """Amber strip with the reason, a Pull/Cancel button and the pull's progress; hidden otherwise."""

    pulled = Signal()  # the model is in Ollama now: the window asks the stage to re-check

    def __init__(self, host: str, model: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pullbar")
        self.host, self.model = host, model
        self.worker: PullWorker | None = None
        self.message = QLabel(f"Model not pulled: {model}")
        self.message.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.button = QPushButton("Pull")
        self.button.setToolTip(f"Download {model} into Ollama at {host} (resumable)")
        self.button.clicked.connect(self._clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.button)
        self.hide()

    @property
    def pulling(self) -> bool:
        return self.worker is not None and self.worker.isRunning()

    def on_event(self, event: object) -> None:
        """Show for the chat stage's "pull" action, hide once it is ready (not while pulling)."""
        if not isinstance(event, StageStatusChanged) or event.stage != "chat":
            return
        if event.action == PULL_ACTION:
            self.show()
        elif event.state == "ready" and not self.pulling:
            self.hide()

    def _clicked(self) -> None:
        if self.pulling:
            assert self.worker is not None
            self.worker.stop.set()
            return
        self.worker = PullWorker(self.host, self.model)
        self.worker.progressed.connect(self._progressed)
        self.worker.done.connect(self._done)
        self.button.setText("Cancel")
        self.progress.setRange(0, 0)  # busy until the first byte counts
        self.progress.show()
        self.worker.start()

    def _progressed(self, line: str, permille: int) -> None:
        self.message.setText(line)
        if permille >= 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(permille)

    def _done(self, ok: bool, message: str) -> None:
        self.button.setText("Pull")
        self.message.setText(message)
        self.progress.hide()
        if self.worker is not None:
            self.worker.wait(5_000)
        if ok:
            self.hide()
            self.pulled.emit()

    def close_worker(self) -> None:
        """Stop a pull in flight (the window is closing); Ollama keeps what it has."""
        if self.worker is not None:
            self.worker.stop.set()
            self.worker.wait(10_000)
