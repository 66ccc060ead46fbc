"""The fields of one voice profile, editable or read-only, so the voice manager can show and change it.

Threading: Qt main thread only; it never touches files or models (the voice manager does).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from studio.ui.voice_manager_state import FormValues
from studio.voices.profile import VoiceProfile

LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "nl", "hi")  # what the GPU stack's STT understands


def _text_box(placeholder: str, lines: int) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


class VoiceDetailsForm(QWidget):
    """Name, persona, reference, transcript and synthesis settings of the profile on show."""

    edited = Signal()  # the host changed a field (not emitted while a profile is being loaded)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("a name for this voice (shown in the studio's voice list)")
        self.anchor_edit = QLineEdit()
        self.anchor_edit.setPlaceholderText("what the anchor calls itself on air")
        self.language_box = QComboBox()
        self.language_box.setEditable(True)
        self.language_box.addItems(LANGUAGES)
        self.language_box.setToolTip(
            "Language code of the voice: en, fr, de, es, it, pt, nl, hi or e.g. pt-BR"
        )
        self.persona_edit = _text_box("how the anchor talks (instructions to the chat model)", 4)
        self.notes_edit = _text_box("what the show is about, running gags, names to get right…", 3)
        self.reference_label = QLabel("—")
        self.reference_label.setWordWrap(True)
        self.transcript_edit = _text_box("the exact words spoken in the reference clip", 3)
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setRange(0.0, 2.0)
        self.temperature_spin.setSingleStep(0.05)
        self.temperature_spin.setToolTip("Higher is livelier but less stable (the cloning TTS only)")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("The same seed gives the same delivery of the same text")
        self.embedded_edit = QLineEdit()
        self.embedded_edit.setToolTip("Piper voice used when cloning is not available (embedded stack)")

        self.reference_row = QHBoxLayout()  # the manager adds its play button here
        self.reference_row.addWidget(self.reference_label, 1)
        self.transcript_row = QHBoxLayout()  # and its transcribe button here
        self.transcript_row.addWidget(self.transcript_edit, 1)
        synthesis = QHBoxLayout()
        synthesis.addWidget(QLabel("temperature"))
        synthesis.addWidget(self.temperature_spin)
        synthesis.addWidget(QLabel("seed"))
        synthesis.addWidget(self.seed_spin)
        synthesis.addStretch(1)
        form = QFormLayout(self)
        form.addRow("Name", self.name_edit)
        form.addRow("Anchor name", self.anchor_edit)
        form.addRow("Language", self.language_box)
        form.addRow("Persona", self.persona_edit)
        form.addRow("Show notes", self.notes_edit)
        form.addRow("Reference", self.reference_row)
        form.addRow("Transcript", self.transcript_row)
        form.addRow("Synthesis", synthesis)
        form.addRow("Fallback voice", self.embedded_edit)

        for line in (self.name_edit, self.anchor_edit, self.embedded_edit):
            line.textEdited.connect(self._on_edited)
        for box in (self.persona_edit, self.notes_edit, self.transcript_edit):
            box.textChanged.connect(self._on_edited)
        self.language_box.currentTextChanged.connect(self._on_edited)
        self.temperature_spin.valueChanged.connect(self._on_edited)
        self.seed_spin.valueChanged.connect(self._on_edited)

    def show_profile(self, profile: VoiceProfile, reference: str, *, editable: bool, new: bool) -> None:
        """Fill the fields from `profile`; `new` makes the name editable (a draft not yet saved)."""
        self._loading = True
        try:
            self.name_edit.setText(profile.name)
            self.anchor_edit.setText(profile.anchor_name)
            self.language_box.setCurrentText(profile.language)
            self.persona_edit.setPlainText(profile.persona)
            self.notes_edit.setPlainText(profile.show_notes)
            self.reference_label.setText(reference)
            self.transcript_edit.setPlainText(profile.reference_transcript)
            self.temperature_spin.setValue(profile.synthesis.temperature)
            self.seed_spin.setValue(profile.synthesis.seed)
            self.embedded_edit.setText(profile.embedded_voice)
        finally:
            self._loading = False
        self.name_edit.setReadOnly(not new)
        self.name_edit.setToolTip("" if new else "Use Rename… to change the name")
        for line in (self.anchor_edit, self.embedded_edit):
            line.setReadOnly(not editable)
        for box in (self.persona_edit, self.notes_edit, self.transcript_edit):
            box.setReadOnly(not editable)
        for widget in (self.language_box, self.temperature_spin, self.seed_spin):
            widget.setEnabled(editable)

    def set_transcript(self, text: str) -> None:
        """Put a transcription in the (still editable) transcript field; counts as an edit."""
        self.transcript_edit.setPlainText(text)

    def values(self) -> FormValues:
        """The fields as the host left them; FormValues turns them into store arguments."""
        return FormValues(
            name=self.name_edit.text(),
            anchor_name=self.anchor_edit.text(),
            language=self.language_box.currentText(),
            persona=self.persona_edit.toPlainText(),
            show_notes=self.notes_edit.toPlainText(),
            transcript=self.transcript_edit.toPlainText(),
            embedded_voice=self.embedded_edit.text(),
            temperature=self.temperature_spin.value(),
            seed=self.seed_spin.value(),
        )

    def changes(self, base: VoiceProfile) -> dict[str, object]:
        """The edited fields, as keyword arguments for VoiceProfileStore.update/create."""
        return self.values().changes(base)

    def profile(self, base: VoiceProfile) -> VoiceProfile:
        """`base` as the form shows it now (for a preview before saving)."""
        return self.values().profile(base)

    def _on_edited(self, *_args: object) -> None:
        if not self._loading:
            self.edited.emit()
