"""Global hotkeys on Wayland through the desktop portal's GlobalShortcuts, on a real private D-Bus bus.

A real dbus-daemon runs with a small portal on it (tests/portal_service.py) that answers as the
documented API does; the studio's client binds every action, its Activated / Deactivated signals
drive a recorded show, and a missing portal, a portal without GlobalShortcuts, a cancelled dialog
and a session the desktop closes are each named. Nothing sleeps: every step waits on an event or a
condition, with a cap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from jeepney import DBusAddress, HeaderFields, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection

from studio.config import load_settings
from studio.surfaces.global_hotkeys import ONLY_IN_WINDOW, GlobalHotkeys, start_global_hotkeys
from studio.surfaces.hotkey_bindings import HOTKEY_ACTIONS, parse_chord
from studio.surfaces.portal_api import DESCRIPTIONS, portal_trigger, request_path
from tests.portal_service import WAIT_S, FakePortal, private_bus


class Show:
    """The show's commands a shortcut calls, recorded; `changed` wakes a test waiting for them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.mic_muted = False
        self.changed = threading.Condition()

    def _record(self, action: str, value: object) -> None:
        with self.changed:
            self.calls.append((action, value))
            self.changed.notify_all()

    def wait_calls(self, count: int) -> list[tuple[str, object]]:
        """The calls, once there are at least `count` (capped)."""
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.calls) >= count, WAIT_S), self.calls
            return list(self.calls)

    def push_to_talk(self, pressed: bool) -> None:
        self._record("talk", pressed)

    def interrupt(self) -> None:
        self._record("dump", None)

    def set_mic_muted(self, muted: bool) -> None:
        self.mic_muted = muted
        self._record("mute", muted)

    def dump(self) -> None:
        self._record("delay_dump", None)

    def approve_reply(self) -> None:
        self._record("approve", None)

    def drop_reply(self) -> None:
        self._record("drop_reply", None)

    def next_segment(self) -> None:
        self._record("next", None)

    def back_segment(self) -> None:
        self._record("back", None)

    def subscribe(self, subscriber) -> None:
        pass


@pytest.fixture
def bus() -> Iterator[str]:
    """A private session bus's address."""
    with private_bus() as address:
        yield address


