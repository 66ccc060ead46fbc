"""The window's left column: waveforms, latency, memory and devices, each in its titled box.

Threading: Qt main thread. The waveforms read the show's scopes when the window's timer says so.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QVBoxLayout, QWidget

from studio.ui import theme
from studio.ui.device_pickers import DevicePickers
from studio.ui.latency_panel import LatencyPanel
from studio.ui.resource_gauge import ResourceGauge
from studio.ui.waveforms import ScopeReader, ScopeTrace, WaveformPanel


def boxed(title: str, widget: QWidget) -> QGroupBox:
    """`widget` in a group box titled `title`."""
    box = QGroupBox(title)
    QVBoxLayout(box).addWidget(widget)
    return box


class MonitorColumn(QWidget):
    """What the host watches while on air: the two waveforms, the latency, the memory, the devices."""

    def __init__(
        self, mic: ScopeReader, program: ScopeReader, max_latency_ms: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.mic_trace = ScopeTrace("Host mic", theme.HOST, mic)
        self.program_trace = ScopeTrace("Program", theme.ANCHOR, program)
        self.waveforms = WaveformPanel(self.mic_trace, self.program_trace)
        self.latency = LatencyPanel(max_latency_ms)
        self.gauge = ResourceGauge()
        self.devices = DevicePickers()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for title, widget, stretch in (
            ("Audio", self.waveforms, 3),
            ("Latency (ms from the end of the host's speech)", self.latency, 2),
            ("Memory", self.gauge, 0),
            ("Devices", self.devices, 0),
        ):
            layout.addWidget(boxed(title, widget), stretch)
