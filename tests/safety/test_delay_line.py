"""The broadcast delay line on a fake clock: blocks air N s after live, DUMP drops them, pauses rebuild it.

Threading: one asyncio loop per test; the fake clock's `sleep` waits until the test moves time on.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from studio.audio.delay import LEAD_S, DelayedOutput

RATE = 1000  # one sample per millisecond: positions read as times


class FakeTime:
    """A clock the test moves; `sleep` returns once it has been moved far enough."""

    def __init__(self) -> None:
        self.now = 100.0
        self._moved = asyncio.Event()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds - 1e-9
        while self.now < until:
            self._moved.clear()
            await self._moved.wait()

    async def advance(self, seconds: float) -> None:
        """Move time on and let every task that was waiting for it run."""
        self.now += seconds
        self._moved.set()
        for _ in range(10):
            await asyncio.sleep(0)


class TimelineInner:
    """An inner output playing in fake time: each block starts when the one before it ends."""

    sample_rate = RATE

    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.writes: list[tuple[float, np.ndarray]] = []  # (when it starts playing, samples)
        self.end = 0.0
        self.flushes = 0

    def write(self, samples: np.ndarray) -> float:
        start = max(self.time.now, self.end)
        self.end = start + len(samples) / RATE
        self.writes.append((start, np.array(samples)))
        return start

    def played_samples(self) -> int:
        now = self.time.now
        return sum(int(min(len(s), max(0.0, (now - start) * RATE))) for start, s in self.writes)

    def flush(self) -> int:
        self.flushes += 1
        return 0

    def voiced(self) -> list[tuple[float, int]]:
        """(air time, length) of every block that is not the delay's silence."""
        return [(start, len(s)) for start, s in self.writes if np.any(s)]


class Captions:
    """Callbacks the delay line calls when a position airs; a test can wait for the n-th."""

    def __init__(self) -> None:
        self.aired: list[int] = []
        self._changed = asyncio.Event()

    def at(self, position: int):
        def call() -> None:
            self.aired.append(position)
            self._changed.set()

        return call

    async def wait(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.aired) < count:
                self._changed.clear()
                await self._changed.wait()


def tone(seconds: float) -> np.ndarray:
    return np.full(int(seconds * RATE), 0.5, np.float32)


@pytest.fixture
def line():
    """(fake time, inner output, a 5 s delay line), created inside the test's loop."""

    def make(target: float = 5.0):
        time = FakeTime()
        inner = TimelineInner(time)
        return time, inner, DelayedOutput(inner, target, clock=time.clock, sleep=time.sleep)

    return make


def test_audio_airs_the_delay_after_live_and_its_caption_with_it(line) -> None:
    async def scenario():
        time, inner, output = line()
        captions = Captions()
        assert output.write(tone(2.0)) == pytest.approx(100.0)  # live: plays now
        output.when_aired(0, captions.at(0))
        await time.advance(4.9)
        assert inner.voiced() == [] and captions.aired == []  # not on air yet
        await time.advance(0.1 - LEAD_S)
        await captions.wait(1)
        assert output.played_samples() == 2000  # live went on meanwhile
        return inner.voiced(), output.delay_s

    voiced, delay = asyncio.run(scenario())
    assert voiced == [(pytest.approx(105.0), 2000)] and delay == 5.0


def test_dump_drops_what_has_not_aired_and_the_delay_rebuilds_after_a_pause(line) -> None:
    async def scenario():
        time, inner, output = line()
        captions = Captions()
        output.write(tone(3.0))  # live 100-103, would air 105-108
        output.when_aired(0, captions.at(0))
        await time.advance(2.0)
        dropped = output.dump()
        assert dropped == pytest.approx(3.0) and output.delay_s == 0.0 and inner.flushes == 1
        await time.advance(10.0)
        assert inner.voiced() == []  # never aired
        output.write(tone(1.0))  # 9 s after live ran dry at 103 s: the delay is back in full
        return output.delay_s, captions.aired

    delay, captions = asyncio.run(scenario())
    assert delay == pytest.approx(5.0) and captions == []  # the dumped clause is never captioned


def test_the_delay_grows_by_at_most_each_pause_and_never_inside_speech(line) -> None:
    async def scenario():
        time, inner, output = line()
        output.dump()  # the delay at zero, at once
        delays = []
        for pause in (0.4, 0.0, 1.0, 0.0, 2.0, 5.0):
            await time.advance(pause)
            output.write(tone(0.5))
            output.write(tone(0.5))  # the same clause, contiguous: no stretch inside it
            delays.append(round(output.delay_s, 3))
            for _ in range(10):  # live plays it out, the pump hands it on in time
                await time.advance(0.1)
        await time.advance(10.0)
        return delays, inner.voiced()

    delays, voiced = asyncio.run(scenario())
    assert delays == [0.4, 0.4, 1.4, 1.4, 3.4, 5.0]
    assert len(voiced) == 12
    for (first, length), (second, _) in zip(voiced[::2], voiced[1::2], strict=True):
        assert second == pytest.approx(first + length / RATE)  # a clause airs whole, back to back


