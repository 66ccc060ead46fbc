"""Records the program output to a WAV that stays readable if the studio is killed at any moment.

The 16-bit PCM data is appended as it is queued for playback and the header's two size fields
are rewritten after every block, so the file on disk is always a complete WAV (a `kill -9` keeps
the page cache; `repair_wav` fixes a header left stale by a power cut). Gaps between lines are
filled with silence so the recording lines up with the session log's clock; audio flushed by a
barge-in is cut off the end again, so the file holds what was really played.
Threading: engine loop only (the proxy is the engine's AudioOutput).
"""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path
from typing import Any

import numpy as np

from studio.audio.outputs import AudioOutput
from studio.audio.wavwriter import WAV_HEADER_BYTES, pcm16, wav_header

HEADER_BYTES = WAV_HEADER_BYTES
MAX_GAP_S = 3600.0  # a longer idle stretch is recorded as this much silence
MIN_GAP_S = 0.02  # below this a start time is rounding, not an idle stretch


class CrashSafeWav:
    """A mono 16-bit WAV whose header always matches the data written so far."""

    def __init__(self, path: Path, sample_rate: int) -> None:
        self.path, self.sample_rate = path, sample_rate
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(self._fd, wav_header(sample_rate, 0))
        self.samples = 0

    def append(self, samples: np.ndarray) -> None:
        if not len(samples):
            return
        os.pwrite(self._fd, pcm16(samples), HEADER_BYTES + 2 * self.samples)
        self.samples += len(samples)
        self._write_sizes()

    def append_silence(self, samples: int) -> None:
        """`samples` of digital silence, written a second at a time."""
        block = bytes(2 * self.sample_rate)
        while samples > 0:
            take = min(samples, self.sample_rate)
            os.pwrite(self._fd, block[: 2 * take], HEADER_BYTES + 2 * self.samples)
            self.samples += take
            samples -= take
        self._write_sizes()

    def truncate(self, samples: int) -> None:
        """Cut the recording back to its first `samples` samples."""
        self.samples = max(0, min(self.samples, samples))
        os.ftruncate(self._fd, HEADER_BYTES + 2 * self.samples)
        self._write_sizes()

    def _write_sizes(self) -> None:
        data = 2 * self.samples
        os.pwrite(self._fd, struct.pack("<I", 36 + data), 4)
        os.pwrite(self._fd, struct.pack("<I", data), 40)

    def close(self) -> None:
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1


def repair_wav(path: Path) -> bool:
    """Make the header of a CrashSafeWav file match its length; True if it had to be changed."""
    with path.open("r+b") as handle:
        head = handle.read(HEADER_BYTES)
        if len(head) < HEADER_BYTES or head[:4] != b"RIFF" or head[36:40] != b"data":
            raise ValueError(f"{path}: not a WAV written by the studio")
        size = handle.seek(0, os.SEEK_END)
        data = (size - HEADER_BYTES) // 2 * 2
        if struct.unpack("<I", head[40:44])[0] == data and size == HEADER_BYTES + data:
            return False
        handle.truncate(HEADER_BYTES + data)
        handle.seek(4)
        handle.write(struct.pack("<I", 36 + data))
        handle.seek(40)
        handle.write(struct.pack("<I", data))
        return True


class RecordingOutput:
    """An AudioOutput that plays through `inner` and records the program to a CrashSafeWav."""

    def __init__(self, inner: AudioOutput, wav: CrashSafeWav) -> None:
        if wav.sample_rate != inner.sample_rate:
            raise ValueError(
                f"recording at {wav.sample_rate} Hz cannot follow an output at {inner.sample_rate} Hz"
            )
        self.inner, self.wav = inner, wav
        self.sample_rate = inner.sample_rate
        self._origin = time.perf_counter()

    @property
    def scope(self) -> Any:
        return self.inner.scope

    def write(self, samples: np.ndarray) -> float:
        start_at = self.inner.write(samples)
        gap = int(max(0.0, start_at - self._origin) * self.sample_rate) - self.wav.samples
        if gap > MIN_GAP_S * self.sample_rate:  # the output was idle: record the silence
            self.wav.append_silence(min(gap, int(MAX_GAP_S * self.sample_rate)))
        self.wav.append(np.asarray(samples, dtype=np.float32))
        return start_at

    def flush(self) -> int:
        dropped = self.inner.flush()
        if dropped:
            self.wav.truncate(self.wav.samples - dropped)
        return dropped

    def played_samples(self) -> int:
        return self.inner.played_samples()

    async def wait_played(self, position: int) -> None:
        await self.inner.wait_played(position)

    def hold(self, on: bool) -> None:
        """A hold pauses the device; the recording keeps the words (a resumed hold is not a cut)."""
        self.inner.hold(on)

    def __getattr__(self, name: str) -> Any:  # recording(), device details, …
        return getattr(self.inner, name)

    def close(self) -> None:
        self.wav.close()
