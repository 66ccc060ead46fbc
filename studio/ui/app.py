"""The studio window (first cut): stage lights, live transcript, typed lines, talk and interrupt.

Threading: Qt main thread only; the engine runs in `EngineThread` and talks to us by signals.
The full console (waveforms, meters, GPU gauge, device pickers) builds on this window.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.config import Settings, data_dir
from studio.engine.events import TurnCompleted
from studio.engine.qt_adapter import EngineThread
from studio.voices.catalog import VoiceCatalog
from studio.voices.profile import VoiceProfile

STATE_COLOURS = {"loading": "#d4a017", "ready": "#3fb950", "degraded": "#db6d28", "down": "#f85149"}


class StudioWindow(QMainWindow):
    """The host's console: what the anchor hears and says, and the controls to steer it."""

    def __init__(self, settings: Settings, voices: list[VoiceProfile], engine: EngineThread) -> None:
        super().__init__()
        self.setWindowTitle("AI Anchor Studio")
        self.resize(900, 600)
        self._engine, self._voices = engine, voices
        self._lights: dict[str, QLabel] = {}
        self._partial_line: tuple[int, str] | None = None
        self._lines: list[str] = []
        self.ready = False

        root = QWidget()
        layout = QVBoxLayout(root)
        lights = QHBoxLayout()
        for stage in ("vad", "turn", "stt", "chat", "tts"):
            light = QLabel(f"● {stage}")
            light.setToolTip("waiting")
            light.setStyleSheet("color: #6e7681")
            self._lights[stage] = light
            lights.addWidget(light)
        lights.addStretch(1)
        self.voice_box = QComboBox()
        self.voice_box.addItems([v.name for v in voices])
        self.voice_box.currentIndexChanged.connect(self._on_voice_chosen)
        self.mode_box = QComboBox()
        self.mode_box.addItems(["auto", "push_to_talk"])
        self.mode_box.setCurrentText(settings.turn_mode)
        self.mode_box.currentTextChanged.connect(engine.set_mode)
        lights.addWidget(QLabel("Voice"))
        lights.addWidget(self.voice_box)
        lights.addWidget(QLabel("Mode"))
        lights.addWidget(self.mode_box)
        layout.addLayout(lights)

        self.transcript = QPlainTextEdit(readOnly=True)
        layout.addWidget(self.transcript, 1)
        self.latency = QLabel("latency: —")
        layout.addWidget(self.latency)

        controls = QHBoxLayout()
        self.talk_button = QPushButton("Hold to talk")
        self.talk_button.pressed.connect(lambda: engine.push_to_talk(True))
        self.talk_button.released.connect(lambda: engine.push_to_talk(False))
        self.interrupt_button = QPushButton("Interrupt")
        self.interrupt_button.clicked.connect(engine.interrupt)
        self.text_input = QLineEdit(placeholderText="Type a host line and press Enter")
        self.text_input.returnPressed.connect(self._on_text_entered)
        controls.addWidget(self.talk_button)
        controls.addWidget(self.interrupt_button)
        controls.addWidget(self.text_input, 1)
        layout.addLayout(controls)
        self.setCentralWidget(root)
        self.setStyleSheet("QMainWindow, QWidget { background: #161b22; color: #e6edf3; }")

        engine.stage_status_changed.connect(self.on_stage_status_changed)
        engine.engine_ready.connect(self.on_engine_ready)
        engine.engine_failed.connect(self.on_engine_failed)
        engine.transcript_updated.connect(self.on_transcript_updated)
        engine.turn_completed.connect(self.on_turn_completed)
        engine.anchor_interrupted.connect(lambda _tid, heard: self._append(f"    (cut off after: {heard!r})"))

    def on_stage_status_changed(self, stage: str, backend: str, state: str, detail: str) -> None:
        light = self._lights.get(stage)
        if light is not None:
            light.setStyleSheet(f"color: {STATE_COLOURS.get(state, '#6e7681')}")
            light.setToolTip(f"{backend}: {state} {detail}".strip())

    def on_engine_ready(self, backends: dict) -> None:
        self.ready = True
        names = ", ".join(f"{k}: {v}" for k, v in backends.items() if k != "preset")
        self.statusBar().showMessage(f"On air (no audio device connected yet: type host lines) — {names}")

    def on_engine_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"Engine stopped: {message}")
        for light in self._lights.values():
            light.setStyleSheet(f"color: {STATE_COLOURS['down']}")

    def on_transcript_updated(self, turn_id: int, text: str, is_final: bool) -> None:
        if is_final:
            self._partial_line = None
            self._append(f"HOST   {text}")
        else:
            self._partial_line = (turn_id, text)
            self.statusBar().showMessage(f"hearing: {text}")

    def on_turn_completed(self, turn: TurnCompleted) -> None:
        self._append(f"ANCHOR {turn.heard or turn.reply}")
        figures = turn.latency_ms
        parts = [f"{k} {v:.0f} ms" for k, v in figures.items() if v is not None and k != "engine_overhead"]
        self.latency.setText("latency: " + " · ".join(parts))

    def _append(self, line: str) -> None:
        self._lines.append(line)
        self.transcript.appendPlainText(line)

    def _on_text_entered(self) -> None:
        text = self.text_input.text().strip()
        if text:
            self.text_input.clear()
            self._engine.submit_text(text)

    def _on_voice_chosen(self, index: int) -> None:
        if 0 <= index < len(self._voices):
            self._engine.set_voice(self._voices[index])

    def closeEvent(self, event) -> None:
        self._engine.stop()
        self._engine.wait(10_000)
        super().closeEvent(event)


def run_app(settings: Settings, screenshot: Path | None = None) -> int:
    """Open the window at once, load models in the background; with `screenshot`, save and exit."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    voices = VoiceCatalog(data_dir() / "voices").profiles()
    if not voices:
        print("ai-anchor-studio: error: no voice profiles found", file=sys.stderr)
        return 1
    chosen = next((v for v in voices if settings.voice and v.name == settings.voice), voices[0])
    engine = EngineThread(settings, chosen)
    window = StudioWindow(settings, voices, engine)
    window.voice_box.setCurrentText(chosen.name)
    window.show()
    engine.start()
    if screenshot is not None:

        def shoot() -> None:
            window.grab().save(str(screenshot))
            window.close()
            app.quit()

        engine.engine_ready.connect(lambda _b: QTimer.singleShot(200, shoot))
        engine.engine_failed.connect(lambda _m: shoot())
    code = app.exec()
    if engine.isRunning():
        engine.stop()
        engine.wait(10_000)
    return code
