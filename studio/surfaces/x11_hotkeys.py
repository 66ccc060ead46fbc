"""Global hotkeys on X11: XGrabKey on the root window through ctypes on libX11 (MIT licensed).

Why ctypes and not python-xlib (LGPL-2.1) or pynput (LGPL-3.0): the studio is Apache-2.0 and
ships as a frozen bundle, where LGPL code brings relinking/replacement duties; libX11 is MIT and
on every X desktop already (Qt's xcb platform loads it), and the grab needs a dozen calls.
The grab is passive: the chord reaches us whichever window has focus (OBS, a game), and no other
client sees it. Key auto-repeat is made detectable (XKB), so a held talk key is one press and one
release; where XKB cannot, a release followed by a press with the same timestamp is dropped.
Closing (or a rebind) with talk held releases talk: the key's release would not reach us.
Threading: everything X runs on this object's own thread ("hotkeys-x11") with its own Display
connection, waiting in select() on the X socket and a wake pipe; actions go to the show's
thread-safe commands from that thread and never wait. `start` and `close` run on the face's thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import select
import threading
from collections.abc import Callable
from typing import Any

from studio.surfaces.hotkey_bindings import Binding

log = logging.getLogger(__name__)

KEY_PRESS, KEY_RELEASE = 2, 3
GRAB_MODE_ASYNC = 1
BAD_ACCESS = 10
QUEUED_AFTER_READING = 1
_MASKS = {"shift": 1 << 0, "ctrl": 1 << 2, "alt": 1 << 3, "super": 1 << 6}
_LOCK, _NUM_LOCK = 1 << 1, 1 << 4  # Caps Lock; Num Lock is Mod2 on every common layout
_IGNORED = (0, _LOCK, _NUM_LOCK, _LOCK | _NUM_LOCK)  # the chord works whatever the lock keys say
_RELEVANT = _MASKS["shift"] | _MASKS["ctrl"] | _MASKS["alt"] | _MASKS["super"]
Deliver = Callable[[str, bool], None]  # (action, pressed)


class X11Error(RuntimeError):
    """The X display cannot be opened or libX11 is missing: no global hotkeys on X11."""


class _XKeyEvent(ctypes.Structure):
    """Xlib's XKeyEvent (the part of XEvent a key press or release fills in)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("root", ctypes.c_ulong),
        ("subwindow", ctypes.c_ulong),
        ("time", ctypes.c_ulong),
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("x_root", ctypes.c_int),
        ("y_root", ctypes.c_int),
        ("state", ctypes.c_uint),
        ("keycode", ctypes.c_uint),
        ("same_screen", ctypes.c_int),
    ]


class _XEvent(ctypes.Union):
    """Xlib's XEvent: any event, 24 longs long."""

    _fields_ = [("type", ctypes.c_int), ("xkey", _XKeyEvent), ("pad", ctypes.c_long * 24)]


