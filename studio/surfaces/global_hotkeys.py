"""Global hotkeys: talk (hold), dump, mute, approve, next, back while another window has focus.

`start_global_hotkeys(show, settings)` grabs the chords on X11 (studio.surfaces.x11_hotkeys). On
Wayland no program may grab keys; the window asks the desktop portal's GlobalShortcuts instead
(studio.ui.portal_shortcuts) and hands its activations to `deliver`. Either way each action
becomes the same show command as an OSC or MIDI press (studio.surfaces.actions), approve and
drop_reply (producer approval) and delay_dump (the broadcast delay's DUMP) included.
Threading: `start_global_hotkeys` and `close` run on the face's thread; `deliver` runs on the
grabbing thread ("hotkeys-x11", or the Qt main thread for the portal) and never waits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from studio.config import Settings
from studio.surfaces.actions import ShowControls, perform
from studio.surfaces.hotkey_bindings import (
    Binding,
    SessionKind,
    bindings_of,
    hotkey_settings,
    session_kind,
)
from studio.surfaces.x11_hotkeys import X11Error, X11Hotkeys

log = logging.getLogger(__name__)
ONLY_IN_WINDOW = "global hotkeys off: only the window's own keys work"


@dataclass
class GlobalHotkeys:
    """The global hotkeys of one show: how they are grabbed, what works, and what does not."""

    show: ShowControls
    kind: SessionKind
    bindings: list[Binding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    x11: X11Hotkeys | None = None
    delivered: list[tuple[str, bool]] = field(default_factory=list)  # (action, pressed), for tests

    @property
    def active(self) -> list[Binding]:
        """The bindings that work now (grabbed on X11; all of them once the portal took them)."""
        return list(self.x11.grabbed) if self.x11 is not None else []

    def summary(self) -> str:
        """One line for the window's status bar: what works, or why only in-window keys do."""
        if self.x11 is not None:
            keys = ", ".join(f"{b.action} {b.chord.text}" for b in self.x11.grabbed)
            return f"global hotkeys (X11): {keys}" if keys else ONLY_IN_WINDOW
        return self.problems[0] if self.problems else ONLY_IN_WINDOW

    def deliver(self, action: str, pressed: bool) -> None:
        """A global key went down (pressed) or up: the show command it stands for."""
        self.delivered.append((action, pressed))
        if action == "talk":
            perform(self.show, "talk", pressed)
        elif pressed:  # every other action fires on the press
            perform(self.show, action, None)  # mute toggles; the others fire

    def close(self) -> None:
        """Release the keys (idempotent)."""
        if self.x11 is not None:
            self.x11.close()
            self.x11 = None


def start_global_hotkeys(
    show: ShowControls,
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    display: str | None = None,
) -> GlobalHotkeys:
    """Grab the settings' chords where the desktop allows; what failed is in `problems` (logged).

    On Wayland nothing is grabbed here: the window binds `bindings` through the portal.
    `display`: an X display name instead of $DISPLAY (tests)."""
    env = os.environ if environ is None else environ
    kind = "x11" if display else session_kind(env)
    hotkeys = GlobalHotkeys(show, kind)
    if not settings.global_hotkeys_enabled:
        hotkeys.problems.append("global hotkeys off (global_hotkeys_enabled = false)")
        return hotkeys
    hotkeys.bindings, hotkeys.problems = bindings_of(hotkey_settings(settings))
    if kind == "x11":
        try:
            x11 = X11Hotkeys(hotkeys.bindings, hotkeys.deliver, display or env.get("DISPLAY", ""))
            hotkeys.x11 = x11.start()
            hotkeys.problems.extend(x11.problems)
        except X11Error as exc:
            hotkeys.problems.append(f"{ONLY_IN_WINDOW} ({exc})")
    elif kind == "none":
        hotkeys.problems.append(f"{ONLY_IN_WINDOW} (no X11 or Wayland session)")
    for problem in hotkeys.problems:
        log.warning("%s", problem)
    return hotkeys
