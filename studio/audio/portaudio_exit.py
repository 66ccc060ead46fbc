"""PortAudio's exit clean-up, skipped while one of its calls is stuck on another thread.

sounddevice terminates PortAudio at interpreter exit, which closes every stream and destroys their
mutexes. If a driver call never returned (a start or an abort stuck in ALSA's pulse plugin, given up
after its timeout), its stream's mutex is still held and PortAudio kills the process on an assertion
(PaUnixMutex_Terminate: a CI run ended with SIGABRT after all its tests had passed). The process is
ending and the system frees all of it, so then the studio only stops the streams that are not stuck
and leaves the rest of the clean-up to the system.
Threading: `calling` from any thread that calls into PortAudio; `_at_exit` at interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

_lock = threading.Lock()
_anonymous = 0  # calls in flight that have no stream yet (opening one)
_streams_in_flight: dict[int, int] = {}  # id(stream) → calls in flight on it
# Every stream made for the studio and not closed yet, held strongly: sounddevice streams have no
# finaliser, so a running stream dropped without close() (an owner that failed half-way, collected
# later) would leave PortAudio calling a freed callback on its own thread: a native crash.
_opened: set[Any] = set()
_installed = False


@contextlib.contextmanager
def calling(stream: Any = None) -> Iterator[None]:
    """Mark a PortAudio call in flight (on `stream`, or opening a new one) for its duration."""
    global _anonymous
    key = id(stream) if stream is not None else None
    with _lock:
        if key is None:
            _anonymous += 1
        else:
            _streams_in_flight[key] = _streams_in_flight.get(key, 0) + 1
    try:
        yield
    finally:
        with _lock:
            if key is None:
                _anonymous -= 1
            elif _streams_in_flight[key] <= 1:
                del _streams_in_flight[key]
            else:
                _streams_in_flight[key] -= 1


def track(stream: Any) -> Any:
    """Keep a stream made for the studio alive until it is closed; returns it."""
    with _lock:
        for done in [s for s in _opened if s.closed]:
            _opened.discard(done)
        _opened.add(stream)
    return stream


def untrack(stream: Any) -> None:
    """The stream is closed (or was never started): let it go."""
    with _lock:
        _opened.discard(stream)


def open_streams() -> list[Any]:
    """The studio's streams not closed yet (stuck ones included)."""
    with _lock:
        return [stream for stream in _opened if not stream.closed]


def stuck() -> int:
    """How many PortAudio calls are in flight now."""
    with _lock:
        return _anonymous + sum(_streams_in_flight.values())


def install(sounddevice: Any) -> None:
    """Put the guard in front of sounddevice's exit handler (once per process)."""
    global _installed
    handler = getattr(sounddevice, "_exit_handler", None)
    if _installed or handler is None:
        return
    atexit.unregister(handler)
    atexit.register(_at_exit, handler)
    _installed = True


def _at_exit(handler: Callable[[], None]) -> None:
    """sounddevice's clean-up when no call is stuck; else stop what can be stopped and leave."""
    in_flight = stuck()
    if not in_flight:
        handler()
        return
    with _lock:
        busy = set(_streams_in_flight)
    for stream in open_streams():
        if id(stream) not in busy:
            with contextlib.suppress(Exception):
                stream.abort()
    sys.stderr.write(
        f"ai-anchor-studio: {in_flight} audio driver call(s) never returned; "
        "PortAudio's exit clean-up is left to the system\n"
    )
