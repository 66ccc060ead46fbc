"""Global hotkeys on Wayland: the desktop portal's GlobalShortcuts over D-Bus (jeepney, MIT).

Wayland lets no program grab keys; the desktop binds them for us instead, usually after asking
the user in its own dialog (KDE Plasma, GNOME 48+, Hyprland). This is a client of the documented
org.freedesktop.portal.GlobalShortcuts API: CreateSession, then BindShortcuts with one shortcut per
action (id = the action, preferred_trigger = the settings' chord in the XDG shortcuts syntax, e.g.
CTRL+ALT+SHIFT+space); its Activated / Deactivated signals become `deliver(action, pressed)` as the
X11 grab's keys do. When the session ends (close(), a rebind, the desktop closing it) with talk
held, talk is released: its Deactivated will never come. Each call answers through a Request
object's Response signal, subscribed to before the call (the path is predicted from our bus name
and a token, as the portal documents).
PySide6's QtDBus cannot build BindShortcuts' a(sa{sv}) argument, hence jeepney.
Threading: all D-Bus work runs on this object's own thread ("hotkeys-portal"), fed by jeepney's
receiver thread; `deliver` and `on_change` are called from "hotkeys-portal" and must not wait;
`start` and `close` run on the face's thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from jeepney import DBusAddress, HeaderFields, MatchRule, Message, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection
from jeepney.wrappers import DBusErrorResponse, unwrap_msg

from studio.surfaces.hotkey_bindings import HOLD_ACTIONS, Binding
from studio.surfaces.portal_api import (
    PORTAL,
    PORTAL_PATH,
    PROPERTIES,
    REQUEST,
    RESPONSES,
    SESSION,
    SHORTCUTS,
    field,
    missing_reason,
    new_token,
    request_path,
    shortcuts_argument,
    text_of,
    triggers_of,
)

log = logging.getLogger(__name__)

CALL_S = 10.0  # a cap on one method call's reply (the bus may start the portal on demand first)
SESSION_S = 30.0  # a cap on CreateSession's Response; BindShortcuts' waits for the user's dialog
State = Literal["asking", "bound", "failed", "closed"]
Deliver = Callable[[str, bool], None]  # (action, pressed)
_STOP = object()  # close() wakes the thread with this


class PortalError(RuntimeError):
    """The portal is missing, refused or was cancelled; the message says why, plainly."""


class _Stopped(Exception):
    """close() was called while the thread waited for the portal."""


class PortalShortcuts:
    """Binds the chords through the desktop portal and calls `deliver(action, pressed)` for each."""

    def __init__(
        self,
        bindings: list[Binding],
        deliver: Deliver,
        address: str,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """`address`: the D-Bus session bus ($DBUS_SESSION_BUS_ADDRESS); `on_change`: bound or failed."""
        self.bindings, self._deliver, self._address = list(bindings), deliver, address
        self._on_change = on_change
        self._inbox: queue.Queue[Any] = queue.Queue()  # signals for us, and _STOP
        self._thread: threading.Thread | None = None
        self._router: DBusRouter | None = None
        self._conn: Any = None
        self._owner = ""  # the portal's unique bus name: signals from anyone else are ignored
        self._down: set[str] = set()  # activated and not yet deactivated (a repeat is no new press)
        self.state: State = "asking"
        self.bound: dict[str, str] = {}  # action → how the desktop says to trigger it ("" if it did not)
        self.failure = ""  # why nothing works (no portal, refused, cancelled)
        self.problems: list[str] = []  # shortcuts the desktop left out
        self.version = 0  # the portal's GlobalShortcuts version
        self.unique_name = ""  # our name on the bus
        self.session = ""  # the Session object's path
        self.settled = threading.Event()  # set once bound or failed

    def start(self) -> PortalShortcuts:
        """Ask the portal on the "hotkeys-portal" thread; returns at once (the user may get a dialog)."""
        self._thread = threading.Thread(target=self._main, name="hotkeys-portal", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Close the portal session (its dialog too) and the bus connection (idempotent)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._inbox.put(_STOP)
        thread.join(timeout)
        if thread.is_alive() and self._conn is not None:
            self._conn.interrupt()  # a method call still waiting for its reply gives up
            thread.join(timeout)

    # ----- the "hotkeys-portal" thread ---------------------------------------------------------
    def _main(self) -> None:
        """Connect, bind, then hand each activation on until closed; close the session."""
        try:
            self._connect()
            self._bind()
            self._listen()
        except _Stopped:
            pass
        except PortalError as exc:
            self._settle("failed", str(exc))
        except Exception as exc:  # the bus went away, a malformed answer
            log.exception("desktop portal global shortcuts failed")
            self._settle("failed", f"the desktop portal failed: {exc}")
        finally:
            self._shutdown()

    def _connect(self) -> None:
        """Open the bus; check the portal offers GlobalShortcuts; subscribe to its signals."""
        try:
            self._conn = open_dbus_connection(bus=self._address)
        except (OSError, RuntimeError, TimeoutError, ValueError, StopIteration) as exc:
            raise PortalError(f"cannot reach the D-Bus session bus {self._address!r} ({exc})") from None
        self.unique_name = self._conn.unique_name
        self._router = DBusRouter(self._conn)
        self._router.filter(MatchRule(type="signal"), queue=self._inbox)  # kept until the router closes
        try:
            (version,) = self._call(PORTAL_PATH, PROPERTIES, "Get", "ss", (SHORTCUTS, "version"))
        except DBusErrorResponse as exc:
            raise PortalError(missing_reason(exc)) from None
        except TimeoutError:
            raise PortalError(f"the desktop portal did not answer within {CALL_S:.0f} s") from None
        self.version = int(version[1])
        bus = Proxy(message_bus, self._router, timeout=CALL_S)
        self._owner = bus.GetNameOwner(PORTAL)[0]
        requests = request_path(self.unique_name, "token").rsplit("/", 1)[0]
        bus.AddMatch(MatchRule(type="signal", sender=PORTAL, interface=REQUEST, path_namespace=requests))
        bus.AddMatch(MatchRule(type="signal", sender=PORTAL, interface=SHORTCUTS, path=PORTAL_PATH))

    def _bind(self) -> None:
        """CreateSession, then BindShortcuts with every binding; what the desktop bound is `bound`."""
        token, session_token = new_token(), new_token()
        options = {"handle_token": ("s", token), "session_handle_token": ("s", session_token)}
        code, results = self._request("CreateSession", "a{sv}", (options,), token, SESSION_S)
        if code != 0:
            raise PortalError(f"{RESPONSES.get(code, f'response {code}')} (CreateSession)")
        self.session = str(results["session_handle"][1])  # documented as s, though a path
        Proxy(message_bus, self._router, timeout=CALL_S).AddMatch(
            MatchRule(type="signal", sender=PORTAL, interface=SESSION, path=self.session)
        )
        token = new_token()
        body = (self.session, shortcuts_argument(self.bindings), "", {"handle_token": ("s", token)})
        code, results = self._request("BindShortcuts", "oa(sa{sv})sa{sv}", body, token, None)
        if code != 0:
            raise PortalError(RESPONSES.get(code, f"the desktop answered BindShortcuts with {code}"))
        given = triggers_of(results.get("shortcuts", ("", []))[1])
        self.bound = {b.action: given[b.action] for b in self.bindings if b.action in given}
        self.problems = [
            f"global hotkey for {b.action} off: the desktop did not bind it"
            for b in self.bindings
            if b.action not in given
        ]
        if not self.bound:
            raise PortalError("the desktop bound none of the shortcuts (all left unset in its dialog)")
        self._settle("bound", "")

    def _listen(self) -> None:
        """Hand each activation on until close() (or the desktop closes the session)."""
        while True:
            item = self._inbox.get()
            if item is _STOP:
                return
            self._signal(item)

    def _request(
        self, method: str, signature: str, body: tuple[Any, ...], token: str, timeout: float | None
    ) -> tuple[int, dict[str, Any]]:
        """Call a portal method and wait for its Request's Response: (response code, results)."""
        paths = {request_path(self.unique_name, token)}  # subscribed to before the call (_connect)
        try:
            paths.add(self._call(PORTAL_PATH, SHORTCUTS, method, signature, body)[0])
        except DBusErrorResponse as exc:
            raise PortalError(
                f"the desktop portal refused {method}: {exc.name} {' '.join(exc.data)}"
            ) from None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                item = self._inbox.get(timeout=left)
            except queue.Empty:
                raise PortalError(
                    f"the desktop portal did not answer {method} within {timeout:.0f} s"
                ) from None
            if item is _STOP:
                raise _Stopped
            if self._from_portal(item, REQUEST, "Response") and field(item, HeaderFields.path) in paths:
                code, results = item.body
                return int(code), dict(results)
            self._signal(item)

    def _signal(self, message: Message) -> None:
        """Activated / Deactivated of our session → deliver; ShortcutsChanged; the session closed."""
        if (
            self._from_portal(message, SESSION, "Closed")
            and field(message, HeaderFields.path) == self.session
        ):
            self.session = ""
            raise PortalError("the desktop closed the shortcuts session")
        if self._from_portal(message, SHORTCUTS, "ShortcutsChanged") and message.body[0] == self.session:
            for sid, info in message.body[1]:
                if sid in self.bound:
                    self.bound[sid] = text_of(info, "trigger_description")
            self._notify()
            return
        for member, pressed in (("Activated", True), ("Deactivated", False)):
            if self._from_portal(message, SHORTCUTS, member) and message.body[0] == self.session:
                self._key(str(message.body[1]), pressed)

    def _key(self, action: str, pressed: bool) -> None:
        """A bound shortcut went down or up: its first press, and a hold action's release."""
        if action not in self.bound:
            return
        if pressed and action not in self._down:
            self._down.add(action)
            self._hand_on(action, True)
        elif not pressed and action in self._down:
            self._down.discard(action)
            if action in HOLD_ACTIONS:
                self._hand_on(action, False)

    def _hand_on(self, action: str, pressed: bool) -> None:
        """Deliver; a failing command is logged and the shortcuts keep working."""
        try:
            self._deliver(action, pressed)
        except Exception:
            log.exception("global shortcut %s failed", action)

    def _from_portal(self, message: Message, interface: str, member: str) -> bool:
        """A signal of this interface and member, sent by the portal itself (not by another client)."""
        return (
            field(message, HeaderFields.sender) == self._owner
            and field(message, HeaderFields.interface) == interface
            and field(message, HeaderFields.member) == member
        )

    def _call(self, path: str, interface: str, method: str, signature: str, body: tuple[Any, ...]) -> tuple:
        """A method call on the portal; its reply's body (DBusErrorResponse, TimeoutError)."""
        assert self._router is not None
        message = new_method_call(DBusAddress(path, PORTAL, interface), method, signature, body)
        return unwrap_msg(self._router.send_and_get_reply(message, timeout=CALL_S))

    def _settle(self, state: State, failure: str) -> None:
        """Bound or failed: say so (once settled, later changes only notify)."""
        self.state, self.failure = state, failure
        if failure:
            log.warning("global shortcuts through the desktop portal: %s", failure)
        self.settled.set()
        self._notify()

    def _notify(self) -> None:
        """Tell the owner something changed; its failure never stops the shortcuts."""
        if self._on_change is not None:
            try:
                self._on_change()
            except Exception:
                log.exception("global shortcuts: on_change failed")

    def _release_held(self) -> None:
        """The session or this client ends with keys down: their Deactivated never comes, so a
        held hold action (talk) is released here; else push-to-talk would stay pressed."""
        held, self._down = self._down, set()
        for action in sorted(held):
            if action in HOLD_ACTIONS:
                self._hand_on(action, False)

    def _shutdown(self) -> None:
        """Release what is held, close the session on the portal, then the connection."""
        self._release_held()
        if self._router is not None and self.session:
            try:
                self._call(self.session, SESSION, "Close", "", ())
            except Exception as exc:  # the portal is gone, or closed the session itself
                log.debug("closing the portal session: %s", exc)
        self.session = ""
        if self._router is not None:
            self._router.close()
        if self._conn is not None:
            self._conn.close()
        if self.state in ("asking", "bound"):
            self.state = "closed"
        self.settled.set()
