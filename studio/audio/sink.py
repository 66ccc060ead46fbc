"""A device output fed from a ring: the callback copies, fades on flush, and counts underruns.

Every block handed to the device (silence, fades and flushes included) is also copied into
`sent`, a scope on the device's own timeline: the echo canceller's reference.
Hold: `hold(True)` fades the anchor out within FADE_MS and stops reading the ring, so nothing queued
is lost; `hold(False)` fades it back in where it stopped (a possible barge-in that was not one).
Standby and on air: a sink opens with a long device buffer (STANDBY_LATENCY_MS) that survives the
GIL stalls of model loading (imports and weight loading held the GIL for up to 0.75 s on a 2-core
machine, and a 40 ms buffer underran 6-32 times while the embedded stack loaded); `go_live()`
reopens it at the on-air buffer once the show is ready, before anything airs.
Threading: `push`/`request_flush`/`hold` on the engine loop (the ring's producer); `_fill` on the
PortAudio callback thread, or on this sink's clock thread while the device is lost (never both:
the clock stops before a new stream starts). The callback touches only preallocated arrays.
`go_live`/`standby` on any thread but the callback's (they take the stream's lock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from studio.audio.device_stream import DeviceEvent, DeviceStream
from studio.audio.devices import AudioDeviceError, DeviceInfo
from studio.audio.pulse import PulseControl
from studio.audio.realtime import promote_callback_thread
from studio.audio.ring import SampleRing
from studio.audio.scope import SampleScope

RING_SECONDS = 30.0
SENT_SECONDS = 4.0  # what the device was given, kept for the echo canceller (it reads every ~10 ms)
STANDBY_LATENCY_MS = 500  # no underrun under model loading's GIL stalls (measured: 0 in 22 s)
FADE_MS = 8.0  # a dump fades out over this long: no click, still "within one audio block"
MAX_BLOCK = 1 << 15


class OutputSink(DeviceStream):
    """Program or monitor output at the device's rate."""

    def __init__(
        self,
        role: str,
        device: DeviceInfo,
        on_event: Callable[[DeviceEvent], None],
        pulse: PulseControl | None = None,
        latency_ms: int = 0,
    ) -> None:
        super().__init__(role, device, on_event, pulse, STANDBY_LATENCY_MS)
        self.on_air_latency_ms = latency_ms
        self.ring = SampleRing(int(RING_SECONDS * self.rate))
        #: Every sample handed to the device, on the device's timeline (the echo reference).
        self.sent = SampleScope(self.rate, SENT_SECONDS)
        self._scratch = np.zeros(MAX_BLOCK, dtype=np.float32)
        self._fade_len = max(1, int(FADE_MS / 1000 * self.rate))
        self._ramp = np.linspace(1.0, 0.0, self._fade_len, dtype=np.float32)
        self._gain_steps = np.arange(1, MAX_BLOCK + 1, dtype=np.float32) / self._fade_len
        self._envelope_scratch = np.zeros(MAX_BLOCK, dtype=np.float32)
        self._held = False  # set by the engine; read by the callback
        self._gain = 1.0  # the callback's current hold gain (0: held and silent)
        self._fade_left = 0
        self._flush_requested = 0
        self._flush_seen = 0
        self._flush_target = 0
        self.underruns = 0  # PortAudio said the device ran dry (callback too late)
        self.callbacks = 0
        self.realtime = False  # the callback thread got SCHED_FIFO
        self._clock_stop = threading.Event()
        self._clock: threading.Thread | None = None

    # ----- producer side (engine loop) ----------------------------------------------------------
    def push(self, samples: np.ndarray) -> int:
        """Queue device-rate samples; returns how many fit (the caller keeps the rest)."""
        return self.ring.write(samples)

    def request_flush(self) -> None:
        """Drop everything queued so far, after a short fade of what is playing."""
        self._flush_target = self.ring.written
        self._flush_requested += 1

    def hold(self, on: bool) -> None:
        """Pause (True) or resume (False) playback where it is, with a short fade; nothing is dropped."""
        self._held = on

    @property
    def held_silent(self) -> bool:
        """Held and already faded out (the device is being given silence)."""
        return self._held and self._gain == 0.0

    @property
    def live(self) -> bool:
        """True once the sink plays at its on-air buffer (False while in standby)."""
        return self._latency_ms == self.on_air_latency_ms

    def go_live(self) -> None:
        """Reopen at the on-air buffer (models loaded, nothing aired yet); no-op when already live."""
        self._reopen(self.on_air_latency_ms)

    def standby(self) -> None:
        """Reopen at the long standby buffer (models about to load again); no-op in standby."""
        self._reopen(STANDBY_LATENCY_MS)

    def _reopen(self, latency_ms: int) -> None:
        with self._lock:
            if self._latency_ms == latency_ms:
                return
            self._latency_ms = latency_ms
            if self.state not in ("playing", "fallback"):
                return  # lost or closed: a reconnect opens at the new buffer
            self._drop_stream()
            try:
                self._start_stream()
            except AudioDeviceError as exc:
                self.lose(f"reopening it at a {latency_ms} ms buffer failed ({exc}); keeping time in silence")

    def output_latency_s(self) -> float:
        """How long a sample handed to the device takes to play out (PortAudio's figure, or asked)."""
        stream = self._stream
        latency = getattr(stream, "latency", None) if stream is not None else None
        if isinstance(latency, (int, float)) and 0 < latency < 2.0:
            return float(latency)
        return max(self._latency_ms, 10) / 1000.0

    # ----- consumer side (PortAudio thread or the clock) ----------------------------------------
    def _callback(self, outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        self.realtime = promote_callback_thread()  # once per thread; a dict lookup after that
        if status.output_underflow:
            self.underruns += 1
        self.callbacks += 1
        out = self._scratch[:frames]
        self._fill(out, frames)
        self.sent.write(out)
        outdata[:] = out[:, None]

    def _fill(self, out: np.ndarray, frames: int) -> None:
        ring = self.ring
        if self._flush_requested != self._flush_seen:
            self._flush_seen = self._flush_requested
            if self._gain == 0.0:  # held and silent: nothing to fade
                ring.skip(self._flush_target - ring.read)
            else:
                self._fade_left = self._fade_len
        if self._fade_left:
            self._fill_flush_fade(out, frames)
            return
        if self._held:
            self._fill_held(out, frames)
            return
        filled = ring.read_into(out, frames)
        if self._gain < 1.0:  # resuming: fade back in (at once if nothing is queued)
            if filled:
                self._ramp_gain(out, filled, rising=True)
            else:
                self._gain = 1.0
        if filled < frames:
            out[filled:frames] = 0.0

    def _fill_flush_fade(self, out: np.ndarray, frames: int) -> None:
        """A flush: fade out what is playing, then drop everything up to the flush target."""
        ring = self.ring
        want = min(frames, self._fade_left)
        filled = ring.read_into(out, want)
        start = self._fade_len - self._fade_left
        out[:filled] *= self._ramp[start : start + filled]
        if self._gain < 1.0:  # a flush in the middle of a hold's fade
            out[:filled] *= self._gain
        self._fade_left = 0 if filled < want else self._fade_left - filled
        if not self._fade_left:
            ring.skip(self._flush_target - ring.read)
        if filled < frames:
            out[filled:frames] = 0.0

    def _fill_held(self, out: np.ndarray, frames: int) -> None:
        """Held: fade out over what is left of FADE_MS, then silence without reading the ring."""
        if self._gain == 0.0:
            out[:frames] = 0.0
            return
        want = min(frames, int(np.ceil(self._gain * self._fade_len)))
        filled = self.ring.read_into(out, want)
        if filled:
            self._ramp_gain(out, filled, rising=False)
        if filled < want:  # ran dry while fading: silent now
            self._gain = 0.0
        out[filled:frames] = 0.0

    def _ramp_gain(self, out: np.ndarray, count: int, rising: bool) -> None:
        """Move the hold gain one sample step at a time over out[:count], applying it."""
        envelope = self._envelope_scratch[:count]
        steps = self._gain_steps[:count]
        if rising:
            np.add(steps, self._gain, out=envelope)
        else:
            np.subtract(self._gain, steps, out=envelope)
        np.clip(envelope, 0.0, 1.0, out=envelope)
        out[:count] *= envelope
        self._gain = float(envelope[count - 1])

    # ----- keeping time without a device --------------------------------------------------------
    def _on_lost(self) -> None:
        if self._clock is not None and self._clock.is_alive():
            return
        self._clock_stop.clear()
        self._clock = threading.Thread(target=self._run_clock, name=f"{self.role}-clock", daemon=True)
        self._clock.start()

    def _progress(self) -> int:
        return self.callbacks

    def _on_restored(self) -> None:
        if self._clock is not None:
            self._clock_stop.set()
            self._clock.join()
            self._clock = None

    def _run_clock(self) -> None:
        """Consume the ring in real time, as the lost device would have (silence on air)."""
        last = time.perf_counter()
        owed = 0.0
        while not self._clock_stop.wait(0.01):
            now = time.perf_counter()
            owed += (now - last) * self.rate
            last = now
            while owed >= 1:
                count = min(int(owed), MAX_BLOCK)
                self._fill(self._scratch[:count], count)
                self.sent.write(self._scratch[:count])
                owed -= count
