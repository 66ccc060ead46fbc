"""Live waveforms of the host mic and the program output, with meters, pulled at 30 fps.

Threading: Qt main thread. The window's refresh timer calls `refresh()`; it reads the latest
window from lock-free scopes (written by the engine / audio threads) and draws a min/max peak
envelope, so a one-sample click still shows and a frame costs the same at any sample rate; an
envelope that did not change (silence scrolling by) is not handed to the plot again.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from studio.audio.scope import SampleScope, level_dbfs, peak_envelope
from studio.ui import theme
from studio.ui.level_meter import LevelMeter

WINDOW_SECONDS = 3.0
COLUMNS = 600
METER_SECONDS = 0.05


ScopeReader = Callable[[], tuple[SampleScope, int | None]]  # → (scope, position to draw up to)
BOUNDS = QRectF(-1.0, -1.1, COLUMNS + 2.0, 2.2)  # every column, full scale, a line's width around


class ScopeCurve(pg.PlotCurveItem):
    """A curve that always spans the whole plot: its bounds are known, not measured from the data.

    pyqtgraph's own curve recomputed min/max of the data and its pixel padding for every frame and
    paint (a third of the time the waveforms cost the GUI thread); a scope's envelope never leaves
    columns 0..COLUMNS and ±1.
    """

    def __init__(self, pen: object) -> None:
        super().__init__(pen=pen, skipFiniteCheck=True)

    def boundingRect(self) -> QRectF:
        return BOUNDS

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange: object = None) -> tuple[float, float]:
        return (BOUNDS.left(), BOUNDS.right()) if ax == 0 else (BOUNDS.top(), BOUNDS.bottom())


class ScopeTrace:
    """One waveform + meter drawn from whatever scope `read()` names now (devices may change)."""

    def __init__(self, title: str, colour: str, read: ScopeReader) -> None:
        self._read = read
        self.plot = pg.PlotWidget(background=theme.PANEL)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setYRange(-1.0, 1.0, padding=0)
        self.plot.setXRange(0, COLUMNS, padding=0)
        for axis in ("left", "bottom"):
            self.plot.hideAxis(axis)
        self.plot.setToolTip(f"{title}: the last {WINDOW_SECONDS:.0f} s, peak envelope")
        self.plot.setMinimumHeight(70)
        self._x = np.repeat(np.arange(COLUMNS, dtype=np.float32), 2)
        self.curve = ScopeCurve(pen=pg.mkPen(colour, width=1))
        self.plot.addItem(self.curve)
        self.plot.disableAutoRange()
        self.meter = LevelMeter()
        self.frames_drawn = 0  # refreshes (an unchanged envelope is not painted again)
        self._drawn: np.ndarray | None = None
        self.last_peak = 0.0

    def refresh(self) -> None:
        scope, end = self._read()
        samples = scope.window(int(WINDOW_SECONDS * scope.sample_rate), end=end)
        low, high = peak_envelope(samples, COLUMNS)
        y = np.empty(COLUMNS * 2, dtype=np.float32)
        y[0::2], y[1::2] = low, high
        if self._drawn is None or not np.array_equal(y, self._drawn):  # silence scrolling by: no repaint
            self.curve.setData(self._x[: len(y)], y)
            self._drawn = y
        recent = samples[-int(METER_SECONDS * scope.sample_rate) :]
        self.meter.set_level(*level_dbfs(recent))
        self.last_peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
        self.frames_drawn += 1


class WaveformPanel(QWidget):
    """Mic above program; each with its meter. `refresh()` draws both."""

    def __init__(self, mic: ScopeTrace, program: ScopeTrace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mic, self.program = mic, program
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for row, (label, trace) in enumerate((("Host mic", mic), ("Program", program))):
            name = QLabel(label)
            name.setStyleSheet(f"color: {theme.MUTED}")
            grid.addWidget(trace.plot, row * 2, 0, 1, 2)
            grid.addWidget(name, row * 2 + 1, 0)
            grid.addWidget(trace.meter, row * 2 + 1, 1)
        grid.setColumnStretch(1, 1)

    def refresh(self) -> None:
        self.mic.refresh()
        self.program.refresh()
