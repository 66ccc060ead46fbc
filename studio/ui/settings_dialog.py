"""The settings dialog: stack, endpoints and their keys, speech language, persona, turn sensitivity,
hotkeys, the word filter (blocked words and what to do on a hit), and the web layer (on, port).

Threading: Qt main thread. Saving validates everything before writing settings.toml; a bad
value is named in the dialog and nothing is written.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.backends.voxtral_stt import VOXTRAL_LANGUAGES as STT_LANGUAGES
from studio.config import Settings, SettingsError, settings_file
from studio.engine.safety import WordFilter
from studio.ui import theme
from studio.ui.settings_file import save_settings


def _spin(low: float, high: float, value: float, step: float, decimals: int = 2) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    return box


def _secret(value: str, tip: str) -> QLineEdit:
    """A key field: hidden while typed, kept in settings.toml (readable by this user only)."""
    field = QLineEdit(value)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText("none")
    field.setToolTip(tip)
    return field


def _ms(low: int, high: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(50)
    box.setSuffix(" ms")
    box.setValue(value)
    return box


def save_footer(dialog: Any, after_saving: str) -> tuple[QLabel, QLabel, QDialogButtonBox]:
    """A settings dialog's foot: its error line, a note on where settings go and what then happens,
    and Save / Cancel wired to `dialog.save` and `dialog.reject`."""
    error = QLabel("")
    error.setWordWrap(True)
    error.setStyleSheet(f"color: {theme.BAD}")
    note = QLabel(f"Saved to {settings_file()}. {after_saving}")
    note.setWordWrap(True)
    note.setStyleSheet(f"color: {theme.MUTED}; font-size: 8pt")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.save)
    buttons.rejected.connect(dialog.reject)
    return error, note, buttons


class SettingsDialog(QDialog):
    """Edits a copy of the settings; `saved` holds the new Settings after a successful save."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Studio settings")
        self.setMinimumWidth(520)
        self._original = settings
        self.saved: Settings | None = None
        form = QFormLayout()
        self.stack = QComboBox()
        self.stack.addItems(["auto", "embedded", "gpu"])
        self.stack.setCurrentText(settings.stack)
        self.chat_backend = QComboBox()
        self.chat_backend.addItems(["auto", "ollama", "smollm2"])
        self.chat_backend.setCurrentText(settings.chat_backend)
        self.ollama = QLineEdit(settings.OLLAMA_HOST)
        self.voxtral = QLineEdit(settings.VOXTRAL_URL)
        self.higgs = QLineEdit(settings.HIGGS_AUDIO_URL)
        self.persona = QPlainTextEdit(settings.persona_prompt)
        self.persona.setPlaceholderText(
            "Show-wide instructions for the anchor, added to every voice's persona"
        )
        self.persona.setMaximumHeight(90)
        self.vad = _spin(0.05, 0.95, settings.vad_threshold, 0.05)
        self.vad.setToolTip("Speech probability above which the mic counts as the host talking")
        self.hold = QCheckBox("Pause the anchor at the first sound of my voice")
        self.hold.setChecked(settings.barge_in_hold)
        self.hold.setToolTip(
            "The anchor fades out the moment you start talking over it and stops if you go on; "
            "a cough only pauses it briefly"
        )
        self.completion = _spin(0.05, 0.95, settings.turn_completion_threshold, 0.05)
        self.completion.setToolTip("Lower: the anchor answers sooner; higher: waits for clearer turn ends")
        self.min_silence = _ms(50, 5000, settings.turn_min_silence_ms)
        self.max_silence = _ms(100, 10000, settings.turn_max_silence_ms)
        self.ptt = QKeySequenceEdit(QKeySequence(settings.ptt_hotkey))
        self.dump = QKeySequenceEdit(QKeySequence(settings.interrupt_hotkey))
        form.addRow("Model stack", self.stack)
        form.addRow("Chat backend (embedded)", self.chat_backend)
        form.addRow("Ollama URL", self.ollama)
        form.addRow("Voxtral (vLLM) URL", self.voxtral)
        form.addRow("higgs-audio URL", self.higgs)
        self._add_keys_and_language(form, settings)
        form.addRow("Persona prompt", self.persona)
        form.addRow("Voice detection threshold", self.vad)
        form.addRow("Talking over the anchor", self.hold)
        form.addRow("Turn-end confidence", self.completion)
        form.addRow("Shortest pause before answering", self.min_silence)
        form.addRow("Longest pause before answering", self.max_silence)
        form.addRow("Push-to-talk key (hold)", self.ptt)
        form.addRow("Interrupt key", self.dump)
        self._add_word_filter(form, settings)
        self._add_web(form, settings)
        self._finish(form)

    def _finish(self, form: QFormLayout) -> None:
        """The error line, the note on where settings go, and the buttons under the form."""
        self.error, note, buttons = save_footer(
            self,
            "The show goes on: stack and endpoints reload the models, "
            "a new web port or on/off restarts the web server, the rest applies at once.",
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def _add_keys_and_language(self, form: QFormLayout, settings: Settings) -> None:
        """The model hosts' keys (sent with every request) and the host's speech language."""
        self.voxtral_key = _secret(settings.VOXTRAL_API_KEY, "vLLM's --api-key, if the server has one")
        self.higgs_key = _secret(settings.HIGGS_AUDIO_API_KEY, "the higgs host's --token, if it has one")
        self.stt_language = QComboBox()
        self.stt_language.setEditable(True)  # any ISO-639-1 code; the list holds Voxtral's eight
        self.stt_language.addItems(["auto", *STT_LANGUAGES])
        self.stt_language.setCurrentText(settings.stt_language)
        self.stt_language.setToolTip(
            "auto: the speech model detects the host's language and the anchor follows it (a voice of that "
            "language answers). A code fixes it. The embedded Whisper tiny.en hears English only."
        )
        form.addRow("Voxtral API key", self.voxtral_key)
        form.addRow("higgs-audio token", self.higgs_key)
        form.addRow("Host's language (speech)", self.stt_language)

    def _add_word_filter(self, form: QFormLayout, settings: Settings) -> None:
        """The blocked words (one per line, `re:` for a regex) and the action on a hit."""
        self.blocked_words = QPlainTextEdit("\n".join(settings.blocked_words))
        self.blocked_words.setPlaceholderText("one word or phrase per line; re:fr[io]ck\\w* for a regex")
        self.blocked_words.setToolTip(
            "Checked on every clause before it is spoken, whole words, any case. Applies from the next "
            "clause, without reloading the models."
        )
        self.blocked_words.setMaximumHeight(90)
        self.blocked_action = QComboBox()
        self.blocked_action.addItems(["drop", "bleep", "regenerate"])
        self.blocked_action.setCurrentText(settings.blocked_word_action)
        self.blocked_action.setToolTip(
            "drop: the clause is not spoken; bleep: a tone replaces the word; regenerate: the model "
            "rewrites the clause once (else it is dropped)"
        )
        form.addRow("Blocked words", self.blocked_words)
        form.addRow("On a blocked word", self.blocked_action)

    def _add_web(self, form: QFormLayout, settings: Settings) -> None:
        """The web layer (remote control, overlay): on or off, its port, and how a remote voice joins."""
        self.web_enabled = QCheckBox("Web layer (remote control, overlay)")
        self.web_enabled.setChecked(settings.web_enabled)
        self.web_port = QSpinBox()
        self.web_port.setRange(0, 65535)
        self.web_port.setSpecialValueText("any free port")  # 0
        self.web_port.setValue(settings.web_port)
        self.web_port.setEnabled(settings.web_enabled)
        self.web_port.setToolTip(
            "The port on 127.0.0.1 for the control page, the OBS overlay and the API; 0: any free port "
            "(a new one each start). Saving restarts the server at once: open pages reconnect to the "
            "new URL (Studio → Remote control… shows it)."
        )
        self.web_enabled.toggled.connect(self.web_port.setEnabled)
        self.remote_mix = QCheckBox(
            "mixed with the mic (a guest beside you); off: in its place (you, remote)"
        )
        self.remote_mix.setChecked(settings.remote_audio_mix)
        form.addRow("Web", self.web_enabled)
        form.addRow("Web port", self.web_port)
        form.addRow("Remote voice (/ws/audio)", self.remote_mix)

    def _blocked_entries(self) -> list[str]:
        """The blocked words as the settings keep them: one entry per non-empty line."""
        return [line.strip() for line in self.blocked_words.toPlainText().splitlines() if line.strip()]

    def values(self) -> dict[str, Any]:
        """The dialog's values under their setting names."""
        return {
            "stack": self.stack.currentText(),
            "chat_backend": self.chat_backend.currentText(),
            "OLLAMA_HOST": self.ollama.text().strip(),
            "VOXTRAL_URL": self.voxtral.text().strip(),
            "HIGGS_AUDIO_URL": self.higgs.text().strip(),
            "VOXTRAL_API_KEY": self.voxtral_key.text().strip(),
            "HIGGS_AUDIO_API_KEY": self.higgs_key.text().strip(),
            "stt_language": self.stt_language.currentText().strip().lower() or "auto",
            "persona_prompt": self.persona.toPlainText().strip(),
            "vad_threshold": round(self.vad.value(), 3),
            "barge_in_hold": self.hold.isChecked(),
            "turn_completion_threshold": round(self.completion.value(), 3),
            "turn_min_silence_ms": self.min_silence.value(),
            "turn_max_silence_ms": self.max_silence.value(),
            "ptt_hotkey": self.ptt.keySequence().toString() or self._original.ptt_hotkey,
            "interrupt_hotkey": self.dump.keySequence().toString() or self._original.interrupt_hotkey,
            "blocked_words": self._blocked_entries(),
            "blocked_word_action": self.blocked_action.currentText(),
            "remote_audio_mix": self.remote_mix.isChecked(),
            "web_enabled": self.web_enabled.isChecked(),
            "web_port": self.web_port.value(),
        }

    def changed(self) -> dict[str, Any]:
        """Only the values that differ from the settings the dialog opened with."""

        def before(key: str) -> Any:
            value = getattr(self._original, key)
            return QKeySequence(value).toString() if key.endswith("_hotkey") else value  # "Escape" == "Esc"

        return {k: v for k, v in self.values().items() if before(k) != v}

    def save(self) -> None:
        """Check the values, write settings.toml and close; or name what is wrong and write nothing."""
        changes, values = self.changed(), self.values()
        if values["turn_min_silence_ms"] >= values["turn_max_silence_ms"]:
            self.error.setText("The shortest pause must be shorter than the longest pause.")
            return
        problem = blocked_words_problem(self.blocked_words.toPlainText())
        if problem:
            self.error.setText(problem)
            return
        try:
            self.saved = save_settings(changes) if changes else self._original
        except SettingsError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


def blocked_words_problem(text: str) -> str:
    """Why the word filter cannot use the lines of `text` (a regex that does not compile), or ""."""
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.strip()
        try:
            WordFilter([entry])
        except re.error as exc:
            return (
                f"Blocked words, line {number}: {entry!r} is not a valid regular expression ({exc}); "
                "fix it or remove the line. Nothing was saved."
            )
    return ""
