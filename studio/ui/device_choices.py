"""The device pickers' contents without Qt: devices by name, the entries each picker offers, and the
two calls that block on the audio server (listing devices, creating the AI_Anchor_Out sink).

Threading: `studio_devices` and `make_anchor_sink` block for a round trip to PulseAudio/PipeWire
(or a PortAudio scan): the device presenter runs them on a worker, never on the GUI thread. The
rest is plain data, used on any thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SYSTEM_DEFAULT = "System default"
NO_MONITOR = "Off"
NOT_CONNECTED = " (not connected)"

Entry = tuple[str, str]  # (label shown, device name remembered; '' = default / off)


@dataclass(frozen=True, slots=True)
class DeviceChoice:
    """A device as the pickers show it; `name` is what is remembered."""

    name: str
    is_input: bool
    is_output: bool
    is_virtual: bool = False
    description: str = ""

    @property
    def label(self) -> str:
        shown = self.description or self.name
        return f"{shown} (virtual)" if self.is_virtual else shown


@dataclass(frozen=True, slots=True)
class DeviceLists:
    """What each picker offers, default/off entry first."""

    mic: tuple[Entry, ...]
    program: tuple[Entry, ...]
    monitor: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class PickerItems:
    """One picker's entries and which of them is selected."""

    entries: tuple[Entry, ...]
    current: int


def device_lists(devices: Sequence[DeviceChoice]) -> DeviceLists:
    """Inputs for the mic; outputs for program and monitor (the monitor can be off)."""
    inputs = tuple((d.label, d.name) for d in devices if d.is_input)
    outputs = tuple((d.label, d.name) for d in devices if d.is_output)
    return DeviceLists(
        ((SYSTEM_DEFAULT, ""), *inputs), ((SYSTEM_DEFAULT, ""), *outputs), ((NO_MONITOR, ""), *outputs)
    )


def picker_items(entries: Sequence[Entry], keep: str) -> PickerItems:
    """`entries` with `keep` selected; a remembered device that is gone stays, marked not connected
    (its stream reconnects when it returns)."""
    kept = [entry for entry in entries if not entry[0].endswith(NOT_CONNECTED)]
    names = [name for _label, name in kept]
    if keep and keep not in names:
        kept.append((f"{keep}{NOT_CONNECTED}", keep))
        names.append(keep)
    return PickerItems(tuple(kept), names.index(keep) if keep in names else 0)


def studio_devices() -> list[DeviceChoice]:
    """What the audio server reports (PulseAudio/PipeWire sinks and sources, else PortAudio); blocks."""
    from studio.audio.devices import list_devices

    return [
        DeviceChoice(d.name, d.kind == "input", d.kind == "output", d.is_virtual, d.description)
        for d in list_devices()
    ]


def make_anchor_sink() -> tuple[str, str]:
    """Add the AI_Anchor_Out null sink (blocks on the server); → (its name, how OBS captures it)."""
    from studio.audio.pulse import ANCHOR_SINK, PulseControl, obs_instruction

    control = PulseControl()
    try:
        control.create_anchor_sink()
    finally:
        control.close()
    return ANCHOR_SINK, obs_instruction()
