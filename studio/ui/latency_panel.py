"""Per-turn latency readout and a small plot of the last turns, so the host sees when the show lags.

A turn whose voice-to-voice latency is over the alert threshold (setting `max_latency_ms`) is
marked red, in the readout and on the plot, with a tooltip naming the threshold.
Threading: Qt main thread, updated on each TurnCompleted signal.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from studio.ui import theme
from studio.ui.turn_axis import TurnAxis, turn_range

READOUT = (
    ("turn_decided", "Turn decided"),
    ("stt_final", "STT"),
    ("llm_first_token", "LLM 1st token"),
    ("tts_first_chunk", "TTS 1st chunk"),
    ("voice_to_voice", "Voice-to-voice"),
)
PLOTTED = (("turn_decided", theme.MUTED), ("llm_first_token", theme.ACCENT), ("voice_to_voice", theme.ANCHOR))
HISTORY = 30
ALERTED = "voice_to_voice"  # the latency the audience feels, checked against max_latency_ms


class LatencyPanel(QWidget):
    """Figures of the last turn and a line per stage across the last `HISTORY` turns."""

    def __init__(self, max_latency_ms: int = 2000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_latency_ms = max_latency_ms
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        grid = QGridLayout()
        self.values: dict[str, QLabel] = {}
        for column, (key, title) in enumerate(READOUT):
            name = QLabel(title)
            name.setStyleSheet(f"color: {theme.MUTED}; font-size: 8pt")
            value = QLabel("—")
            value.setStyleSheet("font-size: 13pt; font-weight: bold")
            value.setObjectName(f"latency_{key}")
            grid.addWidget(name, 0, column)
            grid.addWidget(value, 1, column)
            self.values[key] = value
        layout.addLayout(grid)
        self.plot = pg.PlotWidget(background=theme.PANEL, axisItems={"bottom": TurnAxis()})
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setMinimumHeight(90)
        self.plot.setLabel("left", "ms", color=theme.MUTED)
        self.plot.addLegend(offset=(-4, 4), labelTextSize="7pt")
        self.plot.setLabel("bottom", "turn", color=theme.MUTED)
        self.history: dict[str, deque[float]] = {key: deque(maxlen=HISTORY) for key, _ in PLOTTED}
        self.curves = {
            key: self.plot.plot(
                name=key.replace("_", " "), pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=4
            )
            for key, colour in PLOTTED
        }
        self.alert_line = pg.InfiniteLine(
            angle=0, pen=pg.mkPen(theme.BAD, width=1, style=Qt.PenStyle.DashLine), movable=False
        )
        self.plot.addItem(self.alert_line, ignoreBounds=True)  # a far threshold must not squash the plot
        layout.addWidget(self.plot, 1)
        self.turns = 0
        self.set_alert_ms(max_latency_ms)

    def set_alert_ms(self, max_latency_ms: int) -> None:
        """Move the alert threshold (the settings changed); the last turn is judged again."""
        self.max_latency_ms = max_latency_ms
        self.alert_line.setValue(max_latency_ms)
        self.alert_line.setToolTip(f"alert threshold: {max_latency_ms} ms (setting max_latency_ms)")
        last = self.history[ALERTED][-1] if self.history[ALERTED] else float("nan")
        self._show_alerted(None if math.isnan(last) else last)
        self._redraw()

    def over_alert(self, value: float | None) -> bool:
        """True for a measured latency above the alert threshold."""
        return value is not None and value > self.max_latency_ms

    def add_turn(self, latency_ms: dict[str, float | None]) -> None:
        self.turns += 1
        for key, label in self.values.items():
            value = latency_ms.get(key)
            label.setText("—" if value is None else f"{value:.0f} ms")
            if key != ALERTED:
                label.setStyleSheet(f"font-size: 13pt; font-weight: bold; color: {theme.TEXT}")
        self._show_alerted(latency_ms.get(ALERTED))
        for key, series in self.history.items():
            value = latency_ms.get(key)
            series.append(float("nan") if value is None else float(value))
        self._redraw()

    def _show_alerted(self, value: float | None) -> None:
        """Colour the voice-to-voice readout: good, warning (over half the threshold), over it."""
        label, colour, tip = self.values[ALERTED], theme.TEXT, ""
        if value is not None:
            half = self.max_latency_ms / 2
            colour = theme.BAD if self.over_alert(value) else theme.WARN if value > half else theme.GOOD
            if self.over_alert(value):
                tip = f"{value:.0f} ms: over the {self.max_latency_ms} ms alert threshold (max_latency_ms)"
        label.setStyleSheet(f"font-size: 13pt; font-weight: bold; color: {colour}")
        label.setToolTip(tip)

    def _redraw(self) -> None:
        """Plot the kept turns at their turn numbers; points over the threshold are red."""
        first = self.turns - len(self.history[ALERTED]) + 1
        for key, series in self.history.items():
            y = np.array(series, dtype=np.float64)
            x = np.arange(first, first + len(y))
            if not np.isfinite(y).any():  # captions only so far: nothing was voiced, nothing to plot
                self.curves[key].setData([], [])
                continue
            if key == ALERTED:
                brushes = [pg.mkBrush(theme.BAD if self.over_alert(v) else theme.ANCHOR) for v in y.tolist()]
                self.curves[key].setData(x, y, connect="finite", symbolBrush=brushes)
            else:
                self.curves[key].setData(x, y, connect="finite")
        self.plot.setXRange(*turn_range(max(1, first), self.turns), padding=0)