def test_barge_in_cuts_only_what_has_not_played_live(line) -> None:
    async def scenario():
        time, inner, output = line()
        captions = Captions()
        output.write(tone(1.0))
        output.when_aired(0, captions.at(0))
        output.write(tone(3.0))
        output.when_aired(1000, captions.at(1000))
        output.when_aired(2500, captions.at(2500))
        await time.advance(1.5)
        dropped = output.flush()
        await time.advance(10.0)
        await captions.wait(2)
        return dropped, inner.voiced(), captions.aired

    dropped, voiced, captions = asyncio.run(scenario())
    assert dropped == 2500  # 4 s written, 1.5 s played live
    assert sum(length for _, length in voiced) == 1500  # what played live still airs
    assert captions == [0, 1000]  # the part cut before it played live is never captioned


def test_a_lower_target_is_reached_by_shortening_pauses(line) -> None:
    async def scenario():
        time, _inner, output = line(4.0)
        output.set_target(1.0)
        delays = []
        for pause in (0.0, 1.0, 5.0):
            await time.advance(pause)
            output.write(tone(0.5))
            delays.append(round(output.delay_s, 3))
            await time.advance(0.5)
        return delays

    # the first write comes right at open (no pause yet), then a 1 s pause, then a long one
    assert asyncio.run(scenario()) == [4.0, 3.0, 1.0]


class LiveRecorder:
    """The host's monitor: what reached it live, and when it was flushed or settled (fake time)."""

    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.calls: list[tuple[str, float, int]] = []  # (call, when, samples)

    def write(self, samples: np.ndarray) -> None:
        self.calls.append(("write", self.time.now, len(samples)))

    def flush(self) -> None:
        self.calls.append(("flush", self.time.now, 0))

    def settle(self) -> None:
        self.calls.append(("settle", self.time.now, 0))

    def hold(self, on: bool) -> None:
        self.calls.append(("hold" if on else "go on", self.time.now, 0))


def test_the_monitor_gets_the_audio_live_is_cut_by_barge_in_and_not_by_dump() -> None:
    async def scenario():
        time = FakeTime()
        inner, live = TimelineInner(time), LiveRecorder(time)
        output = DelayedOutput(inner, 5.0, clock=time.clock, sleep=time.sleep, live=live)
        output.write(tone(1.0))
        assert live.calls == [("write", 100.0, 1000)] and inner.writes == []  # live now, airs later
        waiting = asyncio.get_running_loop().create_task(output.wait_played(1000))
        await time.advance(0.5)
        assert ("settle", 100.5, 0) not in live.calls
        await time.advance(0.47)  # inside the last LIVE_TAIL_LEAD_S: the resampler tail goes out
        assert [call for call, _, _ in live.calls].count("settle") == 1
        await time.advance(0.05)
        await waiting
        output.write(tone(2.0))
        await time.advance(0.5)
        output.flush()  # barge-in: the host stops hearing it at once
        assert live.calls[-1][:2] == ("flush", time.now)
        flushes = len(live.calls)
        output.dump()  # DUMP: the host already heard what airs late; nothing to cut live
        return live.calls[flushes:]

    assert asyncio.run(scenario()) == []


def test_a_hold_pauses_live_and_the_monitor_and_airs_the_pause_where_the_host_heard_it() -> None:
    async def scenario():
        time = FakeTime()
        inner, live = TimelineInner(time), LiveRecorder(time)
        output = DelayedOutput(inner, 1.0, clock=time.clock, sleep=time.sleep, live=live)
        output.write(tone(2.0))
        waiting = asyncio.get_running_loop().create_task(output.wait_played(2000))
        await time.advance(0.5)
        output.hold(True)  # a possible barge-in
        await time.advance(0.3)
        held_at = output.played_samples()
        output.hold(False)  # it was not one: live goes on where it paused
        for _ in range(12):
            await time.advance(0.1)
        finished_early = waiting.done()
        await time.advance(0.5)
        async with asyncio.timeout(10):
            await waiting
        for _ in range(20):
            await time.advance(0.1)
        monitor = [(call, round(at, 3)) for call, at, _ in live.calls if call in ("hold", "go on")]
        return held_at, monitor, finished_early, inner.voiced()

    held_at, monitor, finished_early, aired = asyncio.run(scenario())
    assert held_at == 500, "nothing played live while held"
    assert monitor == [("hold", 100.5), ("go on", 100.8)], "the host's monitor pauses with it"
    assert not finished_early, "the live timeline ran 0.3 s late after the hold"
    assert [length for _, length in aired] == [500, 1500], "the pause airs where the host heard it"
    assert aired[0][0] == pytest.approx(101.0, abs=0.1), "what was heard before it airs on time"
    assert aired[1][0] == pytest.approx(101.8, abs=0.1), "the rest airs the hold's 0.3 s later"


def test_a_hold_right_after_a_dump_holds_the_audio_already_handed_on() -> None:
    async def scenario():
        time = FakeTime()
        inner = HoldingInner(time)
        output = DelayedOutput(inner, 2.0, clock=time.clock, sleep=time.sleep)
        output.dump()  # the delay is 0 now: what is written is handed on at once
        output.write(tone(1.0))
        for _ in range(3):
            await time.advance(0.1)
        output.hold(True)
        output.hold(False)
        return inner.holds

    assert asyncio.run(scenario()) == [True, False]


class HoldingInner(TimelineInner):
    """A timeline inner output that records holds."""

    def __init__(self, time: FakeTime) -> None:
        super().__init__(time)
        self.holds: list[bool] = []

    def hold(self, on: bool) -> None:
        self.holds.append(on)
