"""Records a voice reference from the mic so the host can make a profile without leaving the studio.

Threading: `MicRecorder._callback` runs on the PortAudio thread and only copies into a preallocated
SampleRing. `RecorderFactory.problem`/`open` block briefly on the audio server: call them off the
Qt main thread. `TakeBuffer` (the ring's one consumer) and `trim_silence` run on the Qt main thread.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Protocol

import numpy as np

from studio.audio.ring import SampleRing
from studio.voices.reference import MAX_SECONDS

RING_SECONDS = 2.0  # the GUI drains the ring at ~30 Hz; two seconds rides out a stalled frame
TRIM_FRAME_S = 0.02
TRIM_PAD_S = 0.15  # keep a breath of room before the first and after the last word
TRIM_FLOOR_DB = -50.0  # never call anything louder than this silence
TRIM_BELOW_PEAK_DB = 40.0  # a frame this far below the loudest frame is room noise
FLOOR_DB = -120.0


class RecorderUnavailable(RuntimeError):
    """No input device can be opened; the message says why and what to do."""


class Recorder(Protocol):
    """An open input: audio arrives in `ring` (mono float32 at `rate`) until `close()`."""

    rate: int
    ring: SampleRing

    def close(self) -> None: ...


class RecorderFactory(Protocol):
    """Where recordings come from: the mic in the studio, a replayed file in tests."""

    def problem(self) -> str | None:
        """Why nothing can be recorded (no device, no server), or None when recording works."""
        ...

    def open(self) -> Recorder:
        """Open and start the input; raises RecorderUnavailable."""
        ...


def level_db(samples: np.ndarray) -> tuple[float, float]:
    """(RMS, peak) of a block in dBFS; silence is FLOOR_DB."""
    if len(samples) == 0:
        return FLOOR_DB, FLOOR_DB
    peak = float(np.max(np.abs(samples)))
    rms = math.sqrt(float(np.mean(np.square(samples, dtype=np.float64))))
    return (
        20.0 * math.log10(rms) if rms > 0 else FLOOR_DB,
        20.0 * math.log10(peak) if peak > 0 else FLOOR_DB,
    )


def trim_silence(samples: np.ndarray, rate: int) -> np.ndarray:
    """`samples` without leading and trailing silence (room noise), padded by TRIM_PAD_S."""
    frame = max(1, int(TRIM_FRAME_S * rate))
    count = len(samples) // frame
    if count == 0:
        return samples[:0]
    frames = samples[: count * frame].reshape(count, frame).astype(np.float64)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(np.maximum(rms, 1e-12))
    threshold = max(TRIM_FLOOR_DB, float(db.max()) - TRIM_BELOW_PEAK_DB)
    loud = np.flatnonzero(db > threshold)
    if len(loud) == 0:
        return samples[:0]
    pad = int(TRIM_PAD_S * rate)
    start = max(0, int(loud[0]) * frame - pad)
    end = min(len(samples), (int(loud[-1]) + 1) * frame + pad)
    return samples[start:end]


class TakeBuffer:
    """Drains a recorder's ring on the GUI thread: levels always, the take only while armed."""

    def __init__(self, rate: int, max_seconds: float = MAX_SECONDS) -> None:
        self.rate = rate
        self._take = np.zeros(int(max_seconds * rate), dtype=np.float32)
        self._scratch = np.zeros(int(RING_SECONDS * rate), dtype=np.float32)
        self.length = 0
        self.armed = False
        self.level = (FLOOR_DB, FLOOR_DB)

    @property
    def seconds(self) -> float:
        return self.length / self.rate

    @property
    def full(self) -> bool:
        return self.length >= len(self._take)

    def drain(self, ring: SampleRing) -> int:
        """Take what the callback wrote since the last call; returns how many samples arrived."""
        count = ring.read_into(self._scratch)
        block = self._scratch[:count]
        if count:
            self.level = level_db(block)
        if self.armed and count:
            room = len(self._take) - self.length
            kept = min(room, count)
            self._take[self.length : self.length + kept] = block[:kept]
            self.length += kept
        return count

    def take(self) -> np.ndarray:
        """A copy of what was recorded while armed."""
        return self._take[: self.length].copy()


class MicRecorder:
    """The host's mic (chosen by name, or the default input) feeding a ring."""

    def __init__(self, device: Any, pulse: Any = None) -> None:
        from studio.audio.streams import channels_for, open_stream

        self.device_name: str = device.description or device.name
        self.rate = int(device.rate)
        self.ring = SampleRing(int(RING_SECONDS * self.rate))
        self.overruns = 0
        self._pulse = pulse
        self._stream, _ = open_stream(
            device, self._callback, lambda: None, channels=channels_for(device), pulse=pulse
        )

    def _callback(self, indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        if status.input_overflow or self.ring.write(indata[:, 0]) < frames:
            self.overruns += 1

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.abort()
            with contextlib.suppress(Exception):
                stream.close()
        if self._pulse is not None:
            self._pulse.close()
            self._pulse = None


class MicRecorderFactory:
    """Opens the named input device (None: the system default) through studio.audio's device list."""

    def __init__(self, device_name: str | None = None) -> None:
        self.device_name = device_name

    def _find(self) -> tuple[Any, Any]:
        import sys

        from studio.audio.devices import AudioDeviceError, find_device, list_devices

        pulse = None
        try:
            if sys.platform.startswith("linux"):
                from studio.audio.pulse import PulseControl

                pulse = PulseControl("ai-anchor-studio-voices")
            device = find_device(self.device_name, "input", list_devices(pulse))
        except AudioDeviceError as exc:
            if pulse is not None:
                pulse.close()
            raise RecorderUnavailable(str(exc)) from None
        except (ImportError, OSError) as exc:  # no PortAudio library, no sound system
            if pulse is not None:
                pulse.close()
            raise RecorderUnavailable(f"audio input is not available here ({exc})") from None
        if device.backend != "pulse" and pulse is not None:
            pulse.close()
            pulse = None
        return device, pulse

    def problem(self) -> str | None:
        try:
            _device, pulse = self._find()
        except RecorderUnavailable as exc:
            return str(exc)
        if pulse is not None:
            pulse.close()
        return None

    def open(self) -> MicRecorder:
        from studio.audio.devices import AudioDeviceError

        device, pulse = self._find()
        try:
            return MicRecorder(device, pulse)
        except AudioDeviceError as exc:
            if pulse is not None:
                pulse.close()
            raise RecorderUnavailable(str(exc)) from None
