"""Pickers for the host mic, program output and monitor output, chosen and remembered by name,
plus the virtual AI_Anchor_Out sink for OBS and a live status line of the open devices.

Threading: Qt main thread. Listing devices asks the audio server (a few ms); it runs at start and
when the host presses refresh, never on a timer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from studio.ui import theme

SYSTEM_DEFAULT = "System default"
NO_MONITOR = "Off"


@dataclass(frozen=True, slots=True)
class DeviceChoice:
    """A device as the pickers show it; `name` is what is remembered."""

    name: str
    is_input: bool
    is_output: bool
    is_virtual: bool = False
    description: str = ""

    @property
    def label(self) -> str:
        shown = self.description or self.name
        return f"{shown} (virtual)" if self.is_virtual else shown


def studio_devices() -> list[DeviceChoice]:
    """What the audio server reports (PulseAudio/PipeWire sinks and sources, else PortAudio)."""
    from studio.audio.devices import list_devices

    return [
        DeviceChoice(d.name, d.kind == "input", d.kind == "output", d.is_virtual, d.description)
        for d in list_devices()
    ]


class DevicePickers(QWidget):
    """Three combos; emits `devices_chosen(mic, program, monitor)` with names ('' = default/off)."""

    devices_chosen = Signal(str, str, str)
    anchor_sink_requested = Signal()

    def __init__(self, lister: Callable[[], Sequence[DeviceChoice]] = studio_devices, parent=None) -> None:
        super().__init__(parent)
        self._lister = lister
        self.error = ""
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.mic, self.program, self.monitor = QComboBox(), QComboBox(), QComboBox()
        for combo in (self.mic, self.program, self.monitor):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
            combo.activated.connect(self._emit)
        refresh = QPushButton("↻")
        refresh.setToolTip("List the audio devices again")
        refresh.setMaximumWidth(32)
        refresh.clicked.connect(self.refresh)
        self.sink_button = QPushButton("Create AI_Anchor_Out")
        self.sink_button.setToolTip("Add a virtual output (PulseAudio/PipeWire null sink) for OBS to capture")
        self.sink_button.clicked.connect(self.anchor_sink_requested.emit)
        row = QHBoxLayout()
        row.addWidget(self.program, 1)
        row.addWidget(self.sink_button)
        row.addWidget(refresh)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {theme.MUTED}; font-size: 8pt")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Host mic", self.mic)
        form.addRow("Program out", row)
        form.addRow("Monitor out", self.monitor)
        form.addRow(self.status)
        self.refresh()

    def refresh(self) -> None:
        """Re-list devices, keeping the current choices by name where they still exist."""
        chosen = self.chosen()
        try:
            devices = list(self._lister())
            self.error = "" if devices else "the audio server reports no devices"
        except Exception as exc:  # no PortAudio / no server: say so, keep the studio up
            devices, self.error = [], str(exc)
        inputs = [(d.label, d.name) for d in devices if d.is_input]
        outputs = [(d.label, d.name) for d in devices if d.is_output]
        self._fill(self.mic, [(SYSTEM_DEFAULT, ""), *inputs], chosen[0])
        self._fill(self.program, [(SYSTEM_DEFAULT, ""), *outputs], chosen[1])
        self._fill(self.monitor, [(NO_MONITOR, ""), *outputs], chosen[2])
        self.setToolTip(self.error)
        if self.error:
            self.status.setText(f"No audio devices: {self.error}")

    def _fill(self, combo: QComboBox, items: list[tuple[str, str]], keep: str) -> None:
        combo.blockSignals(True)
        combo.clear()
        for label, name in items:
            combo.addItem(label, name)
        if keep and combo.findData(keep) < 0:
            combo.addItem(
                f"{keep} (not connected)", keep
            )  # remembered: the stream reconnects when it returns
        combo.setCurrentIndex(max(0, combo.findData(keep)))
        combo.blockSignals(False)

    def names(self, combo: QComboBox) -> list[str]:
        """The device names a combo offers ('' is the default / off entry)."""
        return [combo.itemData(i) for i in range(combo.count())]

    def chosen(self) -> tuple[str, str, str]:
        return tuple(str(c.currentData() or "") for c in (self.mic, self.program, self.monitor))  # type: ignore[return-value]

    def choose(self, mic: str, program: str, monitor: str) -> None:
        """Select remembered devices by name (no signal)."""
        for combo, value in ((self.mic, mic), (self.program, program), (self.monitor, monitor)):
            items = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
            items = [(label, name) for label, name in items if not label.endswith("(not connected)")]
            self._fill(combo, items, value)

    def show_audio(self, stats: dict) -> None:
        """The status line: each open device's state and counters (`AudioIO.stats()`)."""
        parts = []
        for role in ("program", "monitor"):
            sink = stats.get(role)
            if sink:
                parts.append(f"{role}: {sink['device']} {sink['state']}, {sink['underruns']} underruns")
        mic = stats.get("mic")
        if mic:
            parts.append(f"mic: {mic['device']} {mic['state']}, {mic['overruns']} overruns")
        elif stats.get("mic_note"):
            parts.append("mic: off")
        self.status.setText(" · ".join(parts))

    def _emit(self, _index: int = 0) -> None:
        self.devices_chosen.emit(*self.chosen())
