"""The desktop portal's GlobalShortcuts API as documented: names, paths, and its argument shapes.

Kept apart from the client (studio.surfaces.portal_shortcuts) so the D-Bus names, the trigger
syntax of the XDG shortcuts spec and the a(sa{sv}) shapes are in one place, plain and testable.
Threading: plain functions and constants; any thread.
"""

from __future__ import annotations

import secrets
from typing import Any

from jeepney import HeaderFields, Message
from jeepney.wrappers import DBusErrorResponse

from studio.surfaces.hotkey_bindings import Binding, Chord

PORTAL = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
REQUEST = "org.freedesktop.portal.Request"
SESSION = "org.freedesktop.portal.Session"
PROPERTIES = "org.freedesktop.DBus.Properties"
#: The Request::Response codes other than 0 (success), as the portal documents them.
RESPONSES = {1: "the user cancelled the desktop's shortcut dialog", 2: "the desktop ended the request"}
_MISSING = ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner")
_TRIGGER_MODIFIERS = (("ctrl", "CTRL"), ("alt", "ALT"), ("shift", "SHIFT"), ("super", "LOGO"))
#: What the desktop's dialog says each shortcut does.
DESCRIPTIONS = {
    "talk": "Talk to the AI co-anchor (hold)",
    "dump": "Dump: silence the anchor now",
    "mute": "Mute or unmute the host mic",
    "approve": "Approve: air the reply waiting for approval",
    "next": "Next rundown segment",
    "back": "Previous rundown segment",
    "delay_dump": "DUMP: silence the anchor and drop the broadcast delay's audio",
    "drop_reply": "Drop the reply waiting for approval",
}


def portal_trigger(chord: Chord) -> str:
    """'Ctrl+Alt+Shift+Space' → 'CTRL+ALT+SHIFT+space': the shortcuts spec's xkb modifier and key names."""
    modifiers = [name for key, name in _TRIGGER_MODIFIERS if key in chord.modifiers]
    return "+".join([*modifiers, chord.keysym])


def request_path(unique_name: str, token: str) -> str:
    """Where the portal puts a call's Request object: .../request/SENDER/TOKEN, SENDER being our
    unique bus name without its ':' and with '_' for '.'."""
    sender = unique_name.lstrip(":").replace(".", "_")
    return f"{PORTAL_PATH}/request/{sender}/{token}"


def new_token() -> str:
    """A fresh object-path element for a Request or Session handle."""
    return f"studio_{secrets.token_hex(8)}"


def shortcuts_argument(bindings: list[Binding]) -> list[tuple[str, dict[str, tuple[str, str]]]]:
    """BindShortcuts' a(sa{sv}): (action, {description, preferred_trigger}) per binding."""
    return [
        (
            b.action,
            {
                "description": ("s", DESCRIPTIONS.get(b.action, b.action)),
                "preferred_trigger": ("s", portal_trigger(b.chord)),
            },
        )
        for b in bindings
    ]


def triggers_of(shortcuts: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """A returned a(sa{sv}) → shortcut id → its trigger_description ("" where the desktop gave none)."""
    return {str(sid): text_of(info, "trigger_description") for sid, info in shortcuts}


def missing_reason(error: DBusErrorResponse) -> str:
    """Why the portal's GlobalShortcuts version could not be read, plainly."""
    if error.name in _MISSING:
        return "no desktop portal on the session bus (xdg-desktop-portal is not running)"
    return (
        f"the desktop portal has no GlobalShortcuts ({error.name}); it needs xdg-desktop-portal 1.16+ "
        "and a desktop that offers it (KDE Plasma 5.27+, GNOME 48+, Hyprland)"
    )


def field(message: Message, name: HeaderFields) -> Any:
    """A header field of a message (None when absent)."""
    return message.header.fields.get(name)


def text_of(info: dict[str, Any], key: str) -> str:
    """A string entry of an a{sv} (jeepney gives each value as (signature, value)); "" when absent."""
    value = info.get(key)
    return str(value[1]) if value else ""
