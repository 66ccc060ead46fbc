"""The window's OBS section: a status light (connected / connecting / off / error), Test, the last error.

ObsPanel is the passive view; ObsPresenter (studio.ui.obs_presenter) decides what it shows.
`attach_obs_panel` puts the section in the window's left column over the bridge `attach_obs`
made (or over none: the light says OBS is off and how to turn it on).
Threading: Qt main thread. The bridge's status reports arrive on its "obs" thread and are
queued here by `MainThreadPost` (a signal, so Qt delivers them on this thread).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from studio.ui import theme
from studio.ui.main_thread import FutureRelay
from studio.ui.monitor_column import boxed
from studio.ui.obs_presenter import ObsBridgeFace, ObsLight, ObsPresenter

COLOURS = {"connected": theme.GOOD, "connecting": theme.WARN, "off": theme.MUTED, "error": theme.BAD}


class MainThreadPost(QObject):
    """Runs callables on the thread this object lives in (the Qt main thread), posted from any thread."""

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        """Queued delivery: a post from another thread runs when the main loop gets to it."""
        super().__init__(parent)
        self._posted.connect(self._run)

    def post(self, call: Callable[[], None]) -> None:
        """Any thread: run `call()` on the main thread soon (dropped once this object is gone)."""
        with contextlib.suppress(RuntimeError):  # the window closed while the bridge still reports
            self._posted.emit(call)

    def _run(self, call: Callable[[], None]) -> None:
        """Main thread: the posted call."""
        call()


class ObsPanel(QWidget):
    """● light and words, Test button, test outcome and the last error; emits what the host pressed."""

    test_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Built dark ("off"); the presenter paints it."""
        super().__init__(parent)
        self.setObjectName("obs_panel")
        self.light = QLabel()
        self.light.setObjectName("obs_light")
        self.words = QLabel()
        self.words.setWordWrap(True)
        self.test_button = QPushButton("Test")
        self.test_button.setToolTip("Connect now, ask OBS its version and flash a test caption")
        self.test_button.clicked.connect(self.test_requested.emit)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("obs_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.BAD};")
        for label in (self.words, self.outcome, self.error):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # copy the error
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.light, 0, 0)
        layout.addWidget(self.words, 0, 1)
        layout.addWidget(self.test_button, 0, 2)
        layout.addWidget(self.outcome, 1, 0, 1, 3)
        layout.addWidget(self.error, 2, 0, 1, 3)
        layout.setColumnStretch(1, 1)
        self.state = ""

    def show_light(self, light: ObsLight) -> None:
        """Paint the light, its words, the last error; Test only where there is a bridge."""
        self.state = light.light
        self.light.setText(
            f'<span style="color:{COLOURS[light.light]}; font-size:14pt">●</span> {light.light}'
        )
        self.words.setText(light.words)
        self.error.setText(f"Last error: {light.last_error}" if light.last_error else "")
        self.error.setVisible(bool(light.last_error))
        self.test_button.setEnabled(light.can_test)

    def show_test(self, text: str, ok: bool | None) -> None:
        """The Test outcome (ok None: still running, the button waits)."""
        self.outcome.setText(text)
        colour = theme.MUTED if ok is None else theme.GOOD if ok else theme.BAD
        self.outcome.setStyleSheet(f"color: {colour};")
        self.test_button.setEnabled(ok is not None)


def attach_obs_panel(window: Any, bridge: ObsBridgeFace | None) -> ObsPresenter:
    """Add the OBS section to the window's left column, kept in step with `bridge` (None: off)."""
    panel = ObsPanel()
    window.console.column.layout().addWidget(boxed("OBS", panel), 0)
    relay, post = FutureRelay(panel), MainThreadPost(panel)
    presenter = ObsPresenter(panel, bridge, post.post, relay.watch)
    panel.test_requested.connect(presenter.test)
    return presenter
