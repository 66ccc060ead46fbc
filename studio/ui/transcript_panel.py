"""The transcript box: the live transcript with Copy, Export text… and Export SRT… under it.

Exports are the session exporter's text (studio.session.export), written atomically; the file
dialog and the write run on the Qt main thread (a local file, no device or server).
Threading: Qt main thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.transcript_model import TranscriptLog
from studio.ui.transcript_view import TranscriptView


class TranscriptPanel(QGroupBox):
    """The transcript view and its export buttons; `saved(message)` after a copy or an export."""

    saved = Signal(str)  # what to tell the host in the status bar

    def __init__(self, log: TranscriptLog, parent: QWidget | None = None) -> None:
        super().__init__("Transcript", parent)
        self.log = log
        self.view = TranscriptView(log)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for title, slot in (
            ("Copy", self.copy),
            ("Export text…", lambda: self.export("txt")),
            ("Export SRT…", lambda: self.export("srt")),
        ):
            button = QPushButton(title)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.log.to_text())
        self.saved.emit("Transcript copied")

    def export(self, kind: str, path: Path | None = None) -> Path | None:
        """Save the session as text or SRT (asks for a file unless `path` is given)."""
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self,
                "Export transcript",
                f"show.{kind}",
                "SubRip (*.srt)" if kind == "srt" else "Text (*.txt)",
            )
            if not chosen:
                return None
            path = Path(chosen)
        from studio.audio.wavwriter import check_writable
        from studio.fileio import write_atomic

        text = self.log.to_srt() if kind == "srt" else self.log.to_text()
        try:
            check_writable(path)
            write_atomic(path, text)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Export failed", f"Cannot write {path}: {exc}")
            return None
        self.saved.emit(f"Transcript saved to {path}")
        return path
