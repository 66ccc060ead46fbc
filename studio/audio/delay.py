"""Broadcast delay: the program airs N seconds behind live, and DUMP drops what has not aired yet.

The engine writes here as to any output and sees the live timeline: `played_samples`,
`wait_played` and `flush` (barge-in) behave as if there were no delay, so the host's turn-taking
stays live, and the host's monitor, when there is one, is fed live as the audio is written (the
host talks with the anchor now; only the program airs late). Each block airs on the inner output
`delay_s` after it played live; `when_aired` runs a callback when a position airs (the captions),
or never if it is dumped first. DUMP drops all the audio not aired yet and the delay falls to zero;
it is rebuilt by stretching the silences between clauses and turns (a pause of g seconds airs as at
most 2g), never the words, until it is back at the target. A lower target is reached the same way,
by shortening pauses.
Threading: engine loop only (a pump task hands due blocks to the inner output); `delay_s`,
`target_s` and `played_samples` may be read from any thread (they only read numbers).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from studio.audio.outputs import AudioOutput
from studio.audio.scope import SampleScope

LEAD_S = 0.05  # blocks go to the inner output this long before they air (its own queue takes them)
PAUSE_STRETCH = 1.0  # a pause may grow (or shrink) by this share of its length while the delay changes
MIN_PAD_S = 0.002  # a scheduled gap shorter than this is rounding, not a pause
HELD_POLL_S = 0.01  # while held, a waiter looks again this often (the hold ends at any time)
LIVE_TAIL_LEAD_S = 0.04  # the live monitor's resampler tail goes out this long before the words end


class LiveFeed(Protocol):
    """Where the live audio goes as it is written (the host's monitor): studio.audio.program."""

    def write(self, samples: np.ndarray) -> None: ...

    def flush(self) -> None: ...

    def settle(self) -> None: ...

    def hold(self, on: bool) -> None: ...


@dataclass(slots=True)
class _Block:
    """Audio written live, waiting to air: its first sample's position and air time."""

    position: int
    samples: np.ndarray
    air_at: float


class DelayedOutput:
    """An AudioOutput that airs through `inner` `target_s` seconds behind the live timeline."""

    def __init__(
        self,
        inner: AudioOutput,
        target_s: float,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        live: LiveFeed | None = None,
    ) -> None:
        """The delay starts full: nothing is on air yet, so the first words simply air N s later.
        `live`: the host's monitor, fed as the audio is written (the host talks with the anchor
        live). `clock` and `sleep` are the real ones except in tests."""
        self.inner, self.sample_rate = inner, inner.sample_rate
        self.live = live
        self._clock, self._sleep = clock, sleep
        self.scope = SampleScope(inner.sample_rate, seconds=60.0)  # the live program, for the GUI
        self._target = self._delay = float(target_s)
        self._queued = 0  # live positions written (flushed ones taken back)
        self._anchor_position, self._anchor_time = 0, clock()
        self._blocks: deque[_Block] = deque()
        self._handed_air_end = 0.0  # scheduled air time where the audio handed to `inner` ends
        self._inner_written = inner.played_samples()
        self._segments: deque[tuple[int, int, int]] = deque()  # (position, inner position, length)
        self._waiters: list[tuple[int, Callable[[], None]]] = []  # callbacks for positions not handed
        self._timers: list[asyncio.TimerHandle] = []
        self._pump: asyncio.Task[None] | None = None
        self._held = False
        self._held_since = 0.0
        self._inner_held = False  # the inner output was held too (it had live audio)

    # ----- what the studio reads --------------------------------------------------------------
    @property
    def delay_s(self) -> float:
        """How far the program runs behind live now (0 right after a DUMP)."""
        return self._delay

    @property
    def target_s(self) -> float:
        return self._target

    def set_target(self, seconds: float) -> None:
        """A new delay, reached over the next pauses (never by cutting or stretching words)."""
        self._target = float(seconds)

    def aired_samples(self) -> int:
        """How many live positions have aired (left the inner output)."""
        played = self.inner.played_samples()
        aired = 0
        for position, inner_position, length in self._segments:
            if inner_position > played:
                break
            aired = position + min(length, played - inner_position)
        return aired

    # ----- the live timeline (AudioOutput) ------------------------------------------------------
    def _playhead(self, at: float | None = None) -> int:
        if self._held:
            return self._anchor_position
        at = self._clock() if at is None else at
        elapsed = max(0.0, at - self._anchor_time)
        return min(self._queued, self._anchor_position + int(elapsed * self.sample_rate))

    def played_samples(self) -> int:
        """Live: the host's turn-taking and what the anchor was heard saying follow this."""
        return self._playhead()

    def write(self, samples: np.ndarray) -> float:
        """Queue live audio; it airs `delay_s` later. Returns when it plays live."""
        block = np.asarray(samples, dtype=np.float32)
        now = self._clock()
        playhead = self._playhead(now)
        if playhead >= self._queued:  # live was idle: a pause, which may carry a change of delay
            ran_dry = self._anchor_time + (self._queued - self._anchor_position) / self.sample_rate
            self._retime(now - ran_dry)
            self._anchor_position, self._anchor_time = playhead, now
        live_at = self._anchor_time + (self._queued - self._anchor_position) / self.sample_rate
        if len(block):
            if self.live is not None:
                self.live.write(block)
            self._blocks.append(_Block(self._queued, block, live_at + self._delay))
            self._queued += len(block)
            self.scope.write(block)
            self._start_pump()
        return live_at

    def _retime(self, pause_s: float) -> None:
        """Move the delay towards its target by at most PAUSE_STRETCH of this pause."""
        step = min(abs(self._target - self._delay), max(0.0, pause_s) * PAUSE_STRETCH)
        self._delay += step if self._target > self._delay else -step

    def flush(self) -> int:
        """Barge-in: drop what has not played live yet; what did still airs (unless dumped)."""
        now = self._clock()
        cut = self._playhead(now)
        dropped = self._queued - cut
        while self._blocks and self._blocks[-1].position >= cut:
            self._blocks.pop()
        if self._blocks and self._blocks[-1].position + len(self._blocks[-1].samples) > cut:
            last = self._blocks[-1]
            last.samples = last.samples[: cut - last.position]
        if self._handed_until() > cut:  # already handed on (a delay still rebuilding from zero)
            self.inner.flush()
            self._inner_written = self.inner.played_samples()
            self._handed_air_end = now
        self._waiters = [(position, call) for position, call in self._waiters if position < cut]
        if dropped and self.live is not None:
            self.live.flush()
        self._queued = cut
        self.scope.rewind(cut)
        self._anchor_position, self._anchor_time = cut, now
        return dropped

    def hold(self, on: bool) -> None:
        """A possible barge-in: the live timeline (and the host's monitor) pauses where it is.

        What waits to air moves back by as long as the hold lasted, so the pause airs where the
        host heard it; audio already handed on that is live now (a delay rebuilding from zero after
        a DUMP) is held on the inner output too. A barge-in's flush cuts where live stopped."""
        if on == self._held:
            return
        now = self._clock()
        self._anchor_position = self._playhead(now)
        self._anchor_time = now
        self._held = on
        if on:
            self._held_since = now
            if self._handed_until() > self._anchor_position:
                self._inner_held = True
                self.inner.hold(True)
        else:
            self._delay_waiting(self._anchor_position, now - self._held_since)
            if self._inner_held:
                self._inner_held = False
                self.inner.hold(False)
        if self.live is not None:
            self.live.hold(on)

    def _delay_waiting(self, cut: int, seconds: float) -> None:
        """Air everything from live position `cut` on `seconds` later (a block across it is split)."""
        kept: deque[_Block] = deque()
        for block in self._blocks:
            inside = cut - block.position
            if 0 < inside < len(block.samples):
                kept.append(_Block(block.position, block.samples[:inside], block.air_at))
                later = block.air_at + inside / self.sample_rate + seconds
                kept.append(_Block(cut, block.samples[inside:], later))
            else:
                kept.append(
                    block if inside > 0 else _Block(block.position, block.samples, block.air_at + seconds)
                )
        self._blocks = kept

    async def wait_played(self, position: int) -> None:
        """Until `position` has played live (or been flushed away)."""
        while (playhead := self._playhead()) < (target := min(position, self._queued)):
            left = (target - playhead) / self.sample_rate
            if self._held:
                await self._sleep(HELD_POLL_S)
                continue
            if self.live is not None and target >= self._queued:  # the end of what was written
                if left <= LIVE_TAIL_LEAD_S:
                    self.live.settle()
                else:
                    left -= LIVE_TAIL_LEAD_S
            await self._sleep(left)

    def when_aired(self, position: int, callback: Callable[[], None]) -> None:
        """Call `callback` when `position` airs; never, if it is dumped or flushed first."""
        self._waiters.append((position, callback))

    # ----- DUMP -----------------------------------------------------------------------------------
    def dump(self) -> float:
        """Drop everything not aired yet; the delay falls to zero. Returns the seconds dropped."""
        waiting = sum(len(block.samples) for block in self._blocks)
        self._blocks.clear()
        self._waiters.clear()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        dropped = self.inner.flush()
        self._inner_written = self.inner.played_samples()
        self._handed_air_end = self._clock()
        self._delay = 0.0
        return (waiting + dropped) / self.sample_rate

    # ----- handing blocks to the inner output -----------------------------------------------------
    def _start_pump(self) -> None:
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run_pump())

    async def _run_pump(self) -> None:
        """Hand each block on just before it airs."""
        while self._blocks:
            wait = self._blocks[0].air_at - LEAD_S - self._clock()
            if wait > 0:
                await self._sleep(wait)
                continue
            self._hand(self._blocks.popleft())

    def _hand(self, block: _Block) -> None:
        """Queue `block` on the inner output, with the silence before it that its air time asks for."""
        now = self._clock()
        idle = self.inner.played_samples() >= self._inner_written
        after = now if idle else self._handed_air_end
        pad = round((block.air_at - after) * self.sample_rate)
        if pad > MIN_PAD_S * self.sample_rate:
            self.inner.write(np.zeros(pad, np.float32))
            self._inner_written += pad
        start_at = self.inner.write(block.samples)
        self._segments.append((block.position, self._inner_written, len(block.samples)))
        played = self.inner.played_samples()
        while len(self._segments) > 1 and self._segments[1][1] + self._segments[1][2] <= played:
            self._segments.popleft()  # the mapping only needs the segment now airing onwards
        self._inner_written += len(block.samples)
        self._handed_air_end = max(block.air_at, after) + len(block.samples) / self.sample_rate
        self._schedule_waiters(block, start_at, now)

    def _handed_until(self) -> int:
        """The live position where the audio handed to the inner output ends."""
        if not self._segments:
            return 0
        position, _, length = self._segments[-1]
        return position + length

    def _schedule_waiters(self, block: _Block, start_at: float, now: float) -> None:
        """Timers for the callbacks whose positions are in `block`, at their air time."""
        end = block.position + len(block.samples)
        due = [(position, call) for position, call in self._waiters if position < end]
        self._waiters = [(position, call) for position, call in self._waiters if position >= end]
        loop = asyncio.get_running_loop()
        self._timers = [timer for timer in self._timers if not timer.cancelled()]
        for position, call in due:
            at = start_at + max(0, position - block.position) / self.sample_rate
            self._timers.append(loop.call_later(max(0.0, at - now), call))

    async def drain(self) -> None:
        """Until everything written has aired and left the inner output (before closing)."""
        await self.wait_played(self._queued)
        if self._pump is not None:
            await asyncio.wait({self._pump})
        inner_drain = getattr(self.inner, "drain", None)
        if inner_drain is not None:
            await inner_drain()

    def close(self) -> None:
        """Stop handing on (the show ends or the devices change); what waits is dropped."""
        if self._pump is not None:
            self._pump.cancel()
        for timer in self._timers:
            timer.cancel()
        self._blocks.clear()
        self._waiters.clear()

    def __getattr__(self, name: str) -> Any:  # recording(), stats(), device details…
        return getattr(self.inner, name)
