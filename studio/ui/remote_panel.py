"""The window's Remote dialog (Studio → Remote control…): URLs, the token with Copy, a QR code, Rotate.

RemoteDialog is the passive view; RemotePresenter (studio.ui.remote_presenter) decides what it
shows. `attach_remote_panel` adds it over the web server studio.ui.app started with
studio.web.launch.start_web (the same server `serve` runs), or over none: then it says why, and a
taken port is also a status-bar message (the window runs on without remote control). Saved settings
that change the port or turn the web layer on or off restart it live (studio.ui.remote_web).
Threading: Qt main thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from studio.ui.remote_presenter import Matrix, RemoteInfo, RemotePresenter
from studio.ui.remote_web import WindowWeb
from studio.web.launch import WebLaunch

QR_PIXELS_PER_MODULE = 6


def qr_pixmap(matrix: Matrix, scale: int = QR_PIXELS_PER_MODULE) -> QPixmap:
    """The QR matrix drawn black on white, `scale` pixels a module (sharp: no smoothing)."""
    size = len(matrix)
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    black = QColor("black").rgb()
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.setPixel(x, y, black)
    scaled = image.scaled(size * scale, size * scale, mode=Qt.TransformationMode.FastTransformation)
    return QPixmap.fromImage(scaled)


def _read_only(text: str = "") -> QLineEdit:
    """A selectable, read-only line (URLs and the token)."""
    line = QLineEdit(text)
    line.setReadOnly(True)
    return line


class RemoteDialog(QDialog):
    """Control page URL, the token with Copy, the QR code, the overlay URL, Rotate buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Built empty; the presenter fills it."""
        super().__init__(parent)
        self.setWindowTitle("Remote control")
        self.setObjectName("remote_dialog")
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.control_url, self.token, self.overlay_url = _read_only(), _read_only(), _read_only()
        self.token.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.copy_button = QPushButton("Copy token")
        self.copy_overlay_button = QPushButton("Copy overlay URL")
        self.rotate_control_button = QPushButton("Rotate control token")
        self.rotate_overlay_button = QPushButton("Rotate overlay token")
        self.qr = QLabel()
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setToolTip("Scan with a phone: opens the control page, token included")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self._lay_out()

    def _lay_out(self) -> None:
        """Rows: state; control URL; token + Copy; QR; overlay URL + Copy; Rotate buttons; problem."""
        grid = QGridLayout(self)
        grid.addWidget(self.state, 0, 0, 1, 3)
        for row, (title, line, button) in enumerate(
            (
                ("Control page", self.control_url, None),
                ("Token", self.token, self.copy_button),
                ("OBS overlay", self.overlay_url, self.copy_overlay_button),
            ),
            start=1,
        ):
            grid.addWidget(QLabel(title), row, 0)
            grid.addWidget(line, row, 1, 1, 1 if button else 2)
            if button is not None:
                grid.addWidget(button, row, 2)
        grid.addWidget(self.qr, 4, 0, 1, 3)
        grid.addWidget(self.rotate_control_button, 5, 1)
        grid.addWidget(self.rotate_overlay_button, 5, 2)
        grid.addWidget(self.problem, 6, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        self.setMinimumWidth(560)

    # ----- RemoteView -----------------------------------------------------------------------
    def show_remote(self, info: RemoteInfo) -> None:
        """Paint the URLs, the token and the QR code; buttons only while a server runs."""
        self.info = info
        self.state.setText(info.state)
        self.control_url.setText(info.control_url)
        self.token.setText(info.token)
        self.overlay_url.setText(info.overlay_url)
        self.qr.setPixmap(qr_pixmap(info.qr) if info.qr else QPixmap())
        for button in (
            self.copy_button,
            self.copy_overlay_button,
            self.rotate_control_button,
            self.rotate_overlay_button,
        ):
            button.setEnabled(info.on)

    def put_on_clipboard(self, text: str) -> None:
        """The system clipboard gets `text`."""
        QGuiApplication.clipboard().setText(text)
        self.problem.setText("copied")

    def show_problem(self, text: str) -> None:
        """One line under the buttons (a rotation's outcome, a refusal)."""
        self.problem.setText(text)


def attach_remote_panel(window: Any, web: WebLaunch) -> WindowWeb:
    """Add Studio → Remote control… over `web`'s server (started with the window's settings); the
    server follows the settings saved later (studio.ui.remote_web). Close the result after the show."""
    dialog = RemoteDialog(window)
    presenter = RemotePresenter(dialog, web.server, web.problem)
    dialog.copy_button.clicked.connect(presenter.copy_token)
    dialog.copy_overlay_button.clicked.connect(presenter.copy_overlay_url)
    dialog.rotate_control_button.clicked.connect(lambda: presenter.rotate("control"))
    dialog.rotate_overlay_button.clicked.connect(lambda: presenter.rotate("overlay"))
    action = QAction("Remote control…", window)
    action.triggered.connect(dialog.show)
    _studio_menu(window).addAction(action)
    window.remote_dialog, window.remote_action = dialog, action
    window.remote_web = WindowWeb(window, web, presenter)  # a failed start is said once the show is on
    return window.remote_web


def _studio_menu(window: Any) -> Any:
    """The window's Studio menu (studio.ui.window_menu builds it), else its menu bar."""
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == "Studio":
            return action.menu()
    return window.menuBar()
