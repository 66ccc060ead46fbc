"""What the engine hears: the mic (or a frame source), a file played as the host, or silence.

One stream of 16 kHz frames for the whole show; its source can be switched mid-show (new
devices) without ending it, a file feed replaces the mic frame by frame, and mute zeroes it.
Every frame heard is written to `mic_scope`, which the window's waveform and meter read.
Threading: `frames` runs on the show's loop; `mute`, `stop_file` and `scope` reads are safe from
any thread (plain attribute swaps).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from studio.audio.scope import SampleScope
from studio.backends.contracts import INPUT_SAMPLE_RATE

FrameSource = Callable[[int], AsyncIterator[np.ndarray]]  # frame_samples → frames


class RemoteFeed(Protocol):
    """A remote voice (the web layer's /ws/audio): heard alone in place of the mic, or mixed with it."""

    def source(self, frame_samples: int) -> AsyncIterator[np.ndarray]:
        """The remote's frames alone, at the pace of real time."""
        ...

    def mixed_with(self, local: FrameSource) -> FrameSource:
        """`local`'s frames, at its pace, with the remote's audio added where it has some."""
        ...


async def silent_microphone(frame_samples: int) -> AsyncIterator[np.ndarray]:
    """A paced stream of silence: the engine keeps running with no input device (typed lines)."""
    frame = np.zeros(frame_samples, dtype=np.float32)
    period = frame_samples / INPUT_SAMPLE_RATE
    loop = asyncio.get_running_loop()
    due = loop.time()
    while True:
        due += period
        await asyncio.sleep(max(0.0, due - loop.time()))
        yield frame


def decode_host_file(path: Path, frame_samples: int) -> collections.deque[np.ndarray]:
    """A recording as 16 kHz frames (blocking: decode and resample; run it off the loop)."""
    from studio.audio.recording import open_host_recording

    audio = open_host_recording(path).read_all()
    audio = np.concatenate([audio, np.zeros((-len(audio)) % frame_samples, np.float32)])
    return collections.deque(audio.reshape(-1, frame_samples))


class HostInput:
    """The show's one input stream, with a switchable source, a file feed and mute."""

    def __init__(self, on_file_finished: Callable[[str], None]) -> None:
        self.mic_scope = SampleScope(INPUT_SAMPLE_RATE, seconds=10.0)
        self.muted = False
        self._on_file_finished = on_file_finished
        self._file_frames: collections.deque[np.ndarray] = collections.deque()
        self._file_path: str | None = None
        self._source: FrameSource = silent_microphone
        self._frame_samples = 512
        self._generation = 0
        self._stopping = False
        self._mutes_inside = False  # the source applies mute itself (a guest mixed with the mic)

    def use(self, source: FrameSource, frame_samples: int, mutes_inside: bool = False) -> None:
        """Hear `source` from its next frame on (same source and size: nothing changes).

        `mutes_inside`: the source mutes only its own part (`muted_local`), so mute here is off."""
        self._mutes_inside = mutes_inside
        if source == self._source and frame_samples == self._frame_samples:
            return
        self._source, self._frame_samples = source, frame_samples
        self._generation += 1

    def muted_local(self, local: FrameSource) -> FrameSource:
        """`local` silenced while the host is muted: a guest mixed in after it is still heard."""

        async def frames(frame_samples: int) -> AsyncIterator[np.ndarray]:
            async with contextlib.aclosing(local(frame_samples)) as source:  # type: ignore[type-var]
                async for frame in source:
                    yield np.zeros_like(frame) if self.muted else frame

        return frames

    def feed_file(self, path: Path, frames: collections.deque[np.ndarray]) -> None:
        """Play decoded `frames` in place of the mic (loop thread)."""
        self._file_path, self._file_frames = str(path), frames

    def stop_file(self) -> None:
        """Stop a file feed; the mic is heard again."""
        self._file_frames = collections.deque()

    def stop(self) -> None:
        """End the stream at the next frame."""
        self._stopping = True

    def rearm(self) -> None:
        """Ready to run again (a show that is started anew)."""
        self._stopping = False

    @property
    def stopped(self) -> bool:
        return self._stopping

    async def frames(self) -> AsyncIterator[np.ndarray]:
        """Frames until `stop()` or until a source ends by itself (a recording played to its end)."""
        while not self._stopping:
            generation = self._generation
            async with contextlib.aclosing(self._source(self._frame_samples)) as source:  # type: ignore[type-var]
                async for mic_frame in source:
                    if self._stopping:
                        return
                    yield self._heard(mic_frame)
                    if generation != self._generation:
                        break  # switched: close this source, open the new one
                else:
                    if generation == self._generation:
                        return  # the source itself ended

    def _heard(self, mic_frame: np.ndarray) -> np.ndarray:
        """The frame the engine gets: a file's in place of the mic's, silence while muted."""
        frame = mic_frame
        if self._file_frames:
            frame = self._file_frames.popleft()
            if not self._file_frames and self._file_path is not None:
                path, self._file_path = self._file_path, None
                self._on_file_finished(path)
        elif self.muted and not self._mutes_inside:
            frame = np.zeros_like(mic_frame)
        self.mic_scope.write(frame)
        return frame
