"""Writes a WAV all-or-nothing: into a temp file beside the target, renamed into place at the end.

Threading: any thread; one writer per file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf


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


def write_wav_atomic(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write 16-bit PCM mono; the target appears only once the file is complete."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        sf.write(temp_name, np.clip(samples, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
