"""The window's global hotkeys: started over its show, said in the status bar, rebound on new settings.

The grabbing itself is Qt-free (studio.surfaces.global_hotkeys: its own thread on X11, the desktop
portal's GlobalShortcuts on Wayland). This adds a permanent status-bar label that says which keys
work while another window has focus, that the desktop is being asked, or clearly that only the
window's own keys do (no portal, the user cancelled its dialog, no X display, keys held by another
program), and re-grabs when the settings dialog changes a binding.
Threading: Qt main thread; the hotkeys' own thread reaches the show directly (its commands are
thread-safe) and this window only through the queued `portal_changed` signal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QMainWindow

from studio.config import Settings
from studio.surfaces.global_hotkeys import GlobalHotkeys, start_global_hotkeys
from studio.surfaces.hotkey_bindings import hotkey_settings
from studio.ui import theme

WAYLAND = (
    "Wayland: no program may grab keys; global keys need the desktop portal's GlobalShortcuts "
    '(README "Global hotkeys"), so only the window\'s own keys work; OSC and MIDI work everywhere'
)


class GlobalKeys(QObject):
    """Owns one show's global hotkeys and the status-bar label that tells the host about them."""

    portal_changed = Signal()  # emitted on "hotkeys-portal": the desktop bound the keys, or did not

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
        self.portal_changed.connect(self._portal_changed)  # queued: it is emitted on another thread
        self.summary = ""  # one line: what works, or why only in-window keys do
        self.hotkeys = self._start(settings)

    def _start(self, settings: Settings) -> GlobalHotkeys:
        """Grab the settings' chords and say what works."""
        hotkeys = start_global_hotkeys(
            self._show, settings, self._environ, display=self._display, on_change=self.portal_changed.emit
        )
        self._paint(hotkeys)
        return hotkeys

    def _paint(self, hotkeys: GlobalHotkeys) -> None:
        """'Global keys: X11' (or: desktop portal), keys in the tooltip; or 'Only in-window keys' and why."""
        lines = [f"{b.action}: {hotkeys.trigger(b)}{' (hold)' if b.hold else ''}" for b in hotkeys.active]
        problems = hotkeys.all_problems
        if hotkeys.active:
            how = "X11" if hotkeys.x11 is not None else "desktop portal"
            self.label.setText(f"⌨ Global keys: {how}")
            self.label.setStyleSheet(f"color: {theme.GOOD};")
        elif hotkeys.asking:
            self.label.setText("⌨ Global keys: asking the desktop…")
            self.label.setStyleSheet(f"color: {theme.DEGRADED};")
        else:
            self.label.setText("⌨ Only in-window keys")
            self.label.setStyleSheet(f"color: {theme.DEGRADED};")
            if hotkeys.kind == "wayland" and hotkeys.bindings:
                problems.append(WAYLAND)
        self.label.setToolTip("\n".join(lines + problems) or "no global hotkeys bound")
        self.summary = hotkeys.summary() if hotkeys.active or hotkeys.asking or not problems else problems[0]

    def _portal_changed(self) -> None:
        """The desktop portal answered (Qt main thread): repaint, and say the outcome in the status bar."""
        if self._closed:
            return
        self._paint(self.hotkeys)
        self._window.statusBar().showMessage(self.summary, 15_000)

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
