"""Global hotkeys: talk (hold), dump, mute, approve, next, back while another window has focus.

`start_global_hotkeys(show, settings)` grabs the chords on X11 (studio.surfaces.x11_hotkeys). On
Wayland no program may grab keys; it asks the desktop portal's GlobalShortcuts to bind them
instead (studio.surfaces.portal_shortcuts, over $DBUS_SESSION_BUS_ADDRESS), which answers later,
often after a dialog: `on_change` says when. Either way each action becomes the same show command
as an OSC or MIDI press (studio.surfaces.actions), approve and drop_reply (producer approval) and
delay_dump (the broadcast delay's DUMP) included.
Threading: `start_global_hotkeys` and `close` run on the face's thread; `deliver` and `on_change`
run on the grabbing thread ("hotkeys-x11" or "hotkeys-portal") and never wait.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
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
from studio.surfaces.portal_shortcuts import PortalShortcuts
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
    portal: PortalShortcuts | None = None
    delivered: list[tuple[str, bool]] = field(default_factory=list)  # (action, pressed), for tests

    @property
    def active(self) -> list[Binding]:
        """The bindings that work now (grabbed on X11; those the desktop portal bound)."""
        if self.x11 is not None:
            return list(self.x11.grabbed)
        if self.portal is not None and self.portal.state == "bound":
            return [b for b in self.bindings if b.action in self.portal.bound]
        return []

    @property
    def asking(self) -> bool:
        """Whether the desktop portal has not answered yet (its dialog may be open)."""
        return self.portal is not None and self.portal.state == "asking"

    @property
    def all_problems(self) -> list[str]:
        """`problems`, and what the portal said since: why nothing works, which keys it left out."""
        if self.portal is None:
            return list(self.problems)
        failed = [f"{ONLY_IN_WINDOW} ({self.portal.failure})"] if self.portal.state == "failed" else []
        return failed + self.problems + self.portal.problems

    def trigger(self, binding: Binding) -> str:
        """How the desktop says to press a binding (the portal may assign another), else its chord."""
        given = self.portal.bound.get(binding.action, "") if self.portal is not None else ""
        return given or binding.chord.text

    def summary(self) -> str:
        """One line for the window's status bar: what works, or why only in-window keys do."""
        if self.x11 is not None:
            keys = ", ".join(f"{b.action} {b.chord.text}" for b in self.x11.grabbed)
            return f"global hotkeys (X11): {keys}" if keys else ONLY_IN_WINDOW
        if self.active:
            keys = ", ".join(f"{b.action} {self.trigger(b)}" for b in self.active)
            return f"global hotkeys (desktop portal): {keys}"
        if self.asking:
            return "global hotkeys: asking the desktop portal to bind them (answer its dialog)"
        problems = self.all_problems
        return problems[0] if problems else ONLY_IN_WINDOW

    def deliver(self, action: str, pressed: bool) -> None:
        """A global key went down (pressed) or up: the show command it stands for."""
        self.delivered.append((action, pressed))
        if action == "talk":
            perform(self.show, "talk", pressed)
        elif pressed:  # every other action fires on the press
            perform(self.show, action, None)  # mute toggles; the others fire

    def close(self) -> None:
        """Release the keys, or close the portal session (idempotent)."""
        if self.x11 is not None:
            self.x11.close()
            self.x11 = None
        if self.portal is not None:
            self.portal.close()


def session_bus_address(env: Mapping[str, str]) -> str:
    """$DBUS_SESSION_BUS_ADDRESS, else the systemd user bus in $XDG_RUNTIME_DIR, else ""."""
    if env.get("DBUS_SESSION_BUS_ADDRESS"):
        return env["DBUS_SESSION_BUS_ADDRESS"]
    runtime = env.get("XDG_RUNTIME_DIR", "")
    return f"unix:path={runtime}/bus" if runtime and os.path.exists(f"{runtime}/bus") else ""


def start_global_hotkeys(
    show: ShowControls,
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    display: str | None = None,
    on_change: Callable[[], None] | None = None,
) -> GlobalHotkeys:
    """Grab the settings' chords where the desktop allows; what failed is in `problems` (logged).

    On Wayland this returns at once, asking the desktop portal; `on_change` (on "hotkeys-portal")
    says when it bound them or failed. `display`: an X display name instead of $DISPLAY (tests)."""
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
    elif kind == "wayland" and hotkeys.bindings:
        address = session_bus_address(env)
        if address:
            hotkeys.portal = PortalShortcuts(hotkeys.bindings, hotkeys.deliver, address, on_change)
            hotkeys.portal.start()
        else:
            hotkeys.problems.append(f"{ONLY_IN_WINDOW} (Wayland, and no D-Bus session bus for the portal)")
    elif kind == "none":
        hotkeys.problems.append(f"{ONLY_IN_WINDOW} (no X11 or Wayland session)")
    for problem in hotkeys.problems:
        log.warning("%s", problem)
    return hotkeys
