"""Studio → Control surfaces…: each action's global hotkey, MIDI control (with Learn) and OSC address.

Edits the `global_hotkey_*`, `midi_*` and `osc_*` settings in the window instead of settings.toml.
Learn puts the running MidiSurface in learn mode; the pad it hears fills the row. Save checks
everything (studio.ui.surfaces_form), writes settings.toml as the settings dialog does (atomic,
nothing half-written), then the window applies: the show takes the settings (global keys re-grab)
and the surfaces restart or remap. Threading: Qt main thread; a learned pad arrives on mido's
callback thread and is posted here through a queued signal.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.config import Settings, SettingsError
from studio.surfaces import ACTIONS, DESCRIPTIONS, Surfaces
from studio.surfaces.midi import VIRTUAL_PORT
from studio.ui.settings_dialog import save_footer
from studio.ui.settings_file import save_settings
from studio.ui.surfaces_form import (
    SurfaceValues,
    apply_saved,
    changed,
    check,
    learn_unavailable,
    midi_port_names,
    osc_addresses,
    values_of,
)
from studio.ui.window_menu import studio_menu

_X_KEYSYM = re.compile(r"^(XF86\w+|KP_\w+)$")  # X names these keys, Qt does not (README "Global hotkeys")
LEARN, LISTENING = "Learn", "Press a pad…"


def read_chord(text: str) -> tuple[str, str]:
    """A typed chord as Qt reads it, as the settings dialog keeps keys: (text, "") or ("", why not)."""
    text = text.strip()
    if not text or _X_KEYSYM.match(text.split("+")[-1].strip()):
        return text, ""
    sequence = QKeySequence.fromString(text, QKeySequence.SequenceFormat.PortableText)
    if sequence.count() != 1 or sequence[0].key() == Qt.Key.Key_unknown:
        return "", f"{text!r} is not one key Qt knows; write it as Ctrl+Alt+Shift+D, F13 or Pause"
    return sequence.toString(QKeySequence.SequenceFormat.PortableText), ""


def _port_box(names: list[str], current: str) -> QComboBox:
    """An editable combo of port names; empty text is the virtual port."""
    box = QComboBox()
    box.setEditable(True)
    box.addItems(["", *names, *([current] if current and current not in names else [])])
    box.setCurrentText(current)
    box.lineEdit().setPlaceholderText(f"virtual port “{VIRTUAL_PORT}”")
    return box


class SurfacesDialog(QDialog):
    """Edits the surfaces' settings; after a successful save `saved` and `changes` hold what changed."""

    _learned = Signal(str, str)  # action, spec; emitted from mido's callback thread

    def __init__(
        self,
        settings: Settings,
        surfaces: Surfaces | None,
        parent: QWidget | None = None,
        port_names: tuple[list[str], list[str]] | None = None,
    ) -> None:
        """`surfaces`: the running ones (Learn needs their MIDI); `port_names`: mido's, looked up if None."""
        super().__init__(parent)
        self.setWindowTitle("Control surfaces")
        self._original, self._surfaces, self._closed = settings, surfaces, False
        self._live_map = dict(surfaces.midi.mapping) if surfaces and surfaces.midi else None
        self.saved: Settings | None = None
        self.changes: dict[str, Any] = {}
        self._learned.connect(self._on_learned)
        values = values_of(settings)
        layout = QVBoxLayout(self)
        layout.addWidget(self._action_rows(values, learn_unavailable(settings, surfaces)))
        inputs, outputs = port_names if port_names is not None else midi_port_names()
        layout.addLayout(self._ports(values, inputs, outputs))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.error, note, buttons = save_footer(
            self,
            "Global keys are grabbed again and OSC / MIDI restart with the new ports; "
            "a new MIDI map applies at once.",
        )
        for widget in (self.status, self.error, note, buttons):
            layout.addWidget(widget)

    def _action_rows(self, values: SurfaceValues, unavailable: str) -> QWidget:
        """One row per action: name, global hotkey, MIDI control, Learn, OSC address."""
        box = QWidget()
        grid = QGridLayout(box)
        for column, title in enumerate(("Action", "Global hotkey", "MIDI control", "", "OSC address")):
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
        self.hotkeys: dict[str, QLineEdit] = {}
        self.midi: dict[str, QLineEdit] = {}
        self.learn: dict[str, QPushButton] = {}
        self.osc: dict[str, QLabel] = {}
        for row, action in enumerate(ACTIONS, 1):
            name = QLabel(action)
            name.setToolTip(DESCRIPTIONS[action])
            hotkey = QLineEdit(values.hotkeys[action])
            hotkey.setPlaceholderText("no key")
            hotkey.setToolTip("Works while OBS or a game has the focus; e.g. Ctrl+Alt+Shift+D; empty: none")
            midi = QLineEdit(values.midi[action])
            midi.setPlaceholderText("none")
            midi.setToolTip("note:CHANNEL:NOTE (a pad or key) or cc:CHANNEL:NUMBER (a button or knob)")
            learn = QPushButton(LEARN)
            learn.setEnabled(not unavailable)
            learn.setToolTip(unavailable or f"Press, then press the pad or move the knob for {action}")
            learn.clicked.connect(lambda _checked=False, a=action: self.start_learning(a))
            osc = QLabel(", ".join(osc_addresses(action)))
            osc.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            osc.setToolTip("Read-only: the address Companion or TouchOSC sends")
            for column, widget in enumerate((name, hotkey, midi, learn, osc)):
                grid.addWidget(widget, row, column)
            self.hotkeys[action], self.midi[action] = hotkey, midi
            self.learn[action], self.osc[action] = learn, osc
        return box

    def _ports(self, values: SurfaceValues, inputs: list[str], outputs: list[str]) -> QHBoxLayout:
        """OSC on/host/port and MIDI on/input/output, side by side."""
        self.osc_enabled = QCheckBox("OSC on")
        self.osc_enabled.setChecked(values.osc_enabled)
        self.osc_host = QLineEdit(values.osc_host)
        self.osc_host.setToolTip(
            "127.0.0.1: this machine only; another address lets that network talk and mute"
        )
        self.osc_port = QSpinBox()
        self.osc_port.setRange(1, 65535)
        self.osc_port.setValue(values.osc_port)
        self.midi_enabled = QCheckBox("MIDI on")
        self.midi_enabled.setChecked(values.midi_enabled)
        self.midi_input = _port_box(inputs, values.midi_input)
        self.midi_output = _port_box(outputs, values.midi_output)
        self.midi_output.setToolTip("Where the mute pad is lit")
        row = QHBoxLayout()
        for title, rows in (
            ("OSC", (("", self.osc_enabled), ("Host", self.osc_host), ("UDP port", self.osc_port))),
            ("MIDI", (("", self.midi_enabled), ("Input", self.midi_input), ("Output", self.midi_output))),
        ):
            group, form = QGroupBox(title), QFormLayout()
            for label, widget in rows:
                form.addRow(label, widget)
            group.setLayout(form)
            row.addWidget(group)
        return row

    # ----- learn --------------------------------------------------------------------------------
    def start_learning(self, action: str) -> None:
        """The next pad pressed or knob moved on the running MIDI surface becomes `action`'s control."""
        midi = self._surfaces.midi if self._surfaces is not None else None
        if midi is None:
            return
        for name, button in self.learn.items():
            button.setText(LISTENING if name == action else LEARN)
        self.status.setText(f"Press the pad or move the knob for {action}…")
        midi.learn(action, self._post_learned)

    def _post_learned(self, action: str, spec: str) -> None:
        """mido's callback thread: hand the learned control to the main thread."""
        if not self._closed:
            with contextlib.suppress(RuntimeError):  # the dialog was deleted meanwhile
                self._learned.emit(action, spec)

    def _on_learned(self, action: str, spec: str) -> None:
        """Main thread: the row shows the learned control; a row that had it loses it (as the surface did)."""
        if self._closed:
            return
        moved = [
            other for other, field in self.midi.items() if other != action and field.text().strip() == spec
        ]
        for other in moved:
            self.midi[other].clear()
        self.midi[action].setText(spec)
        self.learn[action].setText(LEARN)
        self.status.setText(f"{action}: {spec}" + (f" (taken from {', '.join(moved)})" if moved else ""))

    # ----- save ---------------------------------------------------------------------------------
    def values(self) -> SurfaceValues:
        """What the dialog holds now."""
        return SurfaceValues(
            hotkeys={action: field.text() for action, field in self.hotkeys.items()},
            midi={action: field.text() for action, field in self.midi.items()},
            osc_enabled=self.osc_enabled.isChecked(),
            osc_host=self.osc_host.text(),
            osc_port=self.osc_port.value(),
            midi_enabled=self.midi_enabled.isChecked(),
            midi_input=self.midi_input.currentText(),
            midi_output=self.midi_output.currentText(),
        )

    def save(self) -> None:
        """Check everything, write settings.toml and close; or name what is wrong and write nothing."""
        checked, problem = check(self.values(), self._original, read_chord)
        if problem:
            self.error.setText(problem)
            return
        changes = changed(self._original, checked)
        try:
            self.saved = save_settings(changes) if changes else self._original
        except SettingsError as exc:
            self.error.setText(f"{exc}. Nothing was saved.")
            return
        self.changes = changes
        self.accept()

    def done(self, result: int) -> None:
        """Closed: learning stops (a Learn still waiting must not swallow the next pad); the running
        MIDI map is the saved one, or without a save the one it had before Learn changed it."""
        self._closed = True
        midi = self._surfaces.midi if self._surfaces is not None else None
        if midi is not None and result == QDialog.DialogCode.Accepted and self.saved is not None:
            midi.remap(self.saved.midi_map)
        elif midi is not None and self._live_map is not None:
            midi.remap(self._live_map)
        super().done(result)


