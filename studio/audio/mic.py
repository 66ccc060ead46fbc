"""The host's microphone: a PortAudio input at the device's rate, copied into a ring.

Threading: `_callback` on the PortAudio thread (copies, counts overruns, nothing else);
`take` on the engine loop (the ring's only consumer), which resamples to 16 kHz for the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import soxr

from studio.audio.device_stream import DeviceEvent, DeviceStream
from studio.audio.devices import DeviceInfo
from studio.audio.formats import INPUT_SAMPLE_RATE
from studio.audio.pulse import PulseControl
from studio.audio.realtime import promote_callback_thread
from studio.audio.ring import SampleRing

RING_SECONDS = 5.0


class MicInput(DeviceStream):
    """Host mic; `take()` returns everything captured since the last call, at 16 kHz."""

    def __init__(
        self,
        device: DeviceInfo,
        on_event: Callable[[DeviceEvent], None],
        pulse: PulseControl | None = None,
        latency_ms: int = 0,
    ) -> None:
        super().__init__("mic", device, on_event, pulse, latency_ms)
        self.ring = SampleRing(int(RING_SECONDS * self.rate))
        self.overruns = 0  # samples were lost: PortAudio overflow or the ring was full
        self._buffer = np.zeros(self.ring.capacity, dtype=np.float32)
        self._resampler = soxr.ResampleStream(self.rate, INPUT_SAMPLE_RATE, 1, dtype="float32")

    def _callback(self, indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        promote_callback_thread()
        if status.input_overflow:
            self.overruns += 1
        if self.ring.write(indata[:, 0]) < frames:
            self.overruns += 1

    def take(self) -> np.ndarray:
        """Captured audio since the last call, resampled to 16 kHz (engine loop only)."""
        count = self.ring.read_into(self._buffer)
        if not count:
            return np.zeros(0, dtype=np.float32)
        block = self._buffer[:count]
        if self.rate == INPUT_SAMPLE_RATE:
            return block.copy()
        return self._resampler.resample_chunk(block)
