"""The voice manager's two halves as widgets: the voice list with its actions, and the details editor.

Threading: Qt main thread only. They lay out and show; the dialog wires their buttons to the
presenter (studio.ui.voice_manager_presenter), which decides what happens.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.voice_checks import PREVIEW_TEXT
from studio.ui.voice_details_form import VoiceDetailsForm
from studio.ui.voice_manager_state import ProfileRow

NAME_ROLE = Qt.ItemDataRole.UserRole


def action_button(text: str, tip: str = "") -> QPushButton:
    """A button that Enter in a text field never presses by accident."""
    button = QPushButton(text)
    button.setAutoDefault(False)
    button.setToolTip(tip)
    return button


def _list_item(row: ProfileRow) -> QListWidgetItem:
    item = QListWidgetItem(row.text)
    item.setData(NAME_ROLE, row.name)
    item.setToolTip(row.tooltip)
    if row.bold or row.italic:
        font = QFont(item.font())
        font.setBold(row.bold)
        font.setItalic(row.italic)
        item.setFont(font)
    return item


class VoiceListPanel(QWidget):
    """Every voice, the draft first, and the buttons that make, copy, rename and remove voices."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile_list = QListWidget()
        self.profile_list.setMinimumWidth(230)
        self.import_button = action_button("Import clip…", "Make a voice from a WAV/FLAC/OGG/MP3")
        self.record_button = action_button("Record…")
        self.duplicate_button = action_button("Duplicate…", "Copy this voice to an editable one")
        self.rename_button = action_button("Rename…", "Give this voice another name")
        self.delete_button = action_button("Delete…", "Remove this voice and its reference clip")
        self.default_button = action_button("Set as default", "The voice the studio starts with")
        actions = QGridLayout()
        buttons = (
            self.import_button,
            self.record_button,
            self.duplicate_button,
            self.rename_button,
            self.delete_button,
            self.default_button,
        )
        for index, button in enumerate(buttons):
            actions.addWidget(button, index // 2, index % 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.profile_list, 1)
        layout.addLayout(actions)

    def show_rows(self, rows: list[ProfileRow], current: int) -> None:
        """Refill the list without emitting a change: a reload is not the host switching voices."""
        self.profile_list.blockSignals(True)
        try:
            self.profile_list.clear()
            for row in rows:
                self.profile_list.addItem(_list_item(row))
            self.profile_list.setCurrentRow(current)
        finally:
            self.profile_list.blockSignals(False)

    def set_current_item(self, item: QListWidgetItem | None) -> None:
        """Go back to `item` quietly (the host kept their unsaved edits)."""
        self.profile_list.blockSignals(True)
        self.profile_list.setCurrentItem(item)
        self.profile_list.blockSignals(False)

    def rename_draft_row(self, text: str) -> None:
        """The draft's row (always the first) follows the name being typed."""
        item = self.profile_list.item(0)
        if item is not None and item.data(NAME_ROLE) is None:
            item.setText(text)


class VoiceEditorPanel(QWidget):
    """The voice on show: a banner for errors, a note, the details form, play, transcribe and preview."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error_label = QLabel()
        self.error_label.setObjectName("banner")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.form = VoiceDetailsForm()
        self.play_button = action_button("▶ Play", "Listen to the reference clip")
        self.form.reference_row.addWidget(self.play_button)
        self.transcribe_button = action_button("Transcribe")
        self.form.transcript_row.addWidget(self.transcribe_button, 0, Qt.AlignmentFlag.AlignTop)
        self.preview_text = QLineEdit(PREVIEW_TEXT)
        self.preview_button = action_button("Preview")
        preview = QHBoxLayout()
        preview.addWidget(QLabel("Test sentence"))
        preview.addWidget(self.preview_text, 1)
        preview.addWidget(self.preview_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.error_label, self.note_label, self.form):
            layout.addWidget(widget)
        layout.addLayout(preview)
        layout.addStretch(1)

    def show_error(self, text: str) -> None:
        """Show the banner with `text`, or hide it when `text` is empty."""
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
