"""The studio's dark theme in one place, so every panel uses the same broadcast-console colours.

Threading: Qt main thread (applied once at start).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#0d1117"
PANEL = "#161b22"
BORDER = "#30363d"
TEXT = "#e6edf3"
MUTED = "#8b949e"
ACCENT = "#58a6ff"
HOST = "#79c0ff"
ANCHOR = "#d2a8ff"
GOOD = "#3fb950"
WARN = "#d29922"
DEGRADED = "#db6d28"
BAD = "#f85149"
STATE_COLOURS = {"waiting": "#6e7681", "loading": WARN, "ready": GOOD, "degraded": DEGRADED, "down": BAD}

STYLESHEET = f"""
QMainWindow, QDialog, QWidget {{ background: {BACKGROUND}; color: {TEXT}; font-size: 10pt; }}
QGroupBox {{ border: 1px solid {BORDER}; border-radius: 6px; margin-top: 14px; padding: 6px;
            background: {PANEL}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: {MUTED}; }}
QPushButton {{ background: #21262d; border: 1px solid {BORDER}; border-radius: 5px; padding: 5px 10px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:pressed, QPushButton:checked {{ background: #1f6feb; border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #484f58; }}
QPushButton#dump {{ background: #8e1519; border-color: {BAD}; font-weight: bold; }}
QPushButton#dump:pressed {{ background: {BAD}; }}
QPushButton#talk {{ font-weight: bold; min-height: 34px; }}
QPushButton#talk:pressed, QPushButton#talk[held="true"] {{ background: {BAD}; }}
QLineEdit, QPlainTextEdit, QTextEdit, QTextBrowser, QComboBox, QSpinBox, QDoubleSpinBox, QKeySequenceEdit {{
    background: {PANEL}; border: 1px solid {BORDER}; border-radius: 4px; padding: 3px; }}
QLabel#banner {{ background: {DEGRADED}; color: #0d1117; font-weight: bold; padding: 6px;
                 border-radius: 4px; }}
QLabel#banner[severity="down"] {{ background: {BAD}; }}
QWidget#pullbar {{ border: 1px solid {DEGRADED}; border-radius: 4px; }}
QProgressBar {{ border: 1px solid {BORDER}; border-radius: 4px; background: {PANEL}; text-align: center; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QStatusBar {{ color: {MUTED}; }}
QToolTip {{ background: {PANEL}; color: {TEXT}; border: 1px solid {BORDER}; }}
"""


def apply_theme(app: QApplication) -> None:
    """Dark palette + stylesheet for the whole application."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, BACKGROUND),
        (QPalette.ColorRole.Base, PANEL),
        (QPalette.ColorRole.Text, TEXT),
        (QPalette.ColorRole.WindowText, TEXT),
        (QPalette.ColorRole.Button, "#21262d"),
        (QPalette.ColorRole.ButtonText, TEXT),
        (QPalette.ColorRole.Highlight, "#1f6feb"),
        (QPalette.ColorRole.ToolTipBase, PANEL),
        (QPalette.ColorRole.ToolTipText, TEXT),
    ):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)
