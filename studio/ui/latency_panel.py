"""Per-turn latency readout and a small plot of the last turns, so the host sees when the show lags.

Threading: Qt main thread, updated on each TurnCompleted signal.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from studio.ui import theme

READOUT = (
    ("turn_decided", "Turn decided"),
    ("stt_final", "STT"),
    ("llm_first_token", "LLM 1st token"),
    ("tts_first_chunk", "TTS 1st chunk"),
    ("voice_to_voice", "Voice-to-voice"),
)
PLOTTED = (("turn_decided", theme.MUTED), ("llm_first_token", theme.ACCENT), ("voice_to_voice", theme.ANCHOR))
HISTORY = 30


class LatencyPanel(QWidget):
    """Figures of the last turn and a line per stage across the last `HISTORY` turns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.plot = pg.PlotWidget(background=theme.PANEL)
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
        layout.addWidget(self.plot, 1)
        self.turns = 0

    def add_turn(self, latency_ms: dict[str, float | None]) -> None:
        self.turns += 1
        for key, label in self.values.items():
            value = latency_ms.get(key)
            label.setText("—" if value is None else f"{value:.0f} ms")
            colour = theme.TEXT
            if key == "voice_to_voice" and value is not None:
                colour = theme.GOOD if value <= 1000 else theme.WARN if value <= 2000 else theme.BAD
            label.setStyleSheet(f"font-size: 13pt; font-weight: bold; color: {colour}")
        for key, series in self.history.items():
            value = latency_ms.get(key)
            series.append(float("nan") if value is None else float(value))
            y = np.array(series, dtype=np.float64)
            if np.isfinite(y).any():
                self.curves[key].setData(np.arange(len(y)), y, connect="finite")
            else:  # captions only so far: nothing was voiced, nothing to plot
                self.curves[key].setData([], [])
