"""The live transcript panel: host partials greyed while speaking, finals and the anchor's words.

Threading: Qt main thread. Finished lines are appended once; only the live tail (lines still
changing) is rewritten on each update, so a two-hour show costs the same per update as minute one.
"""

from __future__ import annotations

import html

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QTextBrowser, QWidget

from studio.ui import theme
from studio.ui.transcript_model import TranscriptEntry, TranscriptLog


def _entry_html(entry: TranscriptEntry) -> str:
    stamp = entry.wall_time.strftime("%H:%M:%S")
    text = html.escape(entry.text) or "…"
    if entry.speaker == "note":
        return f'<p style="color:{theme.MUTED}; margin:2px 0"><i>{stamp} · {text}</i></p>'
    colour = theme.HOST if entry.speaker == "host" else theme.ANCHOR
    who = "HOST" if entry.speaker == "host" else "ANCHOR"
    if not entry.final:
        body = f'<span style="color:{theme.MUTED}"><i>{text}</i></span>'
    else:
        body = f"<span>{text}{' —' if entry.interrupted else ''}</span>"
    return (
        f'<p style="margin:3px 0"><span style="color:{theme.MUTED}">{stamp}</span> '
        f'<b style="color:{colour}">{who}</b> {body}</p>'
    )


class TranscriptView(QTextBrowser):
    """Renders a TranscriptLog; call `refresh()` after changing it."""

    def __init__(self, log: TranscriptLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log = log
        self.setOpenLinks(False)
        self.setPlaceholderText("The show's transcript appears here.")
        self._frozen = 0  # entries already written for good
        self._tail_position = 0  # document position where the live tail starts

    def refresh(self) -> None:
        bar = self.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._tail_position)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        entries = self.log.entries
        while self._frozen < len(entries) and entries[self._frozen].final:
            self._insert(cursor, entries[self._frozen])
            self._frozen += 1
        self._tail_position = cursor.position()
        for entry in entries[self._frozen :]:
            self._insert(cursor, entry)
        if follow:
            bar.setValue(bar.maximum())

    def rebuild(self) -> None:
        """Redraw everything (after entries were removed)."""
        self.clear()
        self._frozen = self._tail_position = 0
        self.refresh()

    def _insert(self, cursor: QTextCursor, entry: TranscriptEntry) -> None:
        if cursor.position() > 0:
            cursor.insertBlock()
        cursor.insertHtml(_entry_html(entry))
