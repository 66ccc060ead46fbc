"""Global hotkey bindings: which chord does which show action, and which desktop can grab them.

Chords are written as the window's own keys are ("Ctrl+Alt+Shift+D", "Pause", "F13"); this module
turns them into modifier names and an X keysym name without touching any display, so a typo is
named at start instead of failing silently. `session_kind` tells X11 (grab with XGrabKey) from
Wayland (ask the desktop portal) from neither (only in-window keys).
Threading: plain functions and frozen values; any thread.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from studio.config import Settings

#: The actions a global hotkey can do, in the order the settings and the README list them.
HOTKEY_ACTIONS: tuple[str, ...] = (
    "talk",
    "dump",
    "mute",
    "approve",
    "next",
    "back",
    "delay_dump",
    "drop_reply",
)
#: Held actions: press and release both count (key auto-repeat never presses again).
HOLD_ACTIONS = frozenset({"talk"})
MODIFIERS = ("shift", "ctrl", "alt", "super")
_MODIFIER_NAMES = {
    "shift": "shift",
    "ctrl": "ctrl",
    "control": "ctrl",
    "alt": "alt",
    "meta": "super",
    "super": "super",
    "win": "super",
}
#: Qt's key names (what `ptt_hotkey` takes) → X keysym names; single characters and F-keys are mapped below.
_KEYSYMS = {
    "space": "space",
    "esc": "Escape",
    "escape": "Escape",
    "enter": "Return",
    "return": "Return",
    "tab": "Tab",
    "backspace": "BackSpace",
    "del": "Delete",
    "delete": "Delete",
    "ins": "Insert",
    "insert": "Insert",
    "home": "Home",
    "end": "End",
    "pgup": "Prior",
    "pageup": "Prior",
    "pgdown": "Next",
    "pagedown": "Next",
    "left": "Left",
    "right": "Right",
    "up": "Up",
    "down": "Down",
    "pause": "Pause",
    "scrolllock": "Scroll_Lock",
    "print": "Print",
    "menu": "Menu",
}
SessionKind = Literal["x11", "wayland", "none"]


class HotkeyError(ValueError):
    """A chord in the settings cannot be used; the message names the setting and the chord."""


@dataclass(frozen=True, slots=True)
class Chord:
    """One key with its modifiers, as the settings wrote it and as X names the key."""

    text: str
    modifiers: frozenset[str]
    keysym: str


@dataclass(frozen=True, slots=True)
class Binding:
    """A show action on a chord."""

    action: str
    chord: Chord

    @property
    def hold(self) -> bool:
        """Whether the release counts too (talk), rather than the press alone."""
        return self.action in HOLD_ACTIONS


def parse_chord(text: str) -> Chord:
    """'Ctrl+Alt+Shift+D' → Chord({'ctrl', 'alt', 'shift'}, 'd'); HotkeyError when malformed."""
    parts = [part.strip() for part in text.strip().split("+")]
    if text.strip() == "+" or text.strip().endswith("++"):  # "Ctrl++": the plus key itself
        parts = [*parts[:-2], "plus"]
    if not parts or not parts[-1]:
        raise HotkeyError(f"{text!r} names no key")
    modifiers: set[str] = set()
    for part in parts[:-1]:
        name = _MODIFIER_NAMES.get(part.lower())
        if name is None:
            raise HotkeyError(f"{text!r}: {part!r} is not a modifier (Ctrl, Alt, Shift, Meta)")
        modifiers.add(name)
    return Chord(text.strip(), frozenset(modifiers), keysym_name(parts[-1]))


def keysym_name(key: str) -> str:
    """The X keysym name of a Qt key name ('Space' → 'space', 'PgUp' → 'Prior', 'T' → 't')."""
    lowered = key.lower()
    if lowered in _KEYSYMS:
        return _KEYSYMS[lowered]
    if len(key) == 1:
        return key.lower() if key.isalpha() else key
    if lowered[0] == "f" and lowered[1:].isdigit() and 1 <= int(lowered[1:]) <= 35:
        return f"F{int(lowered[1:])}"
    return key  # an X keysym name as is (XF86AudioMute, KP_Add); checked when grabbed


def hotkey_settings(settings: Settings) -> dict[str, str]:
    """action → chord text from the settings (empty text: that action has no global hotkey)."""
    return {action: getattr(settings, f"global_hotkey_{action}") for action in HOTKEY_ACTIONS}


def bindings_of(chords: Mapping[str, str]) -> tuple[list[Binding], list[str]]:
    """The usable bindings, and one line per chord that is malformed or bound twice."""
    bindings: list[Binding] = []
    problems: list[str] = []
    taken: dict[tuple[frozenset[str], str], str] = {}
    for action, text in chords.items():
        if not text.strip():
            continue
        try:
            chord = parse_chord(text)
        except HotkeyError as exc:
            problems.append(f"global hotkey for {action} off: {exc}; fix global_hotkey_{action}")
            continue
        key = (chord.modifiers, chord.keysym.lower())
        if key in taken:
            problems.append(f"global hotkey for {action} off: {text!r} is already {taken[key]}'s")
            continue
        taken[key] = action
        bindings.append(Binding(action, chord))
    return bindings, problems


def session_kind(environ: Mapping[str, str] | None = None) -> SessionKind:
    """X11 when an X display is the session's; Wayland when the session is Wayland (XWayland's
    DISPLAY only sees keys while an X window has focus, so it does not count); else none."""
    env = os.environ if environ is None else environ
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE", "").lower() == "wayland":
        return "wayland"
    if env.get("DISPLAY"):
        return "x11"
    return "none"