class SurfacesEntry:
    """Studio → Control surfaces…: opens the dialog over the running surfaces and applies what it saved."""

    def __init__(self, window: Any, surfaces: Surfaces, keys: Any = None) -> None:
        """`window`: the StudioWindow; `keys`: its GlobalKeys (re-grabbed at once), if any."""
        self._window, self._surfaces, self._keys = window, surfaces, keys
        self.dialog: SurfacesDialog | None = None
        self.action = QAction("Control surfaces…", window)
        self.action.triggered.connect(self.open)
        studio_menu(window).addAction(self.action)

    def open(self) -> SurfacesDialog:
        """Show the dialog (the one already open, if any) with the settings as they are now."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        dialog = SurfacesDialog(self._window.settings, self._surfaces, self._window)
        dialog.accepted.connect(lambda: self.apply(dialog))
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _closed(self, _result: int) -> None:
        """The dialog is gone: the next open builds a fresh one."""
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    def apply(self, dialog: SurfacesDialog) -> None:
        """Saved: the show, the global keys and the surfaces take what changed."""
        if dialog.saved is not None and dialog.changes:
            apply_saved(self._window, self._surfaces, self._keys, dialog.saved, dialog.changes)


def attach_surfaces_dialog(window: Any, surfaces: Surfaces, keys: Any = None) -> SurfacesEntry:
    """Add Studio → Control surfaces… over the surfaces `start_surfaces` started for the window's show."""
    entry = SurfacesEntry(window, surfaces, keys)
    window.surfaces, window.surfaces_entry = surfaces, entry
    return entry
