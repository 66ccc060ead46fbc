"""The studio window's menu bar: File (play, copy, export, quit), Studio (settings, voices), View.

Threading: Qt main thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QMenuBar

Slot = Callable[[], object]


@dataclass(frozen=True, slots=True)
class MenuSlots:
    """What each menu entry does (the window's own actions)."""

    play_file: Slot
    copy_transcript: Slot
    export_text: Slot
    export_srt: Slot
    settings: Slot
    voices: Slot


def _add(window: QMainWindow, menu, title: str, slot: Slot) -> None:
    action = QAction(title, window)
    action.triggered.connect(slot)
    menu.addAction(action)


def build_menu(window: QMainWindow, slots: MenuSlots, debug: QAction) -> None:
    """Fill `window`'s menu bar; `debug` toggles the debug dock."""
    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    for title, slot in (
        ("Play file as host…", slots.play_file),
        ("Copy transcript", slots.copy_transcript),
        ("Export transcript as text…", slots.export_text),
        ("Export transcript as SRT…", slots.export_srt),
    ):
        _add(window, file_menu, title, slot)
    file_menu.addSeparator()
    _add(window, file_menu, "Quit", window.close)
    studio_menu = menu.addMenu("&Studio")
    _add(window, studio_menu, "Settings…", slots.settings)
    _add(window, studio_menu, "Voices…", slots.voices)
    view_menu = menu.addMenu("&View")
    view_menu.addAction(debug)


def studio_menu(window: QMainWindow) -> QMenu | QMenuBar:
    """The window's Studio menu (build_menu made it), where later parts add their entries; else the bar."""
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == "Studio":
            return action.menu()
    return window.menuBar()
