"""One device stream that survives its device: it notices a loss, says so, and reconnects.

Threading: `open`/`close` on the owner's thread, `check` on the device watcher thread (both under
the stream's lock); the PortAudio callback only sets a flag when the stream dies under it. A
stream is released (abort + close) on a short-lived thread of its own, waited for at most
RELEASE_TIMEOUT_S: ALSA's pulse plugin can block forever in abort when the server dropped the
stream under it, and that must never hold the lock, the show or the window.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from studio.audio import portaudio_exit
from studio.audio.devices import AudioDeviceError, DeviceInfo
from studio.audio.pulse import PulseControl, PulseUnavailable
from studio.audio.streams import channels_for, open_stream

log = logging.getLogger(__name__)
RELEASE_TIMEOUT_S = 3.0
# Starting a stream can block forever too (seen: Pa_StartStream never returned while a sink went
# live under load; the process could then never exit, its executor thread stuck in it).
START_TIMEOUT_S = 5.0
# A stream that stays "active" but whose callback stopped (seen: 6 callbacks, then none for 30 s,
# in a full test run) is silent on air with nothing reporting it; after this long it is reopened.
# Model loading held the GIL for up to 0.75 s at a time, so this stays well above that.
STALL_S = 3.0
State = Literal["idle", "playing", "fallback", "lost", "closed"]
EventKind = Literal["opened", "lost", "fallback", "reconnected", "closed"]


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """A device state change the studio shows: `role` is program, monitor or mic."""

    role: str
    device: str
    kind: EventKind
    detail: str
    at: float = field(default_factory=time.time)

    def message(self) -> str:
        return f"{self.role} device {self.device!r}: {self.kind} — {self.detail}"


class DeviceStream:
    """Base for the program/monitor sinks and the mic: lifecycle, loss and reconnection."""

    def __init__(
        self,
        role: str,
        device: DeviceInfo,
        on_event: Callable[[DeviceEvent], None],
        pulse: PulseControl | None,
        latency_ms: int = 0,
    ) -> None:
        self.role, self.device = role, device
        self.rate = device.rate
        self._on_event, self._pulse, self._latency_ms = on_event, pulse, latency_ms
        self._channels = channels_for(device)
        self._lock = threading.RLock()
        self._stream: Any = None
        self._pulse_index: int | None = None
        self._died = False  # set by the finished callback when we did not stop the stream
        self._generation = 0  # which stream a finished callback is about (an abandoned one is ignored)
        self.abandoned = 0  # streams the driver never released within RELEASE_TIMEOUT_S
        self.stalls = 0  # streams reopened because their callback stopped coming
        self._progress_seen: tuple[int, float] | None = None  # (callback count, when it last moved)
        self._stopping = False
        self.recreated = 0  # server streams re-created under us (ALSA underrun recovery), followed
        self.state: State = "idle"

    # ----- hooks for subclasses -----------------------------------------------------------------
    def _callback(self, *args: Any) -> None:
        raise NotImplementedError

    def _on_lost(self) -> None:
        """The stream is gone: keep time without it (outputs) or go quiet (inputs)."""

    def _on_restored(self) -> None:
        """About to start a new stream: stop whatever kept time meanwhile."""

    def _progress(self) -> int | None:
        """A count the callback moves on every call (None: this stream is not watched for stalls)."""
        return None

    # ----- lifecycle ----------------------------------------------------------------------------
    def open(self) -> None:
        """Open and start; raises AudioDeviceError if the device cannot be opened now."""
        with self._lock:
            self._start_stream()
            self._emit("opened", f"{self.rate} Hz, {self._channels} ch")

    def _start_stream(self) -> None:
        self._died = False
        self._progress_seen = None
        self._generation += 1
        generation = self._generation
        opening = _Opening(
            lambda: open_stream(
                self.device,
                self._callback,
                lambda: self._finished(generation),
                channels=self._channels,
                latency_ms=self._latency_ms,
                pulse=self._pulse,
                before_start=self._on_restored,
            ),
            f"{self.role}-start",
        )
        opened = opening.result(START_TIMEOUT_S)
        if opened is None:
            self.abandoned += 1
            self._generation += 1  # the stream it may still start is closed by its own thread
            raise AudioDeviceError(
                f"the audio driver did not start the {self.role} stream on {self.device.name!r} "
                f"in {START_TIMEOUT_S:g} s; trying again when the device is checked next"
            )
        stream, index = opened
        self._stream, self._pulse_index = stream, index
        if self._pulse is not None and index is not None:
            self._pulse.claimed.add(index)
        self.state = "playing"

    def _finished(self, generation: int) -> None:
        if not self._stopping and generation == self._generation:
            self._died = True

    def close(self) -> None:
        with self._lock:
            self._drop_stream()
            self._on_restored()
            self.state = "closed"

    def _drop_stream(self) -> None:
        if self._pulse is not None and self._pulse_index is not None:
            self._pulse.claimed.discard(self._pulse_index)
        stream, self._stream = self._stream, None
        if stream is None:
            return
        self._stopping = True
        try:
            releaser = threading.Thread(
                target=_release, args=(stream,), name=f"{self.role}-release", daemon=True
            )
            releaser.start()
            releaser.join(RELEASE_TIMEOUT_S)
            if releaser.is_alive():
                self.abandoned += 1
                self._generation += 1  # its late finished callback is about no stream of ours
                log.error(
                    "%s device %r: the audio driver did not release its stream in %.0f s; "
                    "abandoned it and went on",
                    self.role,
                    self.device.name,
                    RELEASE_TIMEOUT_S,
                )
        finally:
            self._stopping = False

    def _emit(self, kind: EventKind, detail: str) -> None:
        event = DeviceEvent(self.role, self.device.name, kind, detail)
        log.info(event.message())
        self._on_event(event)

    def lose(self, detail: str) -> None:
        """The device is gone: drop the stream, keep time without it, tell the studio."""
        with self._lock:
            if self.state in ("lost", "closed"):
                return
            self._drop_stream()
            self.state = "lost"
            self._on_lost()
            self._emit("lost", detail)

    # ----- watcher ------------------------------------------------------------------------------
    def check(self) -> None:
        """Notice a dead or moved stream, and reconnect once the device is back (watcher thread)."""
        with self._lock:
            if self.state == "closed":
                return
            if self._stream is not None and (self._died or not self._stream.active):
                self.lose("the stream stopped (device removed or server gone); keeping time in silence")
            elif self._stalled():
                self.stalls += 1
                self.lose(f"the device stopped taking audio ({STALL_S:g} s without a callback); reopening it")
            if self.state == "lost":
                self._try_reconnect()
            elif self.device.backend == "pulse" and self._pulse is not None:
                self._check_route()

    def _stalled(self) -> bool:
        """The stream is open and said active, but its callback has not moved for STALL_S."""
        progress = self._progress()
        if progress is None or self._stream is None or self.state not in ("playing", "fallback"):
            self._progress_seen = None
            return False
        now = time.monotonic()
        if self._progress_seen is None or self._progress_seen[0] != progress:
            self._progress_seen = (progress, now)
            return False
        return now - self._progress_seen[1] >= STALL_S

    def _try_reconnect(self) -> None:
        if self.device.backend == "pulse":
            try:
                present = self._device_present()
            except PulseUnavailable:
                return
            if not present:
                return
        try:
            self._start_stream()
        except AudioDeviceError as exc:
            log.debug("reconnect failed: %s", exc)
            self._drop_stream()
            self._on_lost()
            self.state = "lost"
            return
        self._emit("reconnected", "the device is back; playing to it again")

    def _device_present(self) -> bool:
        assert self._pulse is not None
        if self.device.kind == "output":
            return self._pulse.sink_exists(self.device.name)
        return self._pulse.source_exists(self.device.name)

    def _adopt_recreated_stream(self, direction: str) -> bool:
        """After an underrun ALSA's pulse plugin re-creates its server stream under a new index:
        follow it (and move it back to our device) instead of reporting a lost device."""
        assert self._pulse is not None and self._pulse_index is not None
        if self._stream is None or self._died or not self._stream.active:
            return False
        own = self._pulse.own_streams(direction)  # type: ignore[arg-type]
        unclaimed = sorted(set(own) - self._pulse.claimed)
        if len(unclaimed) != 1:
            return False
        self._pulse.claimed.discard(self._pulse_index)
        self._pulse_index = unclaimed[0]
        self._pulse.claimed.add(self._pulse_index)
        self.recreated += 1
        log.info("%s stream re-created by the server after an underrun (index %d)", self.role, unclaimed[0])
        target = self._pulse.device_index(self.device.name, direction)  # type: ignore[arg-type]
        if target is not None and own[self._pulse_index] != target:
            self._pulse.move_stream(self._pulse_index, self.device.name, direction)  # type: ignore[arg-type]
        return True

    def _check_route(self) -> None:
        """Pulse moves a stream elsewhere when its device goes: report it and move it back later."""
        assert self._pulse is not None
        if self._pulse_index is None:
            return
        direction = "sink" if self.device.kind == "output" else "source"
        try:
            current = self._pulse.stream_device(self._pulse_index, direction)
            target = self._pulse.device_index(self.device.name, direction)
        except PulseUnavailable:
            self.lose("the audio server went away; keeping time in silence")
            return
        if current is None and self._adopt_recreated_stream(direction):
            return
        if current is None:
            self.lose("the server dropped the stream; keeping time in silence")
        elif target is None and self.state != "fallback":
            self.state = "fallback"
            self._emit("fallback", "the device is gone; the server moved the stream to another device")
        elif target is not None and current != target:
            self._pulse.move_stream(self._pulse_index, self.device.name, direction)
            self.state = "playing"
            self._emit("reconnected", "the device is back; playing to it again")


def _release(stream: Any) -> None:
    """Stop and close one PortAudio stream (on its own thread: the driver may never return)."""
    with portaudio_exit.calling(stream):
        with contextlib.suppress(Exception):
            stream.abort()
        with contextlib.suppress(Exception):
            stream.close()
    if getattr(stream, "closed", True):  # a double without the flag: nothing of PortAudio to keep
        portaudio_exit.untrack(stream)


class _Opening:
    """Open and start a stream on a daemon thread of its own, waited for at most a timeout; a stream
    that starts after its caller gave up is closed at once by that thread (nobody owns it)."""

    def __init__(self, open_and_start: Callable[[], tuple[Any, int | None]], name: str) -> None:
        """Starts the thread at once."""
        self._open, self._lock = open_and_start, threading.Lock()
        self._done: tuple[Any, int | None] | BaseException | None = None
        self._abandoned = False
        self._finished = threading.Event()
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self) -> None:
        try:
            outcome: tuple[Any, int | None] | BaseException = self._open()
        except BaseException as exc:  # handed to the caller, raised there
            outcome = exc
        with self._lock:
            if not self._abandoned:
                self._done = outcome
                self._finished.set()
                return
        if isinstance(outcome, tuple):
            _release(outcome[0])

    def result(self, timeout: float) -> tuple[Any, int | None] | None:
        """The opened (stream, pulse index); None when it did not finish in `timeout` (abandoned)."""
        self._finished.wait(timeout)
        with self._lock:
            if self._done is None:
                self._abandoned = True
                return None
            done = self._done
        if isinstance(done, BaseException):
            raise done
        return done
