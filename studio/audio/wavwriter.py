"""WAV writing for the whole studio: the one 16-bit mono header and PCM encoder, and whole files.

`wav_header` + `pcm16` serve the crash-safe program recording and the speech server's streamed
WAV; `write_wav_atomic` writes a finished recording all-or-nothing.
Threading: any thread; one writer per file.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from studio.fileio import write_atomic

WAV_HEADER_BYTES = 44
OPEN_SIZE = 0xFFFFFFFF  # what a streamed WAV's size fields say: "unknown, read to the end"


class OutputPathError(ValueError):
    """The output path cannot be written; the message names the path and why."""


def check_writable(path: Path) -> None:
    """Fail before the show starts if `path` cannot be created (no partial file is left)."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputPathError(f"{path}: is a directory; give a file name such as anchor.wav")
    if not parent.is_dir():
        raise OutputPathError(f"{path}: folder {parent} does not exist")
    try:
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".probe-", delete=True):
            pass
    except OSError as exc:
        raise OutputPathError(f"{path}: cannot write there ({exc.strerror or exc})") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputPathError(f"{path}: file exists and is read-only")


def pcm16(samples: np.ndarray) -> bytes:
    """float32 [-1, 1] → little-endian signed 16-bit PCM bytes (NaN → silence, overs clipped)."""
    clean = np.clip(np.nan_to_num(np.asarray(samples, dtype=np.float32)), -1.0, 1.0)
    return (clean * 32767.0).astype("<i2").tobytes()


def wav_header(sample_rate: int, data_bytes: int | None = None) -> bytes:
    """The 44-byte header of a mono 16-bit PCM WAV; `data_bytes=None` for a stream of open length."""
    riff = OPEN_SIZE if data_bytes is None else 36 + data_bytes
    data = OPEN_SIZE if data_bytes is None else data_bytes
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data)
    )


def write_wav_atomic(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write 16-bit PCM mono; the target appears only once the file is complete."""
    encoded = io.BytesIO()
    sf.write(encoded, np.clip(samples, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
    write_atomic(path, encoded.getvalue())
