"""The program bus on real devices: loudness, limiter, resampling, and the AudioOutput contract.

One mixer feeds the program sink (what goes on air) and, optionally, the host's monitor: each
block the engine writes is brought to the target loudness, limited, kept in the scope for the
GUI, resampled to each device's rate and queued in that device's ring.
A sink still in standby (its long loading buffer) goes live before the first block is queued, so
nothing is ever handed to the long buffer and lost when it reopens.
Threading: `write`/`flush`/`wait_played` on the engine loop; `played_samples` and the scope may
also be read from the GUI thread (they only read counters).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import numpy as np
import soxr

from studio.audio.loudness import ProgramLoudness
from studio.audio.scope import SampleScope
from studio.audio.sink import OutputSink

DRAIN_MARGIN_S = 0.05  # the server's own hand-over after the device buffer
TAIL_LEAD_S = 0.04  # push the resampler's tail when less than this is left to play


class _Feed:
    """One sink's resampler and the audio that did not fit in its ring yet."""

    def __init__(self, sink: OutputSink, program_rate: int) -> None:
        self.sink, self._program_rate = sink, program_rate
        self.backlog: deque[np.ndarray] = deque()
        self.backlog_samples = 0
        self.resampler = self._new_resampler()
        self._tail_pushed = True  # nothing held in the resampler yet

    def _new_resampler(self) -> soxr.ResampleStream | None:
        if self.sink.rate == self._program_rate:
            return None
        return soxr.ResampleStream(self._program_rate, self.sink.rate, 1, dtype="float32", quality="HQ")

    def push(self, block: np.ndarray) -> None:
        if self._tail_pushed and self.resampler is not None:
            # Idle since the last tail went out: a fresh stream starts aligned, without the ~30 ms
            # of silence the old one still holds in front of the next sample.
            self.resampler = self._new_resampler()
        self._tail_pushed = False
        converted = block if self.resampler is None else self.resampler.resample_chunk(block)
        if len(converted):
            self.backlog.append(converted)
            self.backlog_samples += len(converted)
        self.drain()

    def drain(self) -> None:
        while self.backlog:
            head = self.backlog[0]
            taken = self.sink.push(head)
            self.backlog_samples -= taken
            if taken < len(head):
                self.backlog[0] = head[taken:]
                return
            self.backlog.popleft()

    def push_tail(self) -> None:
        """The writer went quiet: push silence through the resampler so the ~30 ms it holds plays."""
        if self.resampler is None or self._tail_pushed:
            return
        self._tail_pushed = True
        pad = int(np.ceil(self.resampler.delay() * self._program_rate / self.sink.rate)) + 16
        tail = self.resampler.resample_chunk(np.zeros(pad, np.float32))
        if len(tail):
            self.backlog.append(tail)
            self.backlog_samples += len(tail)
        self.drain()

    def flush(self) -> None:
        self.backlog.clear()
        self.backlog_samples = 0
        self.resampler = self._new_resampler()
        self._tail_pushed = True
        self.sink.request_flush()

    def pending(self) -> int:
        """Device-rate samples produced for this sink and not yet consumed by it."""
        ring = self.sink.ring
        return ring.written - ring.read + self.backlog_samples


class LiveMonitor:
    """The host's monitor taken off a delayed program bus: the host hears the anchor live.

    Under a broadcast delay the program airs seconds late, but the host talks with the anchor now;
    a monitor fed from the delayed bus would answer the host seconds after each turn. This feed gets
    the live audio straight from the delay line's writer, with a loudness stage of its own.
    Threading: the engine loop (as the program bus).
    """

    def __init__(self, feed: _Feed, sample_rate: int, target_lufs: float, ceiling_dbtp: float) -> None:
        self._feed, self.sample_rate = feed, sample_rate
        self.loudness = ProgramLoudness(sample_rate, target_lufs, ceiling_dbtp)

    @property
    def sink(self) -> OutputSink:
        """The monitor device."""
        return self._feed.sink

    def write(self, samples: np.ndarray) -> None:
        """Play `samples` on the monitor now (after its loudness stage)."""
        block = self.loudness.process(np.asarray(samples, dtype=np.float32))
        if not len(block):
            return
        if not self._feed.sink.live:
            self._feed.sink.go_live()
        self._feed.push(block)

    def flush(self) -> None:
        """Barge-in or DUMP cut the live audio: the monitor stops at once too."""
        self._feed.flush()
        self.loudness.reset_limiter()

    def settle(self) -> None:
        """The writer has gone quiet: let the resampler's last ~30 ms play now."""
        self._feed.drain()
        self._feed.push_tail()

    def hold(self, on: bool) -> None:
        """Pause or resume the host's monitor with the live program."""
        self._feed.sink.hold(on)