def _start(show: Show, address: str, **settings: object) -> GlobalHotkeys:
    """The studio's global hotkeys on a Wayland session whose session bus is `address`; bound or failed."""
    environ = {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": address}
    hotkeys = start_global_hotkeys(show, load_settings(**settings), environ=environ)
    assert hotkeys.portal is not None and hotkeys.portal.settled.wait(WAIT_S), (
        "the portal client never settled"
    )
    return hotkeys


def test_chords_become_xdg_shortcut_triggers():
    assert portal_trigger(parse_chord("Ctrl+Alt+Shift+Space")) == "CTRL+ALT+SHIFT+space"
    assert portal_trigger(parse_chord("Meta+PgUp")) == "LOGO+Prior"
    assert portal_trigger(parse_chord("Ctrl++")) == "CTRL+plus"
    assert (
        portal_trigger(parse_chord("F9")) == "F9"
        and portal_trigger(parse_chord("XF86AudioMute")) == "XF86AudioMute"
    )
    assert request_path(":1.42", "t1") == "/org/freedesktop/portal/desktop/request/1_42/t1"


def test_every_action_is_bound_with_its_id_description_and_trigger_and_the_desktops_choice_shown(bus):
    portal = FakePortal(bus, triggers={"dump": "Super+D"})
    hotkeys = _start(Show(), bus, global_hotkey_next="Meta+PgUp", global_hotkey_back="")
    try:
        client = hotkeys.portal
        assert client.state == "bound" and client.failure == "" and client.version == 2
        (created,) = portal.created
        assert set(created) == {"handle_token", "session_handle_token"}
        # The Request paths the portal handed out are the ones the client predicted and listened on.
        tokens = [created["handle_token"][1], portal.binds[0][3]["handle_token"][1]]
        assert portal.requests == [request_path(client.unique_name, token) for token in tokens]
        ((session, shortcuts, parent_window, _options),) = portal.binds
        assert session == client.session and parent_window == ""
        actions = [a for a in HOTKEY_ACTIONS if a != "back"]
        assert [sid for sid, _info in shortcuts] == actions
        assert {sid: info["description"] for sid, info in shortcuts} == {
            a: ("s", DESCRIPTIONS[a]) for a in actions
        }
        triggers = {sid: info["preferred_trigger"][1] for sid, info in shortcuts}
        assert triggers["talk"] == "CTRL+ALT+SHIFT+space" and triggers["dump"] == "CTRL+ALT+SHIFT+d"
        assert triggers["next"] == "LOGO+Prior"
        assert [b.action for b in hotkeys.active] == actions and hotkeys.all_problems == []
        summary = hotkeys.summary()
        assert summary.startswith("global hotkeys (desktop portal): talk CTRL+ALT+SHIFT+space, dump Super+D")
    finally:
        hotkeys.close()
        portal.close()


def test_activated_and_deactivated_drive_talk_dump_and_mute_and_forged_signals_do_nothing(bus):
    portal, show = FakePortal(bus), Show()
    hotkeys = _start(show, bus)
    try:
        portal.activate("talk")
        portal.activate("talk")  # a repeat while held: talk is not pressed again
        portal.deactivate("talk")
        portal.activate("dump")
        portal.deactivate("dump")  # a trigger's release does nothing
        # Another program on the bus sends us an Activated of its own: not the portal, ignored.
        forger = open_dbus_connection(bus=bus)
        with DBusRouter(forger) as router:
            fake = new_signal(
                DBusAddress(
                    "/org/freedesktop/portal/desktop", interface="org.freedesktop.portal.GlobalShortcuts"
                ),
                "Activated",
                "osta{sv}",
                (hotkeys.portal.session, "delay_dump", 1, {}),
            )
            fake.header.fields[HeaderFields.destination] = hotkeys.portal.unique_name
            router.send(fake)
            Proxy(message_bus, router, timeout=WAIT_S).GetId()  # the bus has routed the forgery by now
        forger.close()
        portal.activate("mute")
        assert show.wait_calls(4) == [("talk", True), ("talk", False), ("dump", None), ("mute", True)]
        assert hotkeys.delivered == [("talk", True), ("talk", False), ("dump", True), ("mute", True)]
    finally:
        hotkeys.close()
        portal.close()


def test_close_closes_the_portal_session_and_ends_an_open_dialog(bus):
    portal = FakePortal(bus)
    hotkeys = _start(Show(), bus)
    session = hotkeys.portal.session
    hotkeys.close()
    portal.wait_for(lambda: portal.closed == [session], "Session.Close")
    assert hotkeys.portal.state == "closed" and portal.sessions == {}
    portal.close()

    asking = FakePortal(bus, bind_response=None)  # the desktop's dialog stays open
    environ = {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": bus}
    waiting = start_global_hotkeys(Show(), load_settings(), environ=environ)
    asking.wait_for(lambda: len(asking.binds) == 1, "BindShortcuts")
    assert waiting.asking and "asking the desktop portal" in waiting.summary()
    waiting.close()
    asking.wait_for(lambda: len(asking.closed) == 1, "Session.Close of the unanswered bind")
    asking.close()


def test_no_portal_or_no_global_shortcuts_say_only_in_window_keys_and_why(bus):
    missing = _start(Show(), bus)
    assert missing.portal.state == "failed" and missing.active == []
    assert (
        missing.summary()
        == f"{ONLY_IN_WINDOW} (no desktop portal on the session bus (xdg-desktop-portal is not running))"
    )
    missing.close()

    portal = FakePortal(bus, offers_shortcuts=False)
    lacking = _start(Show(), bus)
    assert lacking.summary().startswith(ONLY_IN_WINDOW)
    assert (
        "the desktop portal has no GlobalShortcuts (org.freedesktop.DBus.Error.InvalidArgs)"
        in lacking.summary()
    )
    lacking.close()
    portal.close()


def test_a_cancelled_dialog_or_a_session_the_desktop_closes_says_only_in_window_keys(bus):
    portal = FakePortal(bus, bind_response=1)
    cancelled = _start(Show(), bus)
    assert cancelled.summary() == f"{ONLY_IN_WINDOW} (the user cancelled the desktop's shortcut dialog)"
    portal.wait_for(lambda: len(portal.closed) == 1, "Session.Close after the cancel")
    cancelled.close()
    portal.close()

    portal, changed = FakePortal(bus), threading.Event()
    environ = {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": bus}
    ended = start_global_hotkeys(Show(), load_settings(), environ=environ, on_change=changed.set)
    assert changed.wait(WAIT_S) and ended.portal.state == "bound"
    changed.clear()
    portal.close_session(ended.portal.session)
    assert changed.wait(WAIT_S) and ended.portal.state == "failed"
    assert ended.summary() == f"{ONLY_IN_WINDOW} (the desktop closed the shortcuts session)"
    ended.close()
    portal.close()


def test_talk_held_when_the_desktop_closes_the_session_or_the_client_closes_is_released(bus):
    portal, show = FakePortal(bus), Show()
    hotkeys = _start(show, bus)
    try:
        portal.activate("talk")
        portal.activate("mute")  # held too, but a toggle: nothing to release
        assert show.wait_calls(2) == [("talk", True), ("mute", True)]
        portal.close_session(hotkeys.portal.session)  # the desktop ends it: no Deactivated comes
        assert show.wait_calls(3) == [("talk", True), ("mute", True), ("talk", False)]
        assert hotkeys.portal.settled.wait(WAIT_S) and hotkeys.portal.state == "failed"
    finally:
        hotkeys.close()
    assert hotkeys.delivered == [("talk", True), ("mute", True), ("talk", False)]  # released once

    show = Show()
    hotkeys = _start(show, bus)
    portal.activate("talk")
    assert show.wait_calls(1) == [("talk", True)]
    hotkeys.close()  # the studio closes, or rebinds, while talk is held
    assert show.calls == [("talk", True), ("talk", False)]
    portal.close()


def test_wayland_without_a_session_bus_says_so():
    hotkeys = start_global_hotkeys(Show(), load_settings(), environ={"WAYLAND_DISPLAY": "wayland-0"})
    assert hotkeys.portal is None and "no D-Bus session bus" in hotkeys.summary()
