"""The host's hands-on controls: mode, hold-to-talk, mute, interrupt (dump), typed line, file feed.

Threading: Qt main thread; every action is a non-blocking command to the engine thread.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget


class ControlPanel(QWidget):
    """Emits what the host asked for; the window forwards it to the engine."""

    talk = Signal(bool)  # held / released
    interrupt = Signal()
    mute_changed = Signal(bool)
    mode_changed = Signal(str)  # "auto" | "push_to_talk"
    line_typed = Signal(str)
    play_file_requested = Signal()

    def __init__(self, mode: str, talk_key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auto_button = QPushButton("Auto-turn")
        self.ptt_button = QPushButton("Push-to-talk")
        self.modes = QButtonGroup(self)
        for button, name in ((self.auto_button, "auto"), (self.ptt_button, "push_to_talk")):
            button.setCheckable(True)
            button.setProperty("mode", name)
            self.modes.addButton(button)
        self.modes.setExclusive(True)
        self.modes.buttonToggled.connect(self._on_mode_toggled)
        self.talk_button = QPushButton()
        self.talk_button.setObjectName("talk")
        self.talk_button.pressed.connect(lambda: self.talk.emit(True))
        self.talk_button.released.connect(lambda: self.talk.emit(False))
        self.mute_button = QPushButton("Mute mic")
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self._on_mute)
        self.dump_button = QPushButton("INTERRUPT")
        self.dump_button.setObjectName("dump")
        self.dump_button.setToolTip("Silence the anchor now (Escape)")
        self.dump_button.clicked.connect(self.interrupt.emit)
        self.text_input = QLineEdit(placeholderText="Type a host line and press Enter (works without a mic)")
        self.text_input.returnPressed.connect(self._on_text_entered)
        self.file_button = QPushButton("Play file as host…")
        self.file_button.setToolTip("Feed a WAV/FLAC/OGG/MP3 recording to the anchor as if the host said it")
        self.file_button.clicked.connect(self.play_file_requested.emit)

        top = QHBoxLayout()
        top.addWidget(self.auto_button)
        top.addWidget(self.ptt_button)
        top.addWidget(self.talk_button, 2)
        top.addWidget(self.mute_button)
        top.addWidget(self.dump_button, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.text_input, 1)
        bottom.addWidget(self.file_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(bottom)
        self.set_talk_key(talk_key)
        self.set_mode(mode)

    @property
    def mode(self) -> str:
        return "push_to_talk" if self.ptt_button.isChecked() else "auto"

    def set_mode(self, mode: str) -> None:
        (self.ptt_button if mode == "push_to_talk" else self.auto_button).setChecked(True)
        self.talk_button.setEnabled(mode == "push_to_talk")

    def set_talk_key(self, key: str) -> None:
        self._talk_key = key
        self.talk_button.setText(f"HOLD TO TALK  [{key}]")
        self.talk_button.setToolTip(f"Hold this button or the {key} key while you speak")

    def show_held(self, held: bool) -> None:
        """Light the talk button while the hotkey holds it."""
        self.talk_button.setProperty("held", held)
        self.talk_button.style().unpolish(self.talk_button)
        self.talk_button.style().polish(self.talk_button)

    def _on_mode_toggled(self, button: QPushButton, checked: bool) -> None:
        if checked:
            mode = button.property("mode")
            self.talk_button.setEnabled(mode == "push_to_talk")
            self.mode_changed.emit(mode)

    def _on_mute(self, muted: bool) -> None:
        self.mute_button.setText("Mic muted" if muted else "Mute mic")
        self.mute_changed.emit(muted)

    def _on_text_entered(self) -> None:
        text = self.text_input.text().strip()
        if text:
            self.text_input.clear()
            self.line_typed.emit(text)
