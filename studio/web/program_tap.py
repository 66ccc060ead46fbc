"""The anchor's program audio for /ws/audio listeners, read at the program output's playhead.

The tap only reads what the output already keeps for the window's waveform (its scope, up to
one wire frame past `played_samples()`: a frame goes out as its first sample airs, as a local
listener hears it), so the device path is untouched and of audio that a DUMP flushed, at most
that one frame (20 ms) was sent. It resamples to 16 kHz PCM16 frames of the inbound format (sequence number
and 320 samples) and offers each to every listener's bounded queue: a listener that does not
read loses frames (counted) and, after `max_lag_frames` lost while none went out, is dropped;
nobody waits.
Threading: runs on the web loop (a task while anyone listens); the output's counters and scope
are written on the show's loop and are safe to read from here.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import soxr

from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.web.jitter import FRAME_SAMPLES

POLL_S = 0.005
MAX_READ_S = 1.0  # a stall longer than this is skipped, not sent in a burst
HEADER = struct.Struct("<I")


def encode_frame(seq: int, samples: np.ndarray) -> bytes:
    """One wire frame: uint32 little-endian sequence number, then PCM16 little-endian samples."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    return HEADER.pack(seq & 0xFFFFFFFF) + pcm.tobytes()


class Listener:
    """One client's queue of program frames; full means frames lost, never waited for."""

    def __init__(self, size: int, max_lag_frames: int) -> None:
        """An empty queue of `size` frames; dropped after `max_lag_frames` lost in a row."""
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(size)
        self.max_lag_frames = max_lag_frames
        self.lost = 0
        self.lost_since_sent = 0
        self.sent = 0
        self.dropped = asyncio.Event()

    def offer(self, frame: bytes) -> bool:
        """Queue `frame`; False when it was lost (the listener is behind)."""
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.lost += 1
            self.lost_since_sent += 1
            if self.lost_since_sent >= self.max_lag_frames:
                self.dropped.set()
            return False
        return True

    def went_out(self) -> None:
        """A frame reached the socket: the client reads, whatever it lost before."""
        self.sent += 1
        self.lost_since_sent = 0


class ProgramTap:
    """Reads the show's program output while anyone listens and fans frames out to the listeners."""

    def __init__(self, output: Callable[[], Any], on_lost: Callable[[int], None] = lambda _n: None) -> None:
        """`output()`: the show's current program output (it changes when devices do)."""
        self._output = output
        self._on_lost = on_lost
        self._listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self._source: Any = None
        self._position = 0  # read up to here (program samples since the output opened)
        self._lookahead = FRAME_SAMPLES
        self._resampler: soxr.ResampleStream | None = None
        self._pending = np.zeros(0, np.float32)
        self._seq = 0

    def listen(self, size: int, max_lag_frames: int) -> Listener:
        """A new listener; the tap starts reading with the first one (web loop)."""
        listener = Listener(size, max_lag_frames)
        self._listeners.add(listener)
        if self._task is None or self._task.done():
            self._resync()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="program-tap")
        return listener

    def unlisten(self, listener: Listener) -> None:
        """Forget a listener; the tap stops with the last one."""
        self._listeners.discard(listener)
        if not self._listeners and self._task is not None:
            self._task.cancel()
            self._task = None

    @property
    def listeners(self) -> int:
        """How many clients hear the program."""
        return len(self._listeners)

    async def _run(self) -> None:
        """Read the playhead every few milliseconds until cancelled."""
        while True:
            await asyncio.sleep(POLL_S)
            self.tick()

    def tick(self) -> None:
        """Send the program up to one frame past the playhead: a frame goes out as it starts to air."""
        output = self._output()
        played, queued = int(output.played_samples()), int(output.scope.end)
        if output is not self._source or queued < self._position:
            self._resync()  # new devices, or a DUMP flushed audio this tap already read ahead
            return
        end = min(played + self._lookahead, queued)
        count = end - self._position
        if count <= 0:
            if played >= queued:
                self._flush_tail()
            return
        limit = int(MAX_READ_S * output.sample_rate)
        audio = output.scope.window(min(count, limit), end=end)
        self._position = end
        self._emit(audio if self._resampler is None else self._resampler.resample_chunk(audio))

    def _resync(self) -> None:
        """Start reading at the current playhead of the current output, with a fresh resampler."""
        output = self._output()
        self._source = output
        self._position = int(output.played_samples())
        rate = int(output.sample_rate)
        self._lookahead = -(-FRAME_SAMPLES * rate // INPUT_SAMPLE_RATE)  # a wire frame, program rate
        self._resampler = None if rate == INPUT_SAMPLE_RATE else _resampler(rate)
        self._pending = np.zeros(0, np.float32)

    def _flush_tail(self) -> None:
        """The program went quiet: send the part-frame still pending, padded with silence."""
        if not len(self._pending):
            return
        tail = np.zeros(FRAME_SAMPLES - len(self._pending), np.float32)
        self._emit(tail)
        rate = int(self._source.sample_rate)
        self._resampler = None if rate == INPUT_SAMPLE_RATE else _resampler(rate)

    def _emit(self, samples: np.ndarray) -> None:
        """Cut the 16 kHz audio into frames and offer each to every listener."""
        pending = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        whole = len(pending) - len(pending) % FRAME_SAMPLES
        for start in range(0, whole, FRAME_SAMPLES):
            self._seq += 1
            frame = encode_frame(self._seq, pending[start : start + FRAME_SAMPLES])
            for listener in list(self._listeners):
                if not listener.offer(frame):
                    self._on_lost(1)
        self._pending = pending[whole:].copy()


def _resampler(rate: int) -> soxr.ResampleStream:
    """A low-delay stream resampler to 16 kHz ("QQ": one sample of delay, not HQ's 20 ms)."""
    return soxr.ResampleStream(rate, INPUT_SAMPLE_RATE, 1, dtype="float32", quality="QQ")
