"""The window's global hotkeys: started over its show, said in the status bar, rebound on new settings.

The grabbing itself is Qt-free (studio.surfaces.global_hotkeys, its own thread on X11). This adds
a permanent status-bar label that says which keys work while another window has focus, or
clearly that only the window's own keys do (Wayland without the portal, no X display, keys held
by another program), and re-grabs when the settings dialog changes a binding.
Threading: Qt main thread; the hotkeys' own thread reaches the show directly (its commands are
thread-safe), never this window.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QMainWindow

from studio.config import Settings
from studio.surfaces.global_hotkeys import GlobalHotkeys, start_global_hotkeys
from studio.surfaces.hotkey_bindings import hotkey_settings
from studio.ui import theme

WAYLAND = (
    "Wayland: no program may grab keys, and the desktop portal's GlobalShortcuts is not wired yet "
    '(README "Global hotkeys"), so only the window\'s own keys work; OSC and MIDI work everywhere'
)


class GlobalKeys(QObject):
    """Owns one show's global hotkeys and the status-bar label that tells the host about them."""

    def __init__(
        self,
        window: QMainWindow,
        show: Any,
        settings: Settings,
        *,
        environ: Mapping[str, str] | None = None,
        display: str | None = None,
    ) -> None:
        """`show`: the Show (its thread-safe commands); `display`: an X display instead of $DISPLAY."""
        super().__init__(window)
        self._window, self._show, self._environ, self._display = window, show, environ, display
        self.label = QLabel()
        self.label.setObjectName("global_keys")
        window.statusBar().addPermanentWidget(self.label)
        self._settings, self._closed = settings, False
        self.summary = ""  # one line: what works, or why only in-window keys do
        self.hotkeys = self._start(settings)

    def _start(self, settings: Settings) -> GlobalHotkeys:
        """Grab the settings' chords and say what works."""
        hotkeys = start_global_hotkeys(self._show, settings, self._environ, display=self._display)
        self._paint(hotkeys)
        return hotkeys

    def _paint(self, hotkeys: GlobalHotkeys) -> None:
        """'Global keys: X11' with the chords in the tooltip, or 'Only in-window keys' and why."""
        lines = [f"{b.action}: {b.chord.text}{' (hold)' if b.hold else ''}" for b in hotkeys.active]
        problems = list(hotkeys.problems)
        if hotkeys.kind == "wayland" and hotkeys.x11 is None and hotkeys.bindings:
            problems.insert(0, WAYLAND)
        if hotkeys.active:
            self.label.setText("⌨ Global keys: X11")
            self.label.setStyleSheet(f"color: {theme.GOOD};")
        else:
            self.label.setText("⌨ Only in-window keys")
            self.label.setStyleSheet(f"color: {theme.DEGRADED};")
        self.label.setToolTip("\n".join(lines + problems) or "no global hotkeys bound")
        self.summary = hotkeys.summary() if hotkeys.active or not problems else problems[0]

    def settings_changed(self, settings: Settings) -> None:
        """New settings: grab again only when a binding or the switch changed."""
        old, self._settings = self._settings, settings
        if self._closed:
            return
        if (hotkey_settings(old), old.global_hotkeys_enabled) == (
            hotkey_settings(settings),
            settings.global_hotkeys_enabled,
        ):
            return
        self.hotkeys.close()
        self.hotkeys = self._start(settings)

    def close(self) -> None:
        """Release the keys for good (idempotent): later settings grab nothing."""
        self._closed = True
        self.hotkeys.close()


def attach_global_keys(window: Any, settings: Settings, **options: Any) -> GlobalKeys:
    """Global hotkeys over the window's show, rebound whenever the show applies new settings."""
    keys = GlobalKeys(window, window.engine.show, settings, **options)
    window.engine.settings_applied.connect(lambda _rebuilt: keys.settings_changed(window.engine.settings))
    return keys
