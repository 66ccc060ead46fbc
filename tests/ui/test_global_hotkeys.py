"""Global hotkeys drive a running show while ANOTHER X window has the focus (Xvfb + xdotool).

The studio window runs over a fast show (tests/ui/conftest.py); its global keys grab on a private
Xvfb display where an xmessage window is focused, and xdotool types through XTEST as a keyboard
would. Talk (held, with a key repeat in the middle), dump, mute and approve reach the show; the
focus never leaves the other window. On Wayland the same show is driven through the desktop
portal's GlobalShortcuts, spoken on a private D-Bus bus (tests/portal_service.py), and the status
bar says what the desktop bound or why only in-window keys work. Nothing sleeps: every step waits
on a signal or a condition.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from studio.config import load_settings
from studio.surfaces.hotkey_bindings import bindings_of, hotkey_settings
from studio.surfaces.x11_hotkeys import X11Hotkeys
from studio.ui.global_keys import WAYLAND, GlobalKeys, attach_global_keys
from tests.portal_service import FakePortal, private_bus
from tests.show.doubles import CountingStackFactory, tone
from tests.xserver import XDesktop, xvfb

LONG_REPLY = " ".join(["The storm keeps building over the coast tonight."] * 12)


@pytest.fixture
def desktop() -> Iterator[XDesktop]:
    """A private X display with xdotool, and the other programs closed afterwards."""
    with xvfb() as display:
        screen = XDesktop(display)
        try:
            yield screen
        finally:
            screen.close()


def test_global_keys_drive_talk_dump_mute_while_another_window_has_focus(qtbot, studio, desktop):
    window, mic = studio(stack_factory=CountingStackFactory(LONG_REPLY), turn_mode="push_to_talk")
    keys = attach_global_keys(window, window.settings, display=desktop.display)
    try:
        x11 = keys.hotkeys.x11
        assert x11 is not None and keys.hotkeys.problems == []
        assert [b.action for b in x11.grabbed] == [
            "talk",
            "dump",
            "mute",
            "approve",
            "next",
            "back",
            "delay_dump",
            "drop_reply",
        ]
        assert keys.label.text() == "⌨ Global keys: X11"
        assert "talk: Ctrl+Alt+Shift+Space (hold)" in keys.label.toolTip()
        other = desktop.other_window()
        assert desktop.focused() == other

        # Talk, held: the X server repeats the key while it is down; talk is pressed only once.
        with qtbot.waitSignal(window.engine.host_speech_started, timeout=30_000):
            desktop.xdotool("keydown", "ctrl+alt+shift+space")
        desktop.xdotool("keydown", "space")  # what auto-repeat sends: a second press, no release
        qtbot.waitUntil(lambda: x11.repeats_dropped >= 1, timeout=10_000)
        mic.say(tone(0.8))  # the host speaks while talk is held
        qtbot.waitUntil(mic.finished.is_set, timeout=20_000)
        with qtbot.waitSignal(window.engine.reply_clause_started, timeout=30_000):
            desktop.xdotool("keyup", "space", "keyup", "ctrl+alt+shift")
        assert keys.hotkeys.delivered == [("talk", True), ("talk", False)]

        # Dump while the anchor is on air with a long reply.
        with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000) as done:
            desktop.xdotool("key", "ctrl+alt+shift+d")
        assert done.args[0].interrupted

        # Mute toggles; the window's mute button follows the show.
        desktop.xdotool("key", "ctrl+alt+shift+m")
        qtbot.waitUntil(lambda: window.engine.mic_muted and window.controls.mute_button.isChecked())
        desktop.xdotool("key", "ctrl+alt+shift+m")
        qtbot.waitUntil(lambda: not window.engine.mic_muted and not window.controls.mute_button.isChecked())

        # Approve is bound; with no reply waiting for approval it is harmless.
        desktop.xdotool("key", "ctrl+alt+shift+a")
        qtbot.waitUntil(lambda: ("approve", True) in keys.hotkeys.delivered)
        assert desktop.focused() == other  # the keys never took the focus from the other program
    finally:
        keys.close()


def test_new_bindings_are_grabbed_again_and_a_held_chord_is_named(qtbot, studio, desktop):
    window, _mic = studio(stack_factory=CountingStackFactory(), turn_mode="push_to_talk")
    first = attach_global_keys(window, window.settings, display=desktop.display)
    second = GlobalKeys(window, window.engine.show, window.settings, display=desktop.display)
    try:
        # Another program (here: a second grab) holds every chord: each is named, none works.
        assert second.hotkeys.active == [] and second.label.text() == "⌨ Only in-window keys"
        assert "another program holds Ctrl+Alt+Shift+D" in second.label.toolTip()
        second.close()
        changed = window.settings.model_copy(update={"global_hotkey_dump": "F9", "global_hotkey_back": ""})
        with qtbot.waitSignal(window.engine.settings_applied, timeout=30_000):
            window.reload_settings(changed)  # the settings dialog's path: the show applies, keys follow
        assert [(b.action, b.chord.text) for b in first.hotkeys.active][:2] == [
            ("talk", "Ctrl+Alt+Shift+Space"),
            ("dump", "F9"),
        ]
        assert "back" not in [b.action for b in first.hotkeys.active]
        desktop.other_window()
        desktop.xdotool("key", "F9")  # nothing on air: the dump is a no-op, its delivery is what counts
        qtbot.waitUntil(lambda: ("dump", True) in first.hotkeys.delivered)
    finally:
        first.close()
        second.close()


def test_talk_held_when_the_keys_close_is_released(desktop):
    """Closing (the studio quits, or the keys are grabbed again) with talk down: its release would
    never reach us, so closing delivers it; push-to-talk must not stay pressed."""
    bindings, _problems = bindings_of(hotkey_settings(load_settings()))
    delivered: list[tuple[str, bool]] = []
    pressed = threading.Event()

    def deliver(action: str, down: bool) -> None:
        delivered.append((action, down))
        pressed.set()

    keys = X11Hotkeys(bindings, deliver, desktop.display).start()
    try:
        desktop.other_window()
        desktop.xdotool("keydown", "ctrl+alt+shift+space")
        assert pressed.wait(10)
    finally:
        keys.close()
    assert delivered == [("talk", True), ("talk", False)]
    desktop.xdotool("keyup", "space", "keyup", "ctrl+alt+shift")  # the real release: ours no more
    assert delivered == [("talk", True), ("talk", False)]


def test_wayland_and_no_display_say_only_in_window_keys_work(qtbot, studio):
    window, _mic = studio(stack_factory=CountingStackFactory())
    wayland = GlobalKeys(
        window, window.engine.show, window.settings, environ={"WAYLAND_DISPLAY": "wayland-0"}
    )
    assert wayland.label.text() == "⌨ Only in-window keys" and WAYLAND in wayland.label.toolTip()
    assert wayland.hotkeys.kind == "wayland" and "no D-Bus session bus" in wayland.summary
    nothing = GlobalKeys(window, window.engine.show, window.settings, environ={})
    assert nothing.label.text() == "⌨ Only in-window keys" and "no X11 or Wayland" in nothing.summary
    off = GlobalKeys(window, window.engine.show, load_settings(global_hotkeys_enabled=False), environ={})
    assert "global_hotkeys_enabled = false" in off.label.toolTip()


def test_wayland_portal_shortcuts_drive_talk_and_dump_and_a_cancel_is_said(qtbot, studio):
    window, mic = studio(stack_factory=CountingStackFactory(LONG_REPLY), turn_mode="push_to_talk")
    with private_bus() as bus:
        portal = FakePortal(bus, triggers={"dump": "Super+D"})
        environ = {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": bus}
        keys = GlobalKeys(window, window.engine.show, window.settings, environ=environ)
        try:
            qtbot.waitUntil(lambda: keys.label.text() == "⌨ Global keys: desktop portal", timeout=10_000)
            assert "talk: CTRL+ALT+SHIFT+space (hold)" in keys.label.toolTip()
            assert "dump: Super+D" in keys.label.toolTip()  # the desktop chose another trigger: shown
            assert window.statusBar().currentMessage().startswith("global hotkeys (desktop portal): talk")

            with qtbot.waitSignal(window.engine.host_speech_started, timeout=30_000):
                portal.activate("talk")
            mic.say(tone(0.8))  # the host speaks while talk is held
            qtbot.waitUntil(mic.finished.is_set, timeout=20_000)
            with qtbot.waitSignal(window.engine.reply_clause_started, timeout=30_000):
                portal.deactivate("talk")
            with qtbot.waitSignal(window.engine.turn_completed, timeout=30_000) as done:
                portal.activate("dump")
            assert done.args[0].interrupted
            assert keys.hotkeys.delivered == [("talk", True), ("talk", False), ("dump", True)]
        finally:
            keys.close()
            portal.close()

        cancelling = FakePortal(bus, bind_response=1)
        refused = GlobalKeys(window, window.engine.show, window.settings, environ=environ)
        try:
            qtbot.waitUntil(lambda: "cancelled" in refused.label.toolTip(), timeout=10_000)
            assert refused.label.text() == "⌨ Only in-window keys" and WAYLAND in refused.label.toolTip()
            assert refused.summary.endswith("(the user cancelled the desktop's shortcut dialog)")
        finally:
            refused.close()
            cancelling.close()
