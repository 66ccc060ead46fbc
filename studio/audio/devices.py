"""Audio devices by name: what the GUI's pickers, `devices` and `doctor` list and remember.

On Linux with a PulseAudio/PipeWire server the devices are its sinks and sources (PortAudio only
sees one `pulse` device there); elsewhere they are PortAudio's. Virtual devices (null sinks and
their monitors, VB-Cable, BlackHole, Loopback) are marked so the user can tell where OBS listens.
Threading: any thread but an audio callback (queries block on the server).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from studio.audio.pulse import PulseControl, PulseUnavailable

Kind = Literal["input", "output"]
VIRTUAL_MARKERS = ("cable input", "cable output", "vb-audio", "blackhole", "soundflower", "loopback", "null")
PSEUDO_DEVICES = ("pulse", "default", "sysdefault", "pipewire")


class AudioDeviceError(RuntimeError):
    """No usable device (no server, unknown name); the message names the problem and the fix."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """One input or output as the user picks it; `name` is what settings remember."""

    name: str
    kind: Kind
    is_virtual: bool
    default: bool
    channels: int
    rate: int
    description: str = ""
    backend: Literal["pulse", "portaudio"] = "portaudio"
    monitor_of: str = ""  # for a monitor input: the output it hears (PulseAudio/PipeWire)

    @property
    def label(self) -> str:
        """The name a user recognises (the server's description, else the device name)."""
        return self.description or self.name

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, wanted: str) -> bool:
        wanted = wanted.strip().casefold()
        return wanted in (self.name.casefold(), self.description.casefold())


def is_virtual_name(name: str) -> bool:
    lowered = name.casefold()
    return any(marker in lowered for marker in VIRTUAL_MARKERS)


def list_devices(pulse: PulseControl | None = None) -> list[DeviceInfo]:
    """Every input and output; raises AudioDeviceError when no audio server/device is reachable."""
    if sys.platform.startswith("linux"):
        control = pulse or PulseControl()
        try:
            found = control.devices()
        except PulseUnavailable as exc:
            found = None
            pulse_problem = str(exc)
        finally:
            if pulse is None:
                control.close()
        if found is not None:
            return [_from_pulse(d) for d in found]
        devices = [d for d in _portaudio_devices() if d.name not in PSEUDO_DEVICES]
        if not devices:
            raise AudioDeviceError(f"no audio devices: {pulse_problem}")
        return devices
    devices = _portaudio_devices()
    if not devices:
        raise AudioDeviceError(
            "no audio devices found by PortAudio: check that the sound system is running and that "
            "this user may use it"
        )
    return devices


def find_device(name: str | None, kind: Kind, devices: list[DeviceInfo]) -> DeviceInfo:
    """The device called `name` (name or description, any case), or the default one."""
    candidates = [d for d in devices if d.kind == kind]
    if not candidates:
        raise AudioDeviceError(f"no audio {kind} devices available; connect one or start the audio server")
    if not name:
        return next((d for d in candidates if d.default), candidates[0])
    for device in candidates:
        if device.matches(name):
            return device
    choices = ", ".join(repr(d.name) for d in candidates)
    raise AudioDeviceError(f"no {kind} device named {name!r}; choose one of: {choices}")


def find_mic(
    name: str | None, devices: list[DeviceInfo], outputs: Sequence[DeviceInfo]
) -> tuple[DeviceInfo | None, str]:
    """The host mic, never the monitor of an output the studio plays to; returns (mic, why not).

    Such an input hears the anchor itself, and the anchor would answer its own voice: a named one
    is refused (mic off, with the reason), a default one is passed over for the next input that
    is not a loop (or none, e.g. a machine whose only source is the program sink's monitor).
    Raises AudioDeviceError for an unknown name, like `find_device`.
    """
    played = {o.name: o for o in outputs}

    def loop_of(device: DeviceInfo) -> DeviceInfo | None:
        return played.get(device.monitor_of) if device.monitor_of else None

    inputs = [d for d in devices if d.kind == "input"]
    if not inputs:
        return None, "no audio input devices: connect a microphone and press ↻ in Devices"
    chosen = find_device(name, "input", devices)
    output = loop_of(chosen)
    if output is None:
        return chosen, ""
    problem = (
        f"host mic {chosen.label!r} is the monitor of {output.label!r}, where the anchor plays: "
        "it would hear and answer itself"
    )
    if name:
        return None, f"{problem}. The mic is off; pick your microphone in Devices"
    other = next((d for d in inputs if loop_of(d) is None), None)
    if other is None:
        return None, (
            f"no microphone: the only input, {problem}. The mic is off; connect one and press ↻ in "
            "Devices (typed lines and 'Play file as host…' still work)"
        )
    return other, f"the system default input, {problem}; using {other.label!r}"


def _from_pulse(device: Any) -> DeviceInfo:
    return DeviceInfo(
        name=device.name,
        kind="output" if device.direction == "sink" else "input",
        is_virtual=device.is_monitor or device.is_null or is_virtual_name(device.description),
        default=device.is_default,
        channels=device.channels,
        rate=device.sample_rate,
        description=device.description,
        backend="pulse",
        monitor_of=device.monitor_of,
    )


def _portaudio_devices() -> list[DeviceInfo]:
    import sounddevice

    try:
        raw = sounddevice.query_devices()
        default_in, default_out = sounddevice.default.device
    except sounddevice.PortAudioError as exc:
        raise AudioDeviceError(f"PortAudio cannot list devices ({exc}); reinstall libportaudio2") from None
    found = []
    for index, device in enumerate(raw):
        for kind, channels, default in (
            ("input", device["max_input_channels"], index == default_in),
            ("output", device["max_output_channels"], index == default_out),
        ):
            if channels > 0:
                found.append(
                    DeviceInfo(
                        name=device["name"],
                        kind=kind,  # type: ignore[arg-type]
                        is_virtual=is_virtual_name(device["name"]),
                        default=default,
                        channels=int(channels),
                        rate=int(device["default_samplerate"]),
                        description=device["name"],
                    )
                )
    return found
