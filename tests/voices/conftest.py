"""Reference clips for the voice-profile tests: real espeak-ng speech written in many formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.speech import RATE, espeak_speech

SPOKEN = "Good evening and welcome to the late show, where we talk about the news of the day."


@pytest.fixture(scope="session")
def speech() -> np.ndarray:
    """About 4.5 s of espeak-ng speech, 16 kHz mono float32."""
    return np.array(espeak_speech(SPOKEN))


@pytest.fixture
def speech_wav(tmp_path, speech) -> Path:
    """The speech as a plain 16 kHz 16-bit mono WAV file."""
    path = tmp_path / "speech.wav"
    sf.write(path, speech, RATE, subtype="PCM_16")
    return path


def user_voice_folders(user_dir: Path) -> list[str]:
    """Everything in the user voices dir (profile folders, temp folders, default.txt)."""
    return sorted(p.name for p in user_dir.iterdir()) if user_dir.exists() else []
