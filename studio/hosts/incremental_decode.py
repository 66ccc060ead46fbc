"""Turns a growing sequence of audio-code frames into audio early, without seams between chunks.

A codec decoder is convolutional: a frame's samples depend on neighbouring frames, so decoding
chunks on their own clicks at every boundary. Each decode here covers the new frames plus
`context` frames already played (left context, their samples discarded) and withholds the last
`holdback` frames (they still lack right context); the next decode recomputes that held-back
region with more context and crossfades into it. The first chunk is small (first audio early),
later ones larger (less decoding overhead).
Threading: pure numpy around the injected `decode` function; runs in the higgs host's engine thread.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: [n_codebooks, frames] int codes → mono float32 samples (frames × samples_per_frame of them).
Decode = Callable[[np.ndarray], np.ndarray]


class IncrementalDecoder:
    """Feed frames with `push`, end with `flush`; each returns the audio that is final now."""

    def __init__(
        self,
        decode: Decode,
        samples_per_frame: int,
        first_chunk_frames: int = 8,
        chunk_frames: int = 25,
        context: int = 4,
        holdback: int = 2,
        crossfade_samples: int = 240,
    ) -> None:
        if min(first_chunk_frames, chunk_frames) < 1:
            raise ValueError("chunks must hold at least one frame")
        if crossfade_samples > holdback * samples_per_frame:
            raise ValueError("the crossfade must fit inside the held-back frames")
        self._decode = decode
        self._spf = samples_per_frame
        self._first, self._chunk = first_chunk_frames, chunk_frames
        self._context, self._holdback, self._xfade = context, holdback, crossfade_samples
        self._frames: np.ndarray | None = None  # every frame so far, [n, T]
        self._emitted = 0  # frames whose audio has been handed out
        self._tail = np.zeros(0, np.float32)  # previous decode's samples for held-back frames
        self.decodes = 0

    @property
    def frames(self) -> int:
        return 0 if self._frames is None else self._frames.shape[1]

    def push(self, frames: np.ndarray) -> np.ndarray:
        """Add [n, k] frames; return new audio once enough frames wait (else an empty array)."""
        if frames.shape[1]:
            self._frames = frames if self._frames is None else np.concatenate([self._frames, frames], axis=1)
        needed = self._first if self._emitted == 0 else self._chunk
        if self.frames - self._holdback - self._emitted < needed:
            return np.zeros(0, np.float32)
        return self._decode_until(self.frames - self._holdback)

    def flush(self) -> np.ndarray:
        """All audio not yet handed out (the stream has ended: nothing is held back)."""
        if self.frames <= self._emitted:
            return self._tail_out()
        return self._decode_until(self.frames, final=True)

    def _tail_out(self) -> np.ndarray:
        tail, self._tail = self._tail, np.zeros(0, np.float32)
        return tail

    def _decode_until(self, end: int, final: bool = False) -> np.ndarray:
        assert self._frames is not None
        start = max(0, self._emitted - self._context)
        stop = self.frames if final else min(self.frames, end + self._holdback)
        audio = np.asarray(self._decode(self._frames[:, start:stop]), dtype=np.float32).reshape(-1)
        self.decodes += 1
        skip = (self._emitted - start) * self._spf
        new = audio[skip : skip + (end - self._emitted) * self._spf]
        if len(self._tail) and self._xfade:
            n = min(self._xfade, len(self._tail), len(new))
            ramp = np.linspace(0.0, 1.0, n, endpoint=False, dtype=np.float32)
            new = new.copy()
            new[:n] = self._tail[:n] * (1.0 - ramp) + new[:n] * ramp
        self._tail = audio[skip + len(new) :][: self._xfade].copy() if not final else np.zeros(0, np.float32)
        self._emitted = end
        return new