class _XErrorEvent(ctypes.Structure):
    """Xlib's XErrorEvent (a grab refused because another program holds the chord)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("resourceid", ctypes.c_ulong),
        ("serial", ctypes.c_ulong),
        ("error_code", ctypes.c_ubyte),
        ("request_code", ctypes.c_ubyte),
        ("minor_code", ctypes.c_ubyte),
    ]


_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_XErrorEvent))
_errors: dict[int, list[int]] = {}  # display pointer → X error codes seen since the last look
_errors_lock = threading.Lock()
_installed: list[Any] = []  # the handler, kept alive for the life of the process
_lib: ctypes.CDLL | None = None


def _on_error(display: int | None, error: Any) -> int:
    """Xlib's error handler: remember errors on our displays (Xlib's default one would exit)."""
    with _errors_lock:
        if display in _errors:
            _errors[display].append(int(error.contents.error_code))
    return 0


def _libx11() -> ctypes.CDLL:
    """libX11 with the signatures we call, and our error handler installed (once per process)."""
    global _lib
    if _lib is not None:
        return _lib
    name = ctypes.util.find_library("X11") or "libX11.so.6"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise X11Error(f"libX11 is missing ({exc}); install libx11-6") from None
    display, window, keysym = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong
    signatures: dict[str, tuple[list[Any], Any]] = {
        "XOpenDisplay": ([ctypes.c_char_p], display),
        "XCloseDisplay": ([display], ctypes.c_int),
        "XDefaultRootWindow": ([display], window),
        "XConnectionNumber": ([display], ctypes.c_int),
        "XStringToKeysym": ([ctypes.c_char_p], keysym),
        "XKeysymToKeycode": ([display, keysym], ctypes.c_ubyte),
        "XGrabKey": (
            [display, ctypes.c_int, ctypes.c_uint, window, ctypes.c_int, ctypes.c_int, ctypes.c_int],
            ctypes.c_int,
        ),
        "XUngrabKey": ([display, ctypes.c_int, ctypes.c_uint, window], ctypes.c_int),
        "XSync": ([display, ctypes.c_int], ctypes.c_int),
        "XPending": ([display], ctypes.c_int),
        "XEventsQueued": ([display, ctypes.c_int], ctypes.c_int),
        "XNextEvent": ([display, ctypes.POINTER(_XEvent)], ctypes.c_int),
        "XPeekEvent": ([display, ctypes.POINTER(_XEvent)], ctypes.c_int),
        "XkbSetDetectableAutoRepeat": ([display, ctypes.c_int, ctypes.POINTER(ctypes.c_int)], ctypes.c_int),
        "XSetErrorHandler": ([_ERROR_HANDLER], ctypes.c_void_p),
    }
    for function, (arguments, result) in signatures.items():
        getattr(lib, function).argtypes = arguments
        getattr(lib, function).restype = result
    handler = _ERROR_HANDLER(_on_error)
    _installed.append(handler)
    lib.XSetErrorHandler(handler)
    _lib = lib
    return lib


class X11Hotkeys:
    """Grabs the bound chords on one X display and calls `deliver(action, pressed)` for each."""

    def __init__(self, bindings: list[Binding], deliver: Deliver, display: str | None = None) -> None:
        """`display`: an X display name (None: $DISPLAY)."""
        self.bindings, self._deliver = bindings, deliver
        self._display_name = display if display is not None else os.environ.get("DISPLAY", "")
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._started = threading.Event()
        self._down: dict[int, Binding] = {}  # keycode → the binding it pressed, until released
        self._keys: dict[tuple[int, int], Binding] = {}  # (keycode, modifier mask) → binding
        self.grabbed: list[Binding] = []  # the chords we hold (the window lists them)
        self.problems: list[str] = []  # chords another program holds, keys this keyboard lacks
        self.detectable_repeat = False
        self.repeats_dropped = 0  # presses of a key already down (auto-repeat), not delivered
        self._start_error: BaseException | None = None

    def start(self) -> X11Hotkeys:
        """Open the display and grab on the hotkeys thread; returns once the grabs are settled.

        Raises X11Error when the display cannot be opened; a chord that cannot be grabbed is in
        `problems` and the others work."""
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._main, name="hotkeys-x11", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._start_error is not None:
            self._thread.join()
            self._close_pipe()
            raise self._start_error
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Release the grabs and close the display connection (idempotent)."""
        if self._thread is None:
            return
        if self._thread.is_alive():
            os.write(self._wake_w, b"x")
            self._thread.join(timeout)
        self._thread = None
        self._close_pipe()

    def _close_pipe(self) -> None:
        """Close the wake pipe's two ends."""
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1

    # ----- the hotkeys thread -------------------------------------------------------------------
    def _main(self) -> None:
        """Open, grab, then hand each key event on until woken to stop; ungrab and close."""
        try:
            lib = _libx11()
            display = lib.XOpenDisplay(self._display_name.encode() or None)
            if not display:
                raise X11Error(f"cannot open the X display {self._display_name or '(DISPLAY unset)'}")
        except BaseException as exc:  # X11Error, or libX11 without a symbol we need
            self._start_error = exc if isinstance(exc, X11Error) else X11Error(str(exc))
            self._started.set()
            return
        with _errors_lock:
            _errors[display] = []
        root = lib.XDefaultRootWindow(display)
        try:
            self._grab(lib, display, root)
            self._started.set()
            self._listen(lib, display)
        finally:
            self._started.set()
            self._release_held()
            for keycode, mask in self._keys:
                lib.XUngrabKey(display, keycode, mask, root)
            lib.XSync(display, 0)
            with _errors_lock:
                _errors.pop(display, None)
            lib.XCloseDisplay(display)

    def _grab(self, lib: ctypes.CDLL, display: int, root: int) -> None:
        """Grab each chord (with every lock key state); a refused one goes to `problems`."""
        supported = ctypes.c_int(0)
        self.detectable_repeat = bool(lib.XkbSetDetectableAutoRepeat(display, 1, ctypes.byref(supported)))
        for binding in self.bindings:
            keysym = lib.XStringToKeysym(binding.chord.keysym.encode())
            keycode = lib.XKeysymToKeycode(display, keysym) if keysym else 0
            if not keycode:
                self.problems.append(
                    f"global hotkey for {binding.action} off: this keyboard has no {binding.chord.keysym!r}"
                )
                continue
            mask = sum(_MASKS[name] for name in binding.chord.modifiers)
            for extra in _IGNORED:
                lib.XGrabKey(display, keycode, mask | extra, root, 0, GRAB_MODE_ASYNC, GRAB_MODE_ASYNC)
            lib.XSync(display, 0)
            with _errors_lock:
                refused, _errors[display] = BAD_ACCESS in _errors[display], []
            if refused:
                for extra in _IGNORED:
                    lib.XUngrabKey(display, keycode, mask | extra, root)
                self.problems.append(
                    f"global hotkey for {binding.action} off: another program holds {binding.chord.text}"
                )
                continue
            self._keys[(keycode, mask)] = binding
            self.grabbed.append(binding)
        lib.XSync(display, 0)
        for problem in self.problems:
            log.warning("%s", problem)

    def _listen(self, lib: ctypes.CDLL, display: int) -> None:
        """Wait on the X socket and the wake pipe; hand each grabbed key on."""
        x_fd = lib.XConnectionNumber(display)
        event = _XEvent()
        while True:
            while lib.XPending(display):
                lib.XNextEvent(display, ctypes.byref(event))
                if event.type in (KEY_PRESS, KEY_RELEASE) and not self._repeat(lib, display, event):
                    self._key(event.xkey, event.type == KEY_PRESS)
            ready, _, _ = select.select([x_fd, self._wake_r], [], [])
            if self._wake_r in ready:
                return

    def _repeat(self, lib: ctypes.CDLL, display: int, event: _XEvent) -> bool:
        """Without detectable auto-repeat, a repeat is a release and a press with one timestamp."""
        if self.detectable_repeat or event.type != KEY_RELEASE:
            return False
        if not lib.XEventsQueued(display, QUEUED_AFTER_READING):
            return False
        following = _XEvent()
        lib.XPeekEvent(display, ctypes.byref(following))
        same = (
            following.type == KEY_PRESS
            and following.xkey.keycode == event.xkey.keycode
            and following.xkey.time == event.xkey.time
        )
        if same:
            self.repeats_dropped += 1
            lib.XNextEvent(display, ctypes.byref(following))  # the press of the repeat goes too
        return same

    def _key(self, key: _XKeyEvent, pressed: bool) -> None:
        """A grabbed key went down or up: deliver its first press, and a hold key's release."""
        keycode = int(key.keycode)
        if not pressed:
            binding = self._down.pop(keycode, None)
            if binding is not None and binding.hold:
                self._call(binding.action, False)
            return
        if keycode in self._down:
            self.repeats_dropped += 1
            return  # auto-repeat of a key held down: talk is not pressed again, dump not repeated
        binding = self._keys.get((keycode, int(key.state) & _RELEVANT))
        if binding is None:
            return
        self._down[keycode] = binding
        self._call(binding.action, True)

    def _release_held(self) -> None:
        """Closing (or re-grabbing) with a hold key down: its release would go to another client
        once ungrabbed, so it is delivered here; else push-to-talk would stay pressed."""
        held, self._down = self._down, {}
        for binding in held.values():
            if binding.hold:
                self._call(binding.action, False)

    def _call(self, action: str, pressed: bool) -> None:
        """Hand the action on; a failing command is logged and the hotkeys keep working."""
        try:
            self._deliver(action, pressed)
        except Exception:
            log.exception("global hotkey %s failed", action)
