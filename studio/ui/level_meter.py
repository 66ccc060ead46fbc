"""A broadcast-style level meter: RMS bar, peak hold, and a latched clip light the host can't miss.

Threading: Qt main thread; fed by the window's one refresh timer (never by audio callbacks).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.ui import theme

FLOOR_DB = -60.0
CLIP_DB = -0.1  # a sample at (nearly) full scale
CLIP_HOLD_S = 2.0
PEAK_HOLD_S = 1.0
TIP_EVERY_S = 0.25


def _fraction(db: float) -> float:
    return min(1.0, max(0.0, (db - FLOOR_DB) / -FLOOR_DB))


class LevelMeter(QWidget):
    """Horizontal meter; `set_level(rms_db, peak_db)` then it repaints itself."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rms_db = FLOOR_DB
        self.peak_db = FLOOR_DB
        self._hold_db, self._hold_at = FLOOR_DB, 0.0
        self._clip_at: float | None = None
        self._tip_at = 0.0
        self._painted: tuple[float, float, float, bool] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(14)

    def sizeHint(self) -> QSize:
        return QSize(200, 14)

    @property
    def clipping(self) -> bool:
        """True while the clip light is lit (it stays on for two seconds after the last clip)."""
        return self._clip_at is not None and time.monotonic() - self._clip_at < CLIP_HOLD_S

    def set_level(self, rms_db: float, peak_db: float) -> None:
        now = time.monotonic()
        self.rms_db, self.peak_db = rms_db, peak_db
        if peak_db >= self._hold_db or now - self._hold_at > PEAK_HOLD_S:
            self._hold_db, self._hold_at = peak_db, now
        if peak_db >= CLIP_DB:
            self._clip_at = now
        if now - self._tip_at >= TIP_EVERY_S:  # a tooltip is read by a hovering eye, not at 30 fps
            self._tip_at = now
            tip = f"RMS {rms_db:.1f} dBFS · peak {peak_db:.1f} dBFS" + (
                " · CLIPPING" if self.clipping else ""
            )
            self.setToolTip(tip)
        shown = (round(rms_db, 1), round(peak_db, 1), self._hold_db, self.clipping)
        if shown != self._painted:  # silence stays silence: no repaint
            self._painted = shown
            self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        width, height = self.width(), self.height()
        clip_width = 28
        bar = QRectF(0, 0, width - clip_width - 4, height)
        painter.fillRect(bar, QColor(theme.PANEL))
        level = _fraction(self.rms_db)
        colour = theme.GOOD if self.rms_db < -18 else theme.WARN if self.rms_db < -6 else theme.BAD
        painter.fillRect(QRectF(0, 2, bar.width() * level, height - 4), QColor(colour))
        hold_x = bar.width() * _fraction(self._hold_db)
        painter.fillRect(QRectF(max(0.0, hold_x - 2), 0, 2, height), QColor(theme.TEXT))
        clip = QRectF(width - clip_width, 0, clip_width, height)
        painter.fillRect(clip, QColor(theme.BAD if self.clipping else "#3d1d1f"))
        painter.setPen(QColor(theme.TEXT if self.clipping else theme.MUTED))
        painter.drawText(clip, Qt.AlignmentFlag.AlignCenter, "CLIP")
        painter.end()
