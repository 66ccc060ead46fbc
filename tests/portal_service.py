"""A private D-Bus session bus, and on it a small desktop portal that speaks GlobalShortcuts as documented.

dbus-daemon (Debian's dbus package) runs with a config of its own in a temp dir: no service
directories, so no real portal is ever started on demand. FakePortal owns
org.freedesktop.portal.Desktop (jeepney) and implements org.freedesktop.portal.GlobalShortcuts the
way xdg-desktop-portal does: the `version` property; CreateSession and BindShortcuts return a
Request path (…/request/SENDER/TOKEN from the caller's handle_token) and answer with that Request's
Response(u, a{sv}) signal, broadcast, so only a client that subscribed before calling hears it;
Session objects with Close; Activated / Deactivated(o, s, t, a{sv}) sent to the session's owner.
It records what it was asked. Nothing sleeps: tests wait on its condition with a cap.
Threading: the bus is a child process; the portal answers on its own thread ("fake-portal").
"""

from __future__ import annotations

import queue
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from jeepney import DBusAddress, HeaderFields, MatchRule, Message, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection

from tests.announcing import announcing

READY_S = 20.0  # a cap on dbus-daemon's start, not a wait: it prints its address once it listens
WAIT_S = 10.0  # a cap on any one wait for the portal or the client
NAME, PATH = "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop"
SHORTCUTS, SESSION = "org.freedesktop.portal.GlobalShortcuts", "org.freedesktop.portal.Session"
CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@contextmanager
def private_bus() -> Iterator[str]:
    """A fresh dbus-daemon of our own; yields its address (skips where dbus-daemon is missing)."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.skip(
            "the portal tests need dbus-daemon (Debian's dbus; scripts/install.sh --test installs it)"
        )
    with tempfile.TemporaryDirectory(prefix="bus") as folder:
        config = Path(folder, "bus.conf")
        config.write_text(CONFIG.format(folder=folder), encoding="utf-8")
        argv = [daemon, f"--config-file={config}", "--nofork"]
        with announcing(lambda fd: [*argv, f"--print-address={fd}"], "dbus-daemon", READY_S, WAIT_S) as bus:
            yield bus


def _sender_element(unique_name: str) -> str:
    """The caller's unique name as a path element, as the portal documents: ':1.42' → '1_42'."""
    return unique_name[1:].replace(".", "_")


