"""The program tap without a server: frames go out as they air, a DUMP is not sent, slow listeners lose."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from studio.audio.scope import SampleScope
from studio.web.program_tap import Listener, ProgramTap

RATE = 24_000
FRAME_AT_24K = 480


class FakeOutput:
    """A program output whose playhead the test moves by hand."""

    def __init__(self) -> None:
        """Nothing queued or played."""
        self.sample_rate = RATE
        self.scope = SampleScope(RATE, seconds=10.0)
        self.played = 0

    def played_samples(self) -> int:
        """Where the test put the playhead."""
        return self.played

    def queue(self, seconds: float) -> None:
        """Queue a tone (what the engine writes ahead of the playhead)."""
        t = np.arange(int(seconds * RATE), dtype=np.float32) / RATE
        self.scope.write((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))


def with_tap(
    output: Callable[[], Any], test: Callable[[ProgramTap, Listener], None], size: int = 1000
) -> None:
    """Run `test` with a tap over `output()` and one listener, ticking by hand on a running loop."""

    async def run() -> None:
        """Listen, stop the tap's own task (the test ticks), run the test."""
        tap = ProgramTap(output)
        listener = tap.listen(size, max_lag_frames=5)
        task = tap._task
        assert task is not None
        task.cancel()
        test(tap, listener)

    asyncio.run(run())


def frames_in(listener: Listener) -> list[bytes]:
    """Everything queued for the listener so far."""
    out = []
    while not listener.queue.empty():
        out.append(listener.queue.get_nowait())
    return out


def test_a_frame_goes_out_as_it_starts_to_air_and_not_before() -> None:
    output = FakeOutput()
    output.queue(1.0)

    def test(tap: ProgramTap, listener: Listener) -> None:
        """Move the playhead 100 ms at a time; frames follow it, one frame ahead at most."""
        seqs: list[int] = []
        for step in range(1, 6):
            output.played = step * 2400
            tap.tick()
            seqs += [struct.unpack_from("<I", f)[0] for f in frames_in(listener)]
            assert 5 * step <= len(seqs) <= 5 * step + 1  # 5 frames per 100 ms, one ahead at most
        assert seqs == list(range(1, len(seqs) + 1))

    with_tap(lambda: output, test)


def test_audio_flushed_by_a_dump_is_not_sent_beyond_one_frame() -> None:
    output = FakeOutput()
    output.queue(2.0)

    def test(tap: ProgramTap, listener: Listener) -> None:
        """Play 200 ms, DUMP (the scope is rewound to the playhead), then a new reply."""
        output.played = 4800
        tap.tick()
        before = len(frames_in(listener))
        output.scope.rewind(4800)
        tap.tick()  # sees the flush: resyncs
        output.queue(0.1)
        output.played = 4800 + 2400
        tap.tick()
        after = frames_in(listener)
        assert before <= 11 and 4 <= len(after) <= 6  # 100 ms of the new reply, not the flushed second
        seqs = [struct.unpack_from("<I", f)[0] for f in after]
        assert seqs == sorted(seqs) and seqs[0] == before + 1

    with_tap(lambda: output, test)


def test_a_listener_that_does_not_take_loses_frames_and_is_dropped_after_its_lag() -> None:
    output = FakeOutput()
    output.queue(1.0)

    def test(tap: ProgramTap, listener: Listener) -> None:
        """A queue of 2 frames: 200 ms of program leaves 8 lost, more than the lag of 5."""
        output.played = 4800
        tap.tick()
        assert listener.queue.qsize() == 2 and listener.lost >= 8 and listener.dropped.is_set()
        listener.went_out()
        assert listener.lost_since_sent == 0

    with_tap(lambda: output, test, size=2)


def test_new_devices_restart_the_tap_at_their_playhead() -> None:
    first, second = FakeOutput(), FakeOutput()
    first.queue(1.0)
    second.queue(1.0)
    second.played = 12_000
    current = [first]

    def test(tap: ProgramTap, listener: Listener) -> None:
        """Switch outputs: nothing from before the new output's playhead is sent."""
        current[0] = second
        tap.tick()  # resync on the new output
        assert frames_in(listener) == []
        second.played += 2400
        tap.tick()
        assert 5 <= len(frames_in(listener)) <= 6

    with_tap(lambda: current[0], test)
