"""Hold-to-talk and interrupt keys that work anywhere in the window (except while typing a line).

Threading: Qt main thread; an application-wide event filter, so the key works whichever widget
has focus, and key auto-repeat never toggles push-to-talk.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QKeySequenceEdit,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

TEXT_INPUTS = (QLineEdit, QPlainTextEdit, QAbstractSpinBox, QKeySequenceEdit)


def key_of(sequence: str) -> tuple[int, Qt.KeyboardModifier] | None:
    """(key, modifiers) of the first chord of a Qt key sequence string, None if it is empty/unknown."""
    keys = QKeySequence(sequence)
    if keys.isEmpty():
        return None
    combo = keys[0]
    return int(combo.key().value), combo.keyboardModifiers()


class HotkeyFilter(QObject):
    """Calls `on_talk(True/False)` while the talk key is held and `on_interrupt()` on its key."""

    def __init__(
        self,
        window: QWidget,
        talk_key: str,
        interrupt_key: str,
        on_talk: Callable[[bool], None],
        on_interrupt: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window, self._on_talk, self._on_interrupt = window, on_talk, on_interrupt
        self.held = False
        self.set_keys(talk_key, interrupt_key)

    def set_keys(self, talk_key: str, interrupt_key: str) -> None:
        self._talk, self._interrupt = key_of(talk_key), key_of(interrupt_key)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Every event of the application passes here: the isinstance test is the cheap way out (asking
        # `event.type()` first built an enum per paint and timer event, ~10 % of the GUI thread's time).
        if not isinstance(event, QKeyEvent):
            return False
        kind = event.type()
        # The studio binds no QShortcut to these keys, so no ShortcutOverride handling is needed.
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window:
            return False
        if isinstance(watched, TEXT_INPUTS) or (isinstance(watched, QTextEdit) and not watched.isReadOnly()):
            return False  # the host is typing: Space is a space
        key = (event.key(), event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        if self._talk is not None and key[0] == self._talk[0]:
            if event.isAutoRepeat():
                return True
            pressed = kind == QEvent.Type.KeyPress
            if pressed and key[1] != self._talk[1]:
                return False
            if pressed != self.held:
                self.held = pressed
                self._on_talk(pressed)
            return True
        if self._interrupt is not None and kind == QEvent.Type.KeyPress and key == self._interrupt:
            if not event.isAutoRepeat():
                self._on_interrupt()
            return True
        return False
