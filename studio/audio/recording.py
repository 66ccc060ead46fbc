"""Host recordings read as a live microphone would deliver them: validated up front, then streamed.

Any rate, width or channel count libsndfile reads (WAV, FLAC, OGG, MP3) is converted to the
engine's 16 kHz mono float32 block by block, so a long show file never sits in memory whole.
Threading: `blocks()` is a plain generator; the caller decides which thread pulls it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from studio.audio.formats import INPUT_SAMPLE_RATE

MAX_RECORDING_SECONDS = 4 * 3600
SILENCE_PEAK = 1e-3  # below -60 dBFS everywhere: nothing to transcribe


class RecordingError(ValueError):
    """The host recording cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class HostRecording:
    """A validated audio file that can be replayed as the host's microphone."""

    path: Path
    source_rate: int
    channels: int
    frames: int
    subtype: str

    @property
    def seconds(self) -> float:
        return self.frames / self.source_rate

    def blocks(self, block_seconds: float = 1.0) -> Iterator[np.ndarray]:
        """Yield the recording as 16 kHz mono float32, `block_seconds` at a time."""
        resampler = soxr.ResampleStream(self.source_rate, INPUT_SAMPLE_RATE, 1, dtype="float32")
        block = max(1, int(self.source_rate * block_seconds))
        with sf.SoundFile(self.path) as handle:
            while True:
                data = handle.read(block, dtype="float32", always_2d=True)
                last = len(data) < block
                mono = data.mean(axis=1).astype(np.float32) if len(data) else np.zeros(0, np.float32)
                out = resampler.resample_chunk(mono, last=last)
                if len(out):
                    yield out
                if last:
                    return

    def read_all(self) -> np.ndarray:
        """The whole recording at 16 kHz mono (for short clips: tests, voice references)."""
        parts = list(self.blocks())
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def open_host_recording(path: Path | str) -> HostRecording:
    """Check that `path` is usable speech audio and return it; raise RecordingError otherwise."""
    path = Path(path)
    if not path.exists():
        raise RecordingError(f"{path}: file not found")
    if not path.is_file():
        raise RecordingError(f"{path}: not a file")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise RecordingError(
            f"{path}: not a readable audio file ({_short(exc)}); use WAV, FLAC, OGG or MP3"
        ) from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise RecordingError(f"{path}: the file holds no audio")
    if info.frames / info.samplerate > MAX_RECORDING_SECONDS:
        raise RecordingError(
            f"{path}: {info.frames / info.samplerate / 3600:.1f} h is longer than the 4 h limit; "
            "split the recording"
        )
    recording = HostRecording(path, info.samplerate, info.channels, info.frames, info.subtype)
    _check_not_silent(recording)
    return recording


def _check_not_silent(recording: HostRecording) -> None:
    """Scan block by block (cheap even for hours of audio) and refuse a silent or unreadable file."""
    peak = 0.0
    try:
        with sf.SoundFile(recording.path) as handle:
            for block in handle.blocks(blocksize=65536, dtype="float32", always_2d=True):
                if len(block):
                    peak = max(peak, float(np.max(np.abs(block))))
                if peak >= SILENCE_PEAK:
                    return
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise RecordingError(f"{recording.path}: the audio data is damaged ({_short(exc)})") from None
    raise RecordingError(f"{recording.path}: the recording is silent (peak {peak:.1e}); nothing to hear")


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
