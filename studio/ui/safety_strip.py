"""The broadcast-safety strip in the window: the delay building, a big DUMP, and the reply to approve.

SafetyStrip is the passive view; SafetyPresenter polls the show four times a second (the delay and
the pending reply are plain reads, safe from any thread) and turns the buttons into the show's
DUMP / approve / edit / drop commands. The approval row shows only while a reply waits; Approve
airs the text as it stands in the box (an edit if the producer changed it).
Threading: Qt main thread; the show's commands hop onto its loop and never block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

POLL_MS = 250
DUMP_STYLE = "QPushButton { background: #c62828; color: white; font-weight: bold; font-size: 16px; }"


@dataclass(frozen=True, slots=True)
class SafetyView:
    """What the strip shows (the presenter decides it; tests read it)."""

    delay: str
    building: bool  # the delay is below its target (after a DUMP, or a new setting)
    pending_turn: int | None = None
    pending_text: str = ""
    delayed: bool = False  # a broadcast delay runs: its DUMP shows (without one, INTERRUPT is the dump)


def describe(status: Any, pending: tuple[int, str] | None) -> SafetyView:
    """The strip's text for a delay status (None: no delay) and the reply waiting, if any."""
    if status is None:
        delay, building = "No broadcast delay", False
    else:
        building = status.delay_s < status.target_s - 0.05
        delay = f"Delay {status.delay_s:.1f} / {status.target_s:.1f} s" + (" (building)" if building else "")
    turn, text = pending if pending is not None else (None, "")
    return SafetyView(delay, building, turn, text, delayed=status is not None)


class SafetyStrip(QWidget):
    """Delay label and DUMP on one line; below it, while a reply waits, its text with Approve / Drop."""

    dump_requested = Signal()
    approve_requested = Signal(str)  # the text as it stands in the box
    drop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Built with no delay and nothing waiting; the presenter fills it in."""
        super().__init__(parent)
        self.setObjectName("safety")
        self.delay = QLabel()
        self.dump_button = QPushButton("DUMP")
        self.dump_button.setStyleSheet(DUMP_STYLE)
        self.dump_button.setMinimumHeight(36)
        self.dump_button.setToolTip("Drop the delayed program not aired yet and silence the anchor")
        self.reply = QPlainTextEdit()
        self.reply.setMaximumHeight(70)
        self.reply.setPlaceholderText("The reply waiting for approval (edit it before approving)")
        self.approve_button = QPushButton("Approve")
        self.drop_button = QPushButton("Drop")
        self.dump_button.clicked.connect(self.dump_requested.emit)
        self.approve_button.clicked.connect(lambda: self.approve_requested.emit(self.reply.toPlainText()))
        self.drop_button.clicked.connect(self.drop_requested.emit)
        self._build()
        self.pending_turn: int | None = None
        self.show_view(describe(None, None))

    def _build(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.delay, 1)
        top.addWidget(self.dump_button)
        self.approval = QWidget()
        row = QHBoxLayout(self.approval)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.reply, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.drop_button)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.approval)

    def show_view(self, view: SafetyView) -> None:
        """Show `view`; a newly waiting reply replaces the box's text, the producer's edits stay."""
        self.delay.setText(view.delay)
        self.delay.setProperty("building", view.building)
        self.approval.setVisible(view.pending_turn is not None)
        self.dump_button.setVisible(view.delayed)  # two DUMP buttons with no delay would confuse
        if view.pending_turn != self.pending_turn:
            self.pending_turn = view.pending_turn
            self.reply.setPlainText(view.pending_text)


class SafetyPresenter(QObject):
    """Keeps the strip in step with the show; DUMP / Approve / Drop go to the show."""

    def __init__(self, strip: SafetyStrip, show: Any, parent: QObject | None = None) -> None:
        """`show`: the Show (its safety commands are thread-safe); polling starts at once."""
        super().__init__(parent)
        self.strip, self.show = strip, show
        self._offered = ""  # the text the pending reply was shown with
        strip.dump_requested.connect(self.dump)
        strip.approve_requested.connect(self.approve)
        strip.drop_requested.connect(self.drop)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Read the delay and the waiting reply and show them."""
        pending = self.show.pending_reply()
        if pending is not None and pending[0] != self.strip.pending_turn:
            self._offered = pending[1]
        self.strip.show_view(describe(self.show.delay_status(), pending))

    def dump(self) -> None:
        """DUMP: the show silences the anchor and drops the delayed audio."""
        self.show.dump()

    def approve(self, text: str) -> None:
        """Air the reply; as edited when the box no longer holds what was offered."""
        if text.strip() == self._offered.strip():
            self.show.approve_reply()
        else:
            self.show.edit_reply(text)
        self.refresh()

    def drop(self) -> None:
        """Nothing of the waiting reply airs."""
        self.show.drop_reply()
        self.refresh()

    def stop(self) -> None:
        """Stop polling (the window closes)."""
        self.timer.stop()
