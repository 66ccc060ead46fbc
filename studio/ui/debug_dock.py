"""The View → Debug dock: main-thread stalls (and where the last one was), waveform frames, start time.

Threading: Qt main thread; the window refreshes it twice a second while it is visible.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QWidget

from studio.ui.stall_sampler import StallReport
from studio.ui.watchdog import MainThreadWatchdog


def debug_text(
    stalls: dict[str, float], frames: int, shown_ms: float | None, session_log: Path, last: StallReport | None
) -> str:
    """The dock's lines; the last stall's stack when the watchdog samples stacks."""
    shown = f"{shown_ms:.0f} ms" if shown_ms is not None else "—"
    lines = [
        f"main-thread stalls > 50 ms: {stalls['stalls_over_50ms']} (worst {stalls['worst_stall_ms']} ms)",
        f"waveform frames: {frames}",
        f"window shown {shown} after start",
        f"session log: {session_log}",
    ]
    if last is not None:
        lines.append(f"last stall {last.late_ms:.0f} ms in {last.hottest()}")
    return "\n".join(lines)


class DebugDock(QDockWidget):
    """A hidden dock with one label of figures for whoever debugs the studio."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Debug", parent)
        self.setObjectName("debug")
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.label)

    def show_figures(
        self, watchdog: MainThreadWatchdog, frames: int, shown_ms: float | None, session_log: Path
    ) -> None:
        """The watchdog's stalls (and where the last one was), frames drawn, start time, session log."""
        reports = watchdog.reports
        last = reports[-1] if reports else None
        self.label.setText(debug_text(watchdog.summary(), frames, shown_ms, session_log, last))