class FakePortal:
    """org.freedesktop.portal.Desktop with GlobalShortcuts on a bus, recording every call."""

    def __init__(
        self,
        address: str,
        *,
        offers_shortcuts: bool = True,
        bind_response: int | None = 0,
        triggers: dict[str, str] | None = None,
        version: int = 2,
    ) -> None:
        """`bind_response`: BindShortcuts' Response code (None: never answers, a dialog left open);
        `triggers`: shortcut id → the trigger the "desktop" assigns instead of the preferred one."""
        self.address, self.offers, self.version = address, offers_shortcuts, version
        self.bind_response, self.triggers = bind_response, triggers or {}
        self.created: list[dict[str, Any]] = []  # CreateSession options
        self.requests: list[str] = []  # Request paths handed out
        self.binds: list[tuple[str, list[Any], str, dict[str, Any]]] = []  # BindShortcuts arguments
        self.sessions: dict[str, str] = {}  # open session path → its owner's unique name
        self.closed: list[str] = []  # sessions the client closed
        self.changed = threading.Condition()
        self._calls: queue.Queue[Any] = queue.Queue()
        self._stop = object()
        self._conn = open_dbus_connection(bus=address)
        self._router = DBusRouter(self._conn)
        self._filter = self._router.filter(MatchRule(type="method_call"), queue=self._calls)
        owned = Proxy(message_bus, self._router, timeout=WAIT_S).RequestName(NAME, 4)[0]  # 4: do not queue
        assert owned == 1, f"{NAME} is already owned on this bus"
        self.unique_name = self._conn.unique_name
        self._thread = threading.Thread(target=self._serve, name="fake-portal", daemon=True)
        self._thread.start()

    def wait_for(self, predicate: Callable[[], bool], what: str) -> None:
        """Wait (capped) until the portal's record satisfies `predicate`."""
        with self.changed:
            assert self.changed.wait_for(predicate, WAIT_S), f"the fake portal never saw {what}"

    def activate(self, shortcut_id: str, session: str | None = None) -> None:
        """The user pressed a bound shortcut: Activated(session, id, timestamp, {}) to its owner."""
        self._key("Activated", shortcut_id, session)

    def deactivate(self, shortcut_id: str, session: str | None = None) -> None:
        """The user released it: Deactivated(session, id, timestamp, {})."""
        self._key("Deactivated", shortcut_id, session)

    def close_session(self, session: str) -> None:
        """The desktop ends a session itself: Session::Closed(a{sv})."""
        owner = self.sessions.pop(session)
        self._emit(new_signal(DBusAddress(session, interface=SESSION), "Closed", "a{sv}", ({},)), owner)

    def close(self) -> None:
        """Stop answering and leave the bus."""
        self._calls.put(self._stop)
        self._thread.join(WAIT_S)
        self._filter.close()
        self._router.close()
        self._conn.close()

    def _key(self, member: str, shortcut_id: str, session: str | None) -> None:
        """Activated or Deactivated for a session (the only open one by default)."""
        path = session or next(iter(self.sessions))
        body = (path, shortcut_id, 1234, {})
        signal = new_signal(DBusAddress(PATH, interface=SHORTCUTS), member, "osta{sv}", body)
        self._emit(signal, self.sessions.get(path, ""))

    def _emit(self, message: Message, destination: str = "") -> None:
        """Send a signal; with a destination it goes to that client only (as the portal's do)."""
        if destination:
            message.header.fields[HeaderFields.destination] = destination
        self._router.send(message)

    def _serve(self) -> None:
        """Answer method calls until closed."""
        while (call := self._calls.get()) is not self._stop:
            reply, after = self._answer(call)
            self._router.send(reply)
            if after is not None:
                self._emit(after)
            with self.changed:
                self.changed.notify_all()

    def _answer(self, call: Message) -> tuple[Message, Message | None]:
        """The reply to one call, and the Response signal to send after it (or None)."""
        fields = call.header.fields
        path, interface = fields.get(HeaderFields.path), fields.get(HeaderFields.interface)
        member, sender = fields.get(HeaderFields.member), fields.get(HeaderFields.sender)
        if interface == "org.freedesktop.DBus.Properties" and member == "Get" and path == PATH:
            if call.body == (SHORTCUTS, "version") and self.offers:
                return new_method_return(call, "v", (("u", self.version),)), None
            text = f"No such interface “{call.body[0]}”"  # what GDBus answers for an interface it lacks
            return new_error(call, "org.freedesktop.DBus.Error.InvalidArgs", "s", (text,)), None
        if interface == SHORTCUTS and self.offers and path == PATH and member == "CreateSession":
            (options,) = call.body
            self.created.append(options)
            session = f"{PATH}/session/{_sender_element(sender)}/{options['session_handle_token'][1]}"
            self.sessions[session] = sender
            return self._request(call, sender, options, 0, {"session_handle": ("s", session)})
        if interface == SHORTCUTS and self.offers and path == PATH and member == "BindShortcuts":
            session, shortcuts, parent_window, options = call.body
            self.binds.append((session, shortcuts, parent_window, options))
            bound = [
                (
                    sid,
                    {
                        "description": info["description"],
                        "trigger_description": ("s", self._trigger(sid, info)),
                    },
                )
                for sid, info in shortcuts
            ]
            return self._request(
                call, sender, options, self.bind_response, {"shortcuts": ("a(sa{sv})", bound)}
            )
        if interface == SESSION and member == "Close" and path in self.sessions:
            del self.sessions[path]
            self.closed.append(path)
            return new_method_return(call), None
        return new_error(call, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"no {member} here",)), None

    def _request(
        self, call: Message, sender: str, options: dict[str, Any], code: int | None, results: dict[str, Any]
    ) -> tuple[Message, Message | None]:
        """Reply with the Request's path, then its Response(code, results) (none when code is None)."""
        request = f"{PATH}/request/{_sender_element(sender)}/{options['handle_token'][1]}"
        self.requests.append(request)
        if code is None:
            return new_method_return(call, "o", (request,)), None
        response = new_signal(
            DBusAddress(request, interface="org.freedesktop.portal.Request"),
            "Response",
            "ua{sv}",
            (code, results if code == 0 else {}),
        )
        return new_method_return(call, "o", (request,)), response

    def _trigger(self, shortcut_id: str, info: dict[str, Any]) -> str:
        """The trigger this "desktop" gives a shortcut: the preferred one unless told otherwise."""
        preferred = info.get("preferred_trigger", ("s", ""))[1]
        return self.triggers.get(shortcut_id, preferred)
