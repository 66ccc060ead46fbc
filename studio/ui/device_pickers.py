"""Pickers for the host mic, program output and monitor output, chosen and remembered by name,
plus the virtual AI_Anchor_Out sink for OBS and a live status line of the open devices.

Passive view: DevicePresenter (studio.ui.device_presenter) lists the devices and creates the sink
on a worker thread and hands the results here; ↻ and "Create AI_Anchor_Out" only ask for it.
Threading: Qt main thread; nothing here calls the audio server.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from studio.ui import theme
from studio.ui.device_choices import (
    NO_MONITOR,
    SYSTEM_DEFAULT,
    DeviceChoice,
    DeviceLists,
    Entry,
    picker_items,
    studio_devices,
)

__all__ = ["DeviceChoice", "DevicePickers", "studio_devices"]


class DevicePickers(QWidget):
    """Three combos; emits `devices_chosen(mic, program, monitor)` with names ('' = default/off)."""

    devices_chosen = Signal(str, str, str)
    refresh_requested = Signal()
    anchor_sink_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error = ""
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.mic, self.program, self.monitor = QComboBox(), QComboBox(), QComboBox()
        for combo, first in (
            (self.mic, SYSTEM_DEFAULT),
            (self.program, SYSTEM_DEFAULT),
            (self.monitor, NO_MONITOR),
        ):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
            combo.addItem(first, "")  # until the first listing comes back from the worker
            combo.activated.connect(self._emit)
        refresh = QPushButton("↻")
        refresh.setToolTip("List the audio devices again")
        refresh.setMaximumWidth(32)
        refresh.clicked.connect(self.refresh_requested.emit)
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

    def show_devices(self, lists: DeviceLists, error: str) -> None:
        """A new listing: each picker keeps the host's current pick by name."""
        chosen = self.chosen()
        for combo, entries, keep in zip(
            self._combos(), (lists.mic, lists.program, lists.monitor), chosen, strict=True
        ):
            self._fill(combo, entries, keep)
        self.error = error
        self.setToolTip(error)
        if error:
            self.status.setText(f"No audio devices: {error}")

    def _combos(self) -> tuple[QComboBox, QComboBox, QComboBox]:
        return self.mic, self.program, self.monitor

    def _fill(self, combo: QComboBox, entries: tuple[Entry, ...] | list[Entry], keep: str) -> None:
        items = picker_items(entries, keep)
        combo.blockSignals(True)
        combo.clear()
        for label, name in items.entries:
            combo.addItem(label, name)
        combo.setCurrentIndex(items.current)
        combo.blockSignals(False)

    def names(self, combo: QComboBox) -> list[str]:
        """The device names a combo offers ('' is the default / off entry)."""
        return [combo.itemData(i) for i in range(combo.count())]

    def chosen(self) -> tuple[str, str, str]:
        return tuple(str(c.currentData() or "") for c in self._combos())  # type: ignore[return-value]

    def choose(self, mic: str, program: str, monitor: str) -> None:
        """Select remembered devices by name (no signal)."""
        for combo, value in zip(self._combos(), (mic, program, monitor), strict=True):
            self._fill(combo, [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())], value)

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

    def show_audio_status(self, text: str) -> None:
        self.status.setText(text)

    def _emit(self, _index: int = 0) -> None:
        self.devices_chosen.emit(*self.chosen())
