"""The rundown strip in the window: segment, elapsed / remaining (red when over), next, NEXT / BACK.

RundownPanel is the passive view; RundownPresenter polls the show's segment clock twice a second
(the clock is cheap and lock-protected) and turns the buttons into the show's NEXT / BACK commands;
Rundown… opens a file and Edit… the rundown editor (studio.ui.rundown_editor), both loading through
RundownPresenter.load.
Threading: Qt main thread; the show's commands hop onto its loop and never block.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from studio.rundown import Rundown, RundownError, SegmentClock, SegmentStatus, load_rundown
from studio.rundown.prompt import duration
from studio.ui.rundown_editor import RundownEditor

POLL_MS = 500
OVER_STYLE = "color: #e5484d; font-weight: bold;"


@dataclass(frozen=True, slots=True)
class RundownView:
    """What the panel shows, as text (the presenter decides it; tests read it)."""

    title: str
    clock: str
    next_title: str
    over_time: bool = False
    can_go_back: bool = False
    next_label: str = "NEXT ▶"
    loaded: bool = True


def describe(status: SegmentStatus | None) -> RundownView:
    """The panel's text for a rundown status (None: no rundown loaded)."""
    if status is None:
        return RundownView("No rundown", "", "", next_label="NEXT ▶", loaded=False)
    if not status.started:
        first = status.next.title if status.next else ""
        return RundownView("Rundown ready", "", f"First: {first}", next_label="START ▶")
    if status.ended:
        return RundownView("Rundown ended", "", "", can_go_back=True, next_label="NEXT ▶")
    segment = status.segment
    assert segment is not None
    elapsed, left = duration(status.elapsed_s), duration(abs(status.remaining_s))
    clock = f"{elapsed} · over by {left}" if status.over_time else f"{elapsed} · {left} left"
    following = f"Next: {status.next.title}" if status.next else "Last segment"
    title = f"{status.index + 1}/{status.count} {segment.title}"
    return RundownView(title, clock, following, status.over_time, True, "NEXT ▶")


class RundownPanel(QWidget):
    """A one-line strip: title, clock, next, BACK, NEXT, Open… and Edit…; emits what the host pressed."""

    next_requested = Signal()
    back_requested = Signal()
    open_requested = Signal()
    edit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Built empty ("No rundown"); the presenter fills it in."""
        super().__init__(parent)
        self.setObjectName("rundown")
        self.title = QLabel()
        self.title.setObjectName("rundown_title")
        self.clock = QLabel()
        self.next_label = QLabel()
        self.back_button = QPushButton("◀ BACK")
        self.next_button = QPushButton()
        self.open_button = QPushButton("Rundown…")
        self.open_button.setToolTip("Open a rundown TOML file ([[segment]] title, minutes, notes)")
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Edit, reorder and save the rundown, and load it into the show")
        self.back_button.clicked.connect(self.back_requested.emit)
        self.next_button.clicked.connect(self.next_requested.emit)
        self.open_button.clicked.connect(self.open_requested.emit)
        self.edit_button.clicked.connect(self.edit_requested.emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget, stretch in ((self.title, 2), (self.clock, 1), (self.next_label, 2)):
            layout.addWidget(widget, stretch)
        for button in (self.back_button, self.next_button, self.open_button, self.edit_button):
            layout.addWidget(button)
        self.show_view(describe(None))

    def show_view(self, view: RundownView) -> None:
        """Show `view`; over time turns the clock red."""
        self.title.setText(view.title)
        self.clock.setText(view.clock)
        self.clock.setStyleSheet(OVER_STYLE if view.over_time else "")
        self.clock.setProperty("over_time", view.over_time)
        self.next_label.setText(view.next_title)
        self.next_button.setText(view.next_label)
        self.next_button.setEnabled(view.loaded)
        self.back_button.setEnabled(view.can_go_back)


class RundownPresenter(QObject):
    """Keeps the panel in step with the show's segment clock; NEXT / BACK / Open / Edit go to the show."""

    def __init__(self, panel: RundownPanel, show: Any, parent: QObject | None = None) -> None:
        """`show`: the Show (its rundown commands are thread-safe); polling starts at once."""
        super().__init__(parent)
        self.panel, self.show = panel, show
        self.error: str | None = None  # why the last file did not load (shown until one does)
        self.editor: RundownEditor | None = None  # the open rundown editor (one at a time)
        panel.next_requested.connect(self.next)
        panel.back_requested.connect(self.back)
        panel.open_requested.connect(self.choose_file)
        panel.edit_requested.connect(self.edit)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Read the clock and show it (or why the last file did not load)."""
        view = describe(self.show.rundown_status())
        if self.error is not None:
            view = replace(view, title="Rundown not loaded", next_title=self.error)
        self.panel.show_view(view)

    def next(self) -> None:
        """NEXT (START before the first segment); the panel follows at the next refresh."""
        self.show.next_segment()

    def back(self) -> None:
        """BACK to the previous segment."""
        self.show.back_segment()

    def choose_file(self) -> None:
        """Ask for a rundown file and load it."""
        path, _ = QFileDialog.getOpenFileName(
            self.panel, "Open a rundown", "", "Rundown (*.toml);;All files (*)"
        )
        if path:
            self.open(Path(path))

    def open(self, path: Path) -> str | None:
        """Load `path` as the show's rundown (not started); the error message when it cannot be used."""
        try:
            rundown = load_rundown(path)
        except RundownError as exc:
            self.error = str(exc)
            self.refresh()
            return self.error
        self.load(rundown)
        return None

    def load(self, rundown: Rundown) -> str:
        """Make `rundown` the show's (not started: START runs it); says what happened, for the editor.

        The show's set_rundown always starts a rundown afresh: a place in the one that ran is not kept.
        """
        before = self.show.rundown_status()
        self.error = None
        self.show.set_rundown(SegmentClock(rundown))
        self.refresh()
        loaded = f"Loaded {len(rundown.segments)} segments into the show"
        if before is not None and before.started and not before.ended:
            return (
                f"{loaded}. It starts afresh: it was on segment {before.index + 1} of {before.count}; "
                "press START ▶, then NEXT ▶ to get back there."
            )
        return f"{loaded}; press START ▶ to run it."

    def edit(self) -> RundownEditor:
        """Open the rundown editor over the show's rundown (none: one example segment); one at a time."""
        if self.editor is not None:
            self.editor.raise_()
            self.editor.activateWindow()
            return self.editor
        clock = self.show.rundown
        rundown = clock.rundown if clock is not None else None
        source = Path(rundown.source) if rundown is not None and rundown.source else None
        path = source if source is not None and source.suffix == ".toml" and source.is_file() else None
        editor = RundownEditor(rundown, self.load, self.panel.window(), path)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.finished.connect(self._on_editor_closed)
        self.editor = editor
        editor.show()
        return editor

    def _on_editor_closed(self, _result: int) -> None:
        """The editor closed (and deletes itself): Edit… opens a fresh one."""
        self.editor = None

    def stop(self) -> None:
        """Stop polling and close the editor (the window closes).

        Unsaved edits in the editor are offered Save / Discard, without Cancel: the studio is
        quitting and its shutdown must go on (RundownEditor.close_for_quit)."""
        self.timer.stop()
        if self.editor is not None:
            self.editor.close_for_quit()
