"""Opening PortAudio streams on a device chosen by name, routed through Pulse where it runs.

Threading: called from whichever thread opens or reopens a device (the owner at start, the
device watcher after a loss); never from an audio callback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from studio.audio import portaudio_exit
from studio.audio.devices import AudioDeviceError, DeviceInfo
from studio.audio.pulse import PulseControl

Callback = Callable[..., None]


def _latency(latency_ms: int) -> str | float:
    return "low" if latency_ms <= 0 else latency_ms / 1000.0


def open_stream(
    device: DeviceInfo,
    callback: Callback,
    finished: Callable[[], None],
    *,
    channels: int,
    latency_ms: int = 0,
    pulse: PulseControl | None = None,
    before_start: Callable[[], None] = lambda: None,
) -> tuple[Any, int | None]:
    """A started sounddevice stream on `device` at its own rate; (stream, pulse stream index).

    `before_start` runs between opening and starting (the caller stops its stand-in clock).
    Pulse's ALSA plugin creates the server-side stream on start, so routing waits for it.
    """
    import sounddevice

    portaudio_exit.install(sounddevice)

    stream_cls = sounddevice.OutputStream if device.kind == "output" else sounddevice.InputStream
    options = dict(
        samplerate=device.rate,
        channels=channels,
        dtype="float32",
        latency=_latency(latency_ms),
        callback=callback,
        finished_callback=finished,
    )
    try:
        if device.backend == "pulse":
            if pulse is None:
                raise AudioDeviceError("a Pulse device needs a Pulse connection")
            direction = "sink" if device.kind == "output" else "source"
            _ensure_pulse_device(sounddevice)

            def start(stream: Any) -> None:
                before_start()
                _start(stream)

            return pulse.open_routed(
                device.name, direction, lambda: _make(stream_cls, device="pulse", **options), start
            )
        stream = _make(stream_cls, device=device.name, **options)
        before_start()
        _start(stream)
        return stream, None
    except sounddevice.PortAudioError as exc:
        raise AudioDeviceError(
            f"cannot open {device.kind} device {device.name!r} ({exc}); pick another with "
            "`ai-anchor-studio devices`"
        ) from None
    except ValueError as exc:  # sounddevice: no such device name
        raise AudioDeviceError(f"cannot open {device.kind} device {device.name!r} ({exc})") from None


def _ensure_pulse_device(sounddevice: Any) -> None:
    """PortAudio lists devices once; if no server answered then, its `pulse` device is missing.

    Listing again means restarting PortAudio, which frees every stream it has: only done while none
    of ours is open (one still open, even a hung one, would be freed under its thread).
    """
    if any(d["name"] == "pulse" for d in sounddevice.query_devices()):
        return
    if portaudio_exit.open_streams() or portaudio_exit.stuck():
        raise AudioDeviceError(
            "PortAudio started before the audio server and lists no 'pulse' device, and streams are "
            "open, so it cannot look again now; restart the studio with the server running"
        )
    sounddevice._terminate()
    sounddevice._initialize()


def _start(stream: Any) -> None:
    """Start a stream; one that will not start is closed (and let go) before the error goes up."""
    try:
        with portaudio_exit.calling(stream):
            stream.start()
    except BaseException:
        with contextlib.suppress(Exception), portaudio_exit.calling(stream):
            stream.close()
        portaudio_exit.untrack(stream)
        raise


def _make(stream_cls: Any, **options: Any) -> Any:
    """Open a stream, counted as a call in flight until PortAudio returns it, and remember it."""
    with portaudio_exit.calling():
        return portaudio_exit.track(stream_cls(**options))


def channels_for(device: DeviceInfo) -> int:
    """Mono where the device takes it, else stereo with the same signal in both channels."""
    return 1 if device.backend == "pulse" or device.channels == 1 else min(2, device.channels)
