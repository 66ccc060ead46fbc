"""A voice profile's reference clip: checked, then converted to 24 kHz mono 16-bit WAV.

The format is decided by the file's content, never its name: a renamed MP3 (an MP3 file called
`.wav`) is accepted when it decodes, and reported as MP3. Files that are not audio are refused
before libsndfile sees them (its MP3 decoder would otherwise scan random bytes for frames).
Threading: plain blocking functions; reading a 30 s clip takes milliseconds.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from studio.voices.profile import VoiceProfileError

REFERENCE_RATE = 24_000
MIN_SECONDS = 3.0
MAX_SECONDS = 30.0
SILENCE_DBFS = -50.0  # a clip whose peak stays below this holds no usable voice
CLIP_LEVEL = 0.999  # |x| at or above this counts as a clipped sample
MAX_CLIPPED_FRACTION = 0.01
MAX_FILE_BYTES = 200 * 1024 * 1024  # 30 s of 192 kHz 8-channel 32-bit audio is ~184 MB


_SUBTYPE_NAMES = {
    "PCM_U8": "8-bit",
    "PCM_S8": "8-bit",
    "PCM_16": "16-bit",
    "PCM_24": "24-bit",
    "PCM_32": "32-bit",
    "FLOAT": "32-bit float",
    "DOUBLE": "64-bit float",
    "MPEG_LAYER_III": "MPEG layer III",
    "VORBIS": "Vorbis",
    "OPUS": "Opus",
}
_SUFFIXES = {
    "WAV": ("wav", "wave"),
    "FLAC": ("flac",),
    "OGG": ("ogg", "oga", "opus"),
    "AIFF": ("aif", "aiff", "aifc"),
    "MP3": ("mp3",),
}


class ReferenceClipError(VoiceProfileError):
    """The reference clip cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class ReferenceClip:
    """A validated reference clip, converted to 24 kHz mono float32, and what it was before."""

    samples: np.ndarray
    source: Path
    source_format: str  # "WAV", "FLAC", "OGG", "AIFF" or "MP3", as found in the content
    source_rate: int
    source_channels: int
    source_subtype: str
    peak_dbfs: float

    @property
    def seconds(self) -> float:
        return len(self.samples) / REFERENCE_RATE

    @property
    def converted(self) -> bool:
        """True when the stored clip differs in format, rate, width or channels from the source."""
        return (self.source_format, self.source_rate, self.source_channels, self.source_subtype) != (
            "WAV",
            REFERENCE_RATE,
            1,
            "PCM_16",
        )

    def describe(self) -> str:
        """One line for the CLI: what was read and what it became."""
        subtype = _SUBTYPE_NAMES.get(self.source_subtype, self.source_subtype)
        source = f"{self.source_format} ({subtype}), {self.source_rate} Hz, {self.source_channels} ch"
        suffix = self.source.suffix.lower().lstrip(".")
        if suffix and suffix not in _SUFFIXES[self.source_format]:
            source += f" (the content is {self.source_format} although the name ends in .{suffix})"
        action = "converted to" if self.converted else "stored as"
        return f"{source}, {self.seconds:.1f} s; {action} 24 kHz mono 16-bit WAV"

    def save(self, path: Path) -> None:
        """Write the clip as 24 kHz mono PCM_16 WAV (the caller makes the write atomic)."""
        sf.write(str(path), self.samples, REFERENCE_RATE, subtype="PCM_16", format="WAV")


def sniff_format(head: bytes) -> str | None:
    """The container named by a file's first bytes, or None when it is not an audio format we take."""
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
        return "WAV"
    if head[:4] == b"fLaC":
        return "FLAC"
    if head[:4] == b"OggS":
        return "OGG"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "AIFF"
    if head[:3] == b"ID3":
        return "MP3"
    # An MPEG audio frame header: 11 sync bits, a valid version, layer III, a valid bitrate and rate.
    if len(head) >= 4 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        version, layer = (head[1] >> 3) & 0x3, (head[1] >> 1) & 0x3
        bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0x3
        if version != 1 and layer == 1 and bitrate not in (0, 15) and rate != 3:
            return "MP3"
    return None


def _check_wav_complete(path: Path, head: bytes, size: int) -> None:
    """Refuse a RIFF WAV whose data chunk claims more bytes than the file holds (a cut-off copy)."""
    if head[:4] != b"RIFF":
        return
    with path.open("rb") as handle:
        handle.seek(12)
        while True:
            header = handle.read(8)
            if len(header) < 8:
                raise ReferenceClipError(f"{path}: the WAV file is truncated (no audio data chunk)")
            chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
            if chunk_id == b"data":
                available = size - handle.tell()
                # 0 and ~0xFFFFFFFF mean "length unknown" (written by a streaming writer): trust the file.
                if 0 < chunk_size < 0x7FFF0000 and chunk_size > available:
                    raise ReferenceClipError(
                        f"{path}: the WAV file is truncated ({available} of {chunk_size} audio bytes present)"
                    )
                return
            handle.seek(chunk_size + (chunk_size & 1), os.SEEK_CUR)


