"""The window's central widget and its presenter's view: top bar and banner, waveforms, latency,
memory and devices on the left, the transcript on the right, the controls at the bottom.

Passive: StudioPresenter (studio.ui.window_presenter) tells it what to show; what the host does
comes out as the parts' signals, wired by the window. The talk and interrupt keys work anywhere
in the window (HotkeyFilter) and come out as `talk_key` and `interrupt_key`.
Threading: Qt main thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from studio.config import Settings
from studio.ui.controls import ControlPanel
from studio.ui.hotkeys import HotkeyFilter
from studio.ui.model_pull import PullBar
from studio.ui.monitor_column import MonitorColumn
from studio.ui.show_thread import ShowThread
from studio.ui.stage_board import Banner
from studio.ui.top_bar import BannerLabel, TopBar
from studio.ui.transcript_model import TranscriptLog
from studio.ui.transcript_panel import TranscriptPanel


class StudioConsole(QWidget):
    """Every panel of the studio window, and the StudioView its presenter talks to."""

    talk_key = Signal(bool)  # the talk key is held / released anywhere in the window
    interrupt_key = Signal()

    def __init__(
        self,
        window: QMainWindow,
        settings: Settings,
        engine: ShowThread,
        log: TranscriptLog,
        voices: tuple[list[str], int, list[str]],
    ) -> None:
        """`voices`: the selector's names, the one on show and their languages; `window` gets the
        status bar and keys."""
        super().__init__(window)
        self._window = window
        self.top = TopBar(*voices)
        self.banner = BannerLabel()
        self.pull_bar = PullBar(settings.OLLAMA_HOST, settings.OLLAMA_MODEL_NAME)  # "model not pulled"
        self.column = MonitorColumn(
            lambda: (engine.mic_scope, None),
            lambda: (engine.output.scope, engine.output.played_samples()),
            settings.max_latency_ms,
        )
        self.transcript_panel = TranscriptPanel(log)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.column)
        self.splitter.addWidget(self.transcript_panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.controls = ControlPanel(settings.turn_mode, settings.ptt_hotkey)
        layout = QVBoxLayout(self)
        for widget, stretch in ((self.top, 0), (self.banner, 0), (self.pull_bar, 0), (self.splitter, 1)):
            layout.addWidget(widget, stretch)
        layout.addWidget(self.controls)
        self.hotkeys = HotkeyFilter(
            window,
            settings.ptt_hotkey,
            settings.interrupt_hotkey,
            self.talk_key.emit,
            self.interrupt_key.emit,
        )

    # ----- StudioView -------------------------------------------------------------------------
    def show_status(self, text: str, ms: int = 0) -> None:
        self._window.statusBar().showMessage(text, ms)

    def warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self._window, title, text)

    def set_light(self, stage: str, backend: str, state: str, detail: str) -> None:
        self.top.lights.set_state(stage, backend, state, detail)

    def show_banner(self, banner: Banner | None) -> None:
        self.banner.show_banner(banner)

    def refresh_transcript(self) -> None:
        self.transcript_panel.view.refresh()

    def rebuild_transcript(self) -> None:
        self.transcript_panel.view.rebuild()

    def add_latency_turn(self, latency_ms: dict[str, float | None]) -> None:
        self.column.latency.add_turn(latency_ms)

    def show_talk_held(self, held: bool) -> None:
        self.controls.show_held(held)

    def show_mode(self, mode: str) -> None:
        self.controls.set_mode(mode)

    def show_voices(self, names: list[str], current: int, languages: list[str] | None = None) -> None:
        self.top.show_voices(names, current, languages)

    def apply_keys(self, talk_key: str, interrupt_key: str) -> None:
        self.hotkeys.set_keys(talk_key, interrupt_key)
        self.controls.set_talk_key(talk_key)

    def set_latency_alert(self, max_latency_ms: int) -> None:
        self.column.latency.set_alert_ms(max_latency_ms)
