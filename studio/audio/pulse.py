"""PulseAudio / PipeWire control (pulsectl): sinks, the AI_Anchor_Out null sink, stream routing.

Debian's PortAudio reaches Pulse only through its `pulse` ALSA device, which plays to the default
sink; a chosen sink is reached by setting PULSE_SINK / PULSE_SOURCE while the stream opens (see
pulse_env: one opener at a time, and a hung one cannot block the rest), and
checked (and, after a sink came back, restored) by moving the stream with libpulse.
Threading: one `PulseControl` may be shared; every call takes its lock (libpulse's client is not
thread-safe). Calls block for a round trip to the server (~1 ms): never from an audio callback.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from studio.audio import pulse_env

ANCHOR_SINK = "ai_anchor_out"
ANCHOR_SINK_DESCRIPTION = "AI_Anchor_Out"

Direction = Literal["sink", "source"]
Opened = TypeVar("Opened")


def obs_instruction(sink: str = ANCHOR_SINK, description: str = ANCHOR_SINK_DESCRIPTION) -> str:
    """The one line that tells a streamer how to capture the anchor in OBS."""
    return (
        f'In OBS: Sources → + → "Audio Output Capture (PulseAudio)" → Device "Monitor of {description}" '
        f"({sink}.monitor)."
    )


class PulseUnavailable(RuntimeError):
    """No PulseAudio/PipeWire server answered; the message says what to check."""


@dataclass(frozen=True, slots=True)
class PulseDevice:
    """One sink or source as the server describes it."""

    name: str
    description: str
    direction: Direction
    sample_rate: int
    channels: int
    is_monitor: bool
    is_null: bool
    is_default: bool
    monitor_of: str = ""  # for a monitor source: the sink it listens to


class PulseControl:
    """A lock-guarded libpulse connection that reconnects after the server restarts."""

    def __init__(self, client_name: str = "ai-anchor-studio") -> None:
        self._client_name = client_name
        self._lock = threading.RLock()
        self._pulse: Any = None
        #: Stream indices our DeviceStreams own (so a re-created one can be told apart).
        self.claimed: set[int] = set()

    # ----- connection -------------------------------------------------------------------------
    def _connected(self) -> Any:
        import pulsectl

        if self._pulse is not None and self._pulse.connected:
            return self._pulse
        if self._pulse is not None:
            with contextlib.suppress(Exception):
                self._pulse.close()
        try:
            self._pulse = pulsectl.Pulse(self._client_name, connect=True, threading_lock=False)
        except pulsectl.PulseError as exc:
            self._pulse = None
            raise PulseUnavailable(
                f"no PulseAudio/PipeWire server answered ({exc}); start it (pulseaudio --start) "
                "or check PULSE_SERVER / XDG_RUNTIME_DIR / HOME"
            ) from None
        return self._pulse

    def _call(self, action: Callable[[Any], Any]) -> Any:
        import pulsectl

        with self._lock:
            try:
                return action(self._connected())
            except pulsectl.PulseDisconnected:
                self._pulse = None
                return action(self._connected())

    def available(self) -> bool:
        try:
            self._call(lambda pulse: pulse.server_info())
        except PulseUnavailable:
            return False
        return True

    def close(self) -> None:
        with self._lock:
            if self._pulse is not None:
                self._pulse.close()
                self._pulse = None

    # ----- devices ----------------------------------------------------------------------------
    def devices(self) -> list[PulseDevice]:
        """Every sink and source, the default ones marked."""

        def collect(pulse: Any) -> list[PulseDevice]:
            info = pulse.server_info()
            found = []
            for sink in pulse.sink_list():
                found.append(_describe(sink, "sink", info.default_sink_name))
            for source in pulse.source_list():
                found.append(_describe(source, "source", info.default_source_name))
            return found

        return self._call(collect)

    def sink_exists(self, name: str) -> bool:
        return any(d.name == name for d in self.devices() if d.direction == "sink")

    def source_exists(self, name: str) -> bool:
        return any(d.name == name for d in self.devices() if d.direction == "source")

    def create_anchor_sink(self, sink: str = ANCHOR_SINK, description: str = ANCHOR_SINK_DESCRIPTION) -> bool:
        """Load a null sink OBS can capture; False if it already existed."""
        if self.sink_exists(sink):
            return False
        argument = f"sink_name={sink} sink_properties=device.description={description}"
        self._call(lambda pulse: pulse.module_load("module-null-sink", argument))
        return True

    def remove_anchor_sink(self, sink: str = ANCHOR_SINK) -> bool:
        """Unload the null sink(s) named `sink`; False if there was none."""

        def unload(pulse: Any) -> bool:
            modules = [
                m
                for m in pulse.module_list()
                if m.name == "module-null-sink" and f"sink_name={sink}" in (m.argument or "").split()
            ]
            for module in modules:
                pulse.module_unload(module.index)
            return bool(modules)

        return self._call(unload)

    # ----- stream routing ---------------------------------------------------------------------
    def own_streams(self, direction: Direction) -> dict[int, int]:
        """Our process's sink-inputs (or source-outputs): index → the device index they play on."""
        pid = str(os.getpid())

        def collect(pulse: Any) -> dict[int, int]:
            items = pulse.sink_input_list() if direction == "sink" else pulse.source_output_list()
            owner = "sink" if direction == "sink" else "source"
            return {
                s.index: getattr(s, owner) for s in items if s.proplist.get("application.process.id") == pid
            }

        return self._call(collect)

    def device_index(self, name: str, direction: Direction) -> int | None:
        def find(pulse: Any) -> int | None:
            items = pulse.sink_list() if direction == "sink" else pulse.source_list()
            return next((d.index for d in items if d.name == name), None)

        return self._call(find)

    def stream_device(self, stream: int, direction: Direction) -> int | None:
        """The device index a stream of ours plays on/records from, None if it is gone."""
        return self.own_streams(direction).get(stream)

    def move_stream(self, stream: int, device: str, direction: Direction) -> bool:
        """Move our stream to the named device; False if either is gone."""
        target = self.device_index(device, direction)
        if target is None or stream not in self.own_streams(direction):
            return False
        import pulsectl

        try:
            if direction == "sink":
                self._call(lambda pulse: pulse.sink_input_move(stream, target))
            else:
                self._call(lambda pulse: pulse.source_output_move(stream, target))
        except pulsectl.PulseOperationFailed:  # gone meanwhile (ALSA recovery re-creates streams)
            return False
        return True

    def open_routed(
        self,
        device: str,
        direction: Direction,
        open_stream: Callable[[], Opened],
        start: Callable[[Opened], None],
    ) -> tuple[Opened, int | None]:
        """Open a PortAudio `pulse` stream that lands on `device`, start it, and find its index.

        The index is None when the server showed no new stream, or when this open hung so long that
        the next opener took the turn over (the caller gives such a stream up anyway).
        """
        variable = "PULSE_SINK" if direction == "sink" else "PULSE_SOURCE"
        with pulse_env.TURNS.hold() as turn:
            before = set(self.own_streams(direction))
            turn.route(variable, device)
            try:
                stream = open_stream()
            finally:
                turn.put_back()
            start(stream)  # the plugin creates the server-side stream on start
            if not turn.held:
                return stream, None
            new = sorted(set(self.own_streams(direction)) - before)
        if not new:
            return stream, None
        self.move_stream(new[-1], device, direction)  # PULSE_SINK ignored by the server: still routed
        return stream, new[-1]


def _describe(item: Any, direction: Direction, default_name: str) -> PulseDevice:
    props = item.proplist
    is_monitor = direction == "source" and (
        props.get("device.class") == "monitor" or getattr(item, "monitor_of_sink_name", None) is not None
    )
    if direction == "source" and getattr(item, "monitor_of_sink", 0xFFFFFFFF) not in (None, 0xFFFFFFFF):
        is_monitor = True
    driver = getattr(item, "driver", "") or ""
    is_null = "null" in driver or props.get("device.class") == "abstract"
    return PulseDevice(
        name=item.name,
        description=item.description or item.name,
        direction=direction,
        sample_rate=int(item.sample_spec.rate),
        channels=int(item.channel_count),
        is_monitor=is_monitor,
        is_null=is_null,
        is_default=item.name == default_name,
        monitor_of=(getattr(item, "monitor_of_sink_name", None) or "") if is_monitor else "",
    )