def _dbfs(peak: float) -> float:
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def prepare_reference(path: Path | str) -> ReferenceClip:
    """Check `path` as a reference clip and convert it; raise ReferenceClipError with one clear line."""
    path = Path(path)
    kind = _check_file(path)
    data, rate, info = _read_audio(path, kind)
    _check_samples(path, data, rate)
    mono = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    if rate != REFERENCE_RATE:
        mono = soxr.resample(mono, rate, REFERENCE_RATE, quality="HQ")
    mono = np.clip(np.ascontiguousarray(mono, dtype=np.float32), -1.0, 1.0)
    mono_peak = float(np.max(np.abs(mono))) if len(mono) else 0.0
    if _dbfs(mono_peak) < SILENCE_DBFS:  # channels that cancel each other out when mixed down
        raise ReferenceClipError(f"{path}: the clip is silent once its channels are mixed to mono")
    return ReferenceClip(mono, path, kind, int(rate), info.channels, info.subtype, _dbfs(mono_peak))


def _check_file(path: Path) -> str:
    """The container `path` holds, refusing what is not a plausible audio file before decoding it."""
    if not path.exists():
        raise ReferenceClipError(f"{path}: file not found")
    if not path.is_file():
        raise ReferenceClipError(f"{path}: not a file")
    size = path.stat().st_size
    if size == 0:
        raise ReferenceClipError(f"{path}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise ReferenceClipError(f"{path}: {size / 2**20:.0f} MB is far more than a 30 s reference clip")
    with path.open("rb") as handle:
        head = handle.read(16)
    kind = sniff_format(head)
    if kind is None:
        raise ReferenceClipError(f"{path}: not an audio file (expected WAV, FLAC, OGG, AIFF or MP3 content)")
    _check_wav_complete(path, head, size)
    return kind


def _read_audio(path: Path, kind: str) -> tuple[np.ndarray, int, Any]:
    """Decode the whole clip (frames × channels, float32); a long file is refused before decoding."""
    try:
        info = sf.info(str(path))
        if info.frames <= 0 or info.samplerate <= 0 or info.channels <= 0:
            raise ReferenceClipError(f"{path}: the file holds no audio")
        seconds = info.frames / info.samplerate
        if seconds > MAX_SECONDS + 1.0:  # decoded length is checked exactly below
            raise ReferenceClipError(
                f"{path}: the clip is {seconds:.1f} s long; a reference clip must be "
                f"{MIN_SECONDS:.0f}–{MAX_SECONDS:.0f} s (trim it)"
            )
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        if isinstance(exc, ReferenceClipError):
            raise
        raise ReferenceClipError(
            f"{path}: the {kind} data is damaged or unreadable ({_short(exc)})"
        ) from None
    return data, int(rate), info


def _check_samples(path: Path, data: np.ndarray, rate: int) -> None:
    """Refuse audio that cannot clone a voice: empty, invalid, too short or long, silent or clipped."""
    if len(data) == 0:
        raise ReferenceClipError(f"{path}: the file holds no audio")
    if not np.all(np.isfinite(data)):
        raise ReferenceClipError(f"{path}: the audio holds invalid (NaN or infinite) samples")
    seconds = len(data) / rate
    if seconds < MIN_SECONDS or seconds > MAX_SECONDS:
        hint = "record a longer clip" if seconds < MIN_SECONDS else "trim it"
        raise ReferenceClipError(
            f"{path}: the clip is {seconds:.1f} s long; a reference clip must be "
            f"{MIN_SECONDS:.0f}–{MAX_SECONDS:.0f} s ({hint})"
        )
    peak = float(np.max(np.abs(data)))
    if _dbfs(peak) < SILENCE_DBFS:
        raise ReferenceClipError(
            f"{path}: the clip is silent (peak {_dbfs(peak):.0f} dBFS, below {SILENCE_DBFS:.0f} dBFS)"
        )
    clipped = float(np.mean(np.abs(data) >= CLIP_LEVEL))
    if clipped > MAX_CLIPPED_FRACTION:
        raise ReferenceClipError(
            f"{path}: the clip is distorted ({clipped:.1%} of samples clipped at full scale); "
            "record it again at a lower level"
        )


def reference_seconds(path: Path | None) -> float:
    """Length of a stored reference clip in seconds (0.0 when there is none or it is unreadable)."""
    if path is None:
        return 0.0
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError):
        return 0.0
    return info.frames / info.samplerate if info.samplerate else 0.0
