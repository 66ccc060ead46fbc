"""Global hotkey chords and what each delivery does to the show, without any X display."""

from __future__ import annotations

import pytest

from studio.config import load_settings
from studio.surfaces.global_hotkeys import GlobalHotkeys, start_global_hotkeys
from studio.surfaces.hotkey_bindings import (
    HotkeyError,
    bindings_of,
    hotkey_settings,
    parse_chord,
    session_kind,
)


class Show:
    """The show's commands a hotkey calls, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.mic_muted = False

    def approve_reply(self) -> None:
        self.calls.append(("approve", None))

    def drop_reply(self) -> None:
        self.calls.append(("drop_reply", None))

    def dump(self) -> None:
        self.calls.append(("delay_dump", None))

    def push_to_talk(self, pressed: bool) -> None:
        self.calls.append(("talk", pressed))

    def interrupt(self) -> None:
        self.calls.append(("dump", None))

    def set_mic_muted(self, muted: bool) -> None:
        self.mic_muted = muted
        self.calls.append(("mute", muted))

    def next_segment(self) -> None:
        self.calls.append(("next", None))

    def back_segment(self) -> None:
        self.calls.append(("back", None))

    def subscribe(self, subscriber) -> None:
        pass


def test_chords_are_qt_names_turned_into_x_keysyms():
    chord = parse_chord("Ctrl+Alt+Shift+Space")
    assert chord.modifiers == {"ctrl", "alt", "shift"} and chord.keysym == "space"
    assert parse_chord("Meta+PgUp").modifiers == {"super"} and parse_chord("Meta+PgUp").keysym == "Prior"
    assert parse_chord("Control+T").keysym == "t" and parse_chord("f13").keysym == "F13"
    assert parse_chord("Ctrl++").keysym == "plus" and parse_chord("XF86AudioMute").keysym == "XF86AudioMute"
    for bad in ("", "Ctrl+", "Hyper+X"):
        with pytest.raises(HotkeyError):
            parse_chord(bad)


def test_defaults_bind_every_action_and_bad_or_twice_bound_chords_are_named():
    chords = hotkey_settings(load_settings())
    assert all(text.startswith("Ctrl+Alt+Shift+") for text in chords.values())
    assert "Ctrl+Alt+T" not in chords.values()  # a terminal on most desktops
    bindings, problems = bindings_of(chords)
    assert [b.action for b in bindings] == [
        "talk",
        "dump",
        "mute",
        "approve",
        "next",
        "back",
        "delay_dump",
        "drop_reply",
    ]
    assert problems == [] and [b.hold for b in bindings] == [True] + [False] * 7
    bindings, problems = bindings_of({"talk": "F9", "dump": "f9", "mute": "Bogus+M", "next": ""})
    assert [b.action for b in bindings] == ["talk"]
    assert "'f9' is already talk's" in problems[0] and "fix global_hotkey_mute" in problems[1]


def test_session_kind_tells_x11_from_wayland():
    assert session_kind({"DISPLAY": ":0"}) == "x11"
    assert session_kind({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}) == "wayland"  # XWayland
    assert session_kind({"XDG_SESSION_TYPE": "wayland"}) == "wayland"
    assert session_kind({}) == "none"


def test_deliveries_become_show_commands_approval_and_delay_dump_included():
    show = Show()
    hotkeys = GlobalHotkeys(show, "x11")
    for action, pressed in [("talk", True), ("talk", False), ("dump", True), ("dump", False)]:
        hotkeys.deliver(action, pressed)
    for action in ("mute", "mute", "next", "back", "approve", "drop_reply", "delay_dump"):
        hotkeys.deliver(action, True)
    hotkeys.deliver("approve", False)  # a release does nothing
    assert show.calls == [
        ("talk", True),
        ("talk", False),
        ("dump", None),
        ("mute", True),
        ("mute", False),
        ("next", None),
        ("back", None),
        ("approve", None),
        ("drop_reply", None),
        ("delay_dump", None),
    ]


def test_no_display_or_switched_off_means_in_window_keys_only():
    show = Show()
    nothing = start_global_hotkeys(show, load_settings(), environ={})
    assert nothing.x11 is None and "no X11 or Wayland session" in nothing.summary()
    off = start_global_hotkeys(show, load_settings(global_hotkeys_enabled=False), environ={"DISPLAY": ":0"})
    assert off.bindings == [] and "global_hotkeys_enabled = false" in off.summary()
    gone = start_global_hotkeys(show, load_settings(), environ={"DISPLAY": ":9999"})
    assert gone.x11 is None and "cannot open the X display :9999" in gone.summary()