class DeviceProgramOutput:
    """AudioOutput on real devices; positions count program-rate samples since open."""

    def __init__(
        self,
        sample_rate: int,
        program: OutputSink,
        monitor: OutputSink | None = None,
        target_lufs: float = -16.0,
        ceiling_dbtp: float = -1.0,
    ) -> None:
        self.sample_rate = sample_rate
        self.scope = SampleScope(sample_rate, seconds=60.0)
        self.loudness = ProgramLoudness(sample_rate, target_lufs, ceiling_dbtp)
        self._ceiling_dbtp = ceiling_dbtp
        self.program_sink, self.monitor_sink = program, monitor
        self._feeds = [_Feed(program, sample_rate)] + ([_Feed(monitor, sample_rate)] if monitor else [])
        self._ratio = sample_rate / program.rate
        self._queued = 0  # program samples written since open (flushed ones taken back)
        self._floor = 0  # nothing before this position can still be unplayed
        self._latency_s = 0.01
        self._recording: list[np.ndarray] | None = None  # processed blocks, flushed audio cut off
        self._recorded = 0

    def split_monitor(self) -> LiveMonitor | None:
        """Take the monitor off this bus (a broadcast delay goes in front of it): fed live from now."""
        if len(self._feeds) < 2:
            return None
        feed = self._feeds.pop()
        return LiveMonitor(feed, self.sample_rate, self.loudness.target_lufs, self._ceiling_dbtp)

    def keep_recording(self) -> None:
        """From now on keep what airs (after loudness and limiter) for `recording()`."""
        if self._recording is None:
            self._recording, self._recorded = [], 0

    def recording(self) -> np.ndarray:
        """Everything that left the program output since `keep_recording()` (program rate)."""
        if not self._recording:
            return np.zeros(0, dtype=np.float32)
        audio = np.concatenate(self._recording)
        return audio[: max(0, len(audio) - (self._queued - self.played_samples()))]

    def played_samples(self) -> int:
        pending = round(self._feeds[0].pending() * self._ratio)
        return max(self._floor, min(self._queued, self._queued - pending))

    def write(self, samples: np.ndarray) -> float:
        block = self.loudness.process(np.asarray(samples, dtype=np.float32))
        now = time.perf_counter()
        ahead = (self._queued - self.played_samples()) / self.sample_rate
        if not len(block):
            return now + ahead
        for feed in self._feeds:
            if not feed.sink.live:  # no mic path took it live (a frame-source show): the first reply does
                feed.sink.go_live()
        self.scope.write(block)
        self._queued += len(block)
        if self._recording is not None:
            self._recording.append(block)
            self._recorded += len(block)
        for feed in self._feeds:
            feed.push(block)
        return now + ahead + self._latency_s

    def flush(self) -> int:
        played = self.played_samples()
        dropped = self._queued - played
        if self._recording is not None and dropped:
            kept = np.concatenate(self._recording)[: max(0, self._recorded - dropped)]
            self._recording, self._recorded = [kept], len(kept)
        for feed in self._feeds:
            feed.flush()
        self._queued = self._floor = played
        self.scope.rewind(played)
        self.loudness.reset_limiter()
        return dropped

    def hold(self, on: bool) -> None:
        """Pause (True) or resume (False) every device where it is; the rings keep what is queued."""
        for feed in self._feeds:
            feed.sink.hold(on)

    async def wait_played(self, position: int) -> None:
        while True:
            for feed in self._feeds:
                feed.drain()
            target = min(position, self._queued)
            if position >= self._queued:  # the last audio written: let its resampler tail out in time
                for feed in self._feeds:
                    if feed.pending() < TAIL_LEAD_S * feed.sink.rate:
                        feed.push_tail()
            played = self.played_samples()
            if played >= target:
                return
            await asyncio.sleep(min(0.02, max(0.005, (target - played) / self.sample_rate)))

    async def drain(self) -> None:
        """Wait until everything written has left the device's own buffer too (before closing)."""
        await self.wait_played(self._queued)
        await asyncio.sleep(max(sink.output_latency_s() for sink in self._sinks()) + DRAIN_MARGIN_S)

    def _sinks(self) -> list[OutputSink]:
        return [feed.sink for feed in self._feeds]

    def stats(self) -> dict[str, float | int]:
        return {
            "queued_seconds": round((self._queued - self.played_samples()) / self.sample_rate, 3),
            "loudness_gain_db": round(self.loudness.gain_db, 2),
            "target_lufs": self.loudness.target_lufs,
        }
