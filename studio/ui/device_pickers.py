"""Pickers for the host mic, program output and monitor output, chosen and remembered by name.

Threading: Qt main thread. Listing devices asks PortAudio (a few ms); it runs at start and when
the host presses refresh, never on a timer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QPushButton, QWidget

SYSTEM_DEFAULT = "System default"
NO_MONITOR = "Off"


@dataclass(frozen=True, slots=True)
class DeviceChoice:
    """A device as the pickers show it."""

    name: str
    is_input: bool
    is_output: bool
    is_virtual: bool = False


def sounddevice_choices() -> list[DeviceChoice]:
    """What PortAudio reports (input and output capable devices, by name)."""
    import sounddevice as sd

    return [
        DeviceChoice(d["name"], d["max_input_channels"] > 0, d["max_output_channels"] > 0)
        for d in sd.query_devices()
    ]


class DevicePickers(QWidget):
    """Three combos; emits `devices_chosen(mic, program, monitor)` with names ('' = default/off)."""

    devices_chosen = Signal(str, str, str)

    def __init__(
        self, lister: Callable[[], Sequence[DeviceChoice]] = sounddevice_choices, parent=None
    ) -> None:
        super().__init__(parent)
        self._lister = lister
        self.error = ""
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.mic = QComboBox()
        self.program = QComboBox()
        self.monitor = QComboBox()
        for combo in (self.mic, self.program, self.monitor):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
            combo.activated.connect(self._emit)
        refresh = QPushButton("↻")
        refresh.setToolTip("List the audio devices again")
        refresh.setMaximumWidth(32)
        refresh.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.program, 1)
        row.addWidget(refresh)
        form.addRow("Host mic", self.mic)
        form.addRow("Program out", row)
        form.addRow("Monitor out", self.monitor)
        self.refresh()

    def refresh(self) -> None:
        """Re-list devices, keeping the current choices by name where they still exist."""
        chosen = self.chosen()
        try:
            devices = list(self._lister())
            self.error = "" if devices else "the audio server reports no devices"
        except Exception as exc:  # no PortAudio / no server: say so, keep the studio up
            devices, self.error = [], f"cannot list audio devices: {exc}"
        self._fill(self.mic, [SYSTEM_DEFAULT] + [self._label(d) for d in devices if d.is_input], chosen[0])
        self._fill(
            self.program, [SYSTEM_DEFAULT] + [self._label(d) for d in devices if d.is_output], chosen[1]
        )
        self._fill(self.monitor, [NO_MONITOR] + [self._label(d) for d in devices if d.is_output], chosen[2])
        self.setToolTip(self.error)

    @staticmethod
    def _label(device: DeviceChoice) -> str:
        return device.name

    def _fill(self, combo: QComboBox, names: list[str], keep: str) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(names)
        if keep and keep not in names:
            combo.addItem(f"{keep}")  # remembered but absent now: keep it visible, the stream reconnects
        combo.setCurrentText(keep or names[0])
        combo.blockSignals(False)

    def chosen(self) -> tuple[str, str, str]:
        def name(combo: QComboBox, default: str) -> str:
            text = combo.currentText()
            return "" if text in ("", default) else text

        return (
            name(self.mic, SYSTEM_DEFAULT),
            name(self.program, SYSTEM_DEFAULT),
            name(self.monitor, NO_MONITOR),
        )

    def choose(self, mic: str, program: str, monitor: str) -> None:
        """Select remembered devices by name (no signal)."""
        for combo, value, default in (
            (self.mic, mic, SYSTEM_DEFAULT),
            (self.program, program, SYSTEM_DEFAULT),
            (self.monitor, monitor, NO_MONITOR),
        ):
            self._fill(combo, [combo.itemText(i) for i in range(combo.count())], value or default)

    def _emit(self, _index: int = 0) -> None:
        self.devices_chosen.emit(*self.chosen())
