"""A remote voice as the show's input: the jitter buffer read at the show's pace, alone or mixed.

Alone (a remote host, `source`): a whole engine frame is handed on the moment it is contiguous in
the buffer (no added delay); when the remote falls more than `slack_s` behind real time, silence is
handed instead, so the show's input keeps its steady pace whatever the client does.
Mixed (a guest beside the host, `mixed_with`): the local mic sets the pace; each of its frames gets
the remote's next frame added once `slack_s` of the remote's audio is buffered (the cushion that
absorbs network jitter), and the cushion is built again after the remote runs dry.
A client that sends faster than real time is held back by the frame-rate limit in front of the buffer.
Threading: the generators run on the show's loop; the buffer's wake-up comes from the web loop
through `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import numpy as np

from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.web.jitter import JitterBuffer


class RemoteInput:
    """One remote client's jitter buffer, read as a `FrameSource` by the show's host input."""

    def __init__(self, buffer: JitterBuffer, slack_s: float) -> None:
        """`slack_s`: how far the remote may fall behind real time before silence fills in."""
        self.buffer = buffer
        self.slack_s = slack_s
        self.frames_out = 0

    def source(self, frame_samples: int) -> AsyncIterator[np.ndarray]:
        """The remote's frames alone, at the pace of real time (a remote host in the mic's place)."""
        return self._frames(frame_samples)

    def mixed_with(
        self, local: Callable[[int], AsyncIterator[np.ndarray]]
    ) -> Callable[[int], AsyncIterator[np.ndarray]]:
        """`local`'s frames at its pace with the remote's added (a guest beside the host)."""
        return lambda frame_samples: self._mixed(local, frame_samples)

    async def _mixed(
        self, local: Callable[[int], AsyncIterator[np.ndarray]], frame_samples: int
    ) -> AsyncIterator[np.ndarray]:
        """Each local frame plus the remote's next one, once a cushion of `slack_s` is buffered."""
        cushion = frame_samples + round(self.slack_s * INPUT_SAMPLE_RATE)
        flowing = False
        async with contextlib.aclosing(local(frame_samples)) as frames:  # type: ignore[type-var]
            async for frame in frames:
                if not flowing:
                    flowing = self.buffer.ready_samples >= cushion
                if flowing:
                    flowing = self.buffer.ready_samples >= frame_samples  # run dry: build the cushion again
                    remote = self.buffer.take_forced(frame_samples)
                    frame = np.clip(frame + remote, -1.0, 1.0).astype(np.float32, copy=False)
                self.frames_out += 1
                yield frame

    async def _frames(self, frame_samples: int) -> AsyncIterator[np.ndarray]:
        """Frames as soon as they are here; silence once the remote is `slack_s` late."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        self.buffer.on_ready = lambda: _wake(loop, wake)
        period = frame_samples / INPUT_SAMPLE_RATE
        due = loop.time() + period  # when the next frame is due at the pace of real time
        try:
            while True:
                wake.clear()  # before the take: a frame released after it sets it again
                frame = self.buffer.take(frame_samples)
                if frame is None:
                    wait = due + self.slack_s - loop.time()
                    if wait > 0:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(wake.wait(), wait)
                        continue
                    frame = self.buffer.take_forced(frame_samples)
                due = max(due + period, loop.time() - self.slack_s)
                self.frames_out += 1
                yield frame
                await asyncio.sleep(0)  # a burst from the client still lets the loop's other work run
        finally:
            self.buffer.on_ready = None


def _wake(loop: asyncio.AbstractEventLoop, wake: asyncio.Event) -> None:
    """Set `wake` on the show's loop from the web loop (a closed loop has nobody to wake)."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(wake.set)
