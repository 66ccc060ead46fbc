"""`run` refuses bad input with one line naming the problem, exit ≠ 0, and no output file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from studio.audio.recording import RecordingError, open_host_recording

RATE = 16_000


def speechlike(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2).astype(np.float32)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio", "run", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def good_wav(tmp_path: Path) -> Path:
    path = tmp_path / "host.wav"
    sf.write(path, speechlike(1.0, RATE), RATE)
    return path


def make_bad_file(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.wav"
    if kind == "missing":
        return path
    if kind == "text":
        path.write_text("this is not audio at all\n")
    elif kind == "empty-bytes":
        path.write_bytes(b"")
    elif kind == "no-frames":
        sf.write(path, np.zeros(0, np.float32), RATE)
    elif kind == "silent":
        sf.write(path, np.zeros(RATE * 2, np.float32), RATE)
    elif kind == "truncated-header":
        sf.write(path, speechlike(1.0, RATE), RATE)
        path.write_bytes(path.read_bytes()[:30])
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "file not found"),
        ("text", "not a readable audio file"),
        ("empty-bytes", "not a readable audio file"),
        ("no-frames", "holds no audio"),
        ("silent", "silent"),
        ("truncated-header", "not a readable audio file"),
    ],
)
def test_bad_recordings_fail_with_one_clear_line(tmp_path, kind, message):
    bad = make_bad_file(tmp_path, kind)
    out = tmp_path / "anchor.wav"
    result = run_cli("--input", str(bad), "--output", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(bad.name) in lines[0]
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("target", "message"),
    [("no/such/dir/out.wav", "does not exist"), ("", "is a directory"), ("/proc/anchor.wav", "cannot write")],
)
def test_unwritable_output_is_refused_before_the_show(tmp_path, good_wav, target, message):
    out = str(tmp_path / target) if not target.startswith("/") else target
    result = run_cli("--input", str(good_wav), "--output", out)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("rate", "channels", "subtype"),
    [
        (8000, 1, "PCM_U8"),
        (8000, 1, "PCM_16"),
        (48000, 1, "PCM_24"),
        (44100, 2, "PCM_16"),
        (22050, 6, "FLOAT"),
    ],
)
def test_other_formats_are_converted_to_16k_mono(tmp_path, rate, channels, subtype):
    path = tmp_path / "odd.wav"
    mono = speechlike(1.5, rate)
    sf.write(path, np.repeat(mono[:, None], channels, axis=1), rate, subtype=subtype)
    recording = open_host_recording(path)
    audio = recording.read_all()
    assert audio.dtype == np.float32
    assert abs(len(audio) - 1.5 * RATE) <= RATE * 0.01
    assert 0.2 < float(np.max(np.abs(audio))) <= 0.35


def test_a_thirty_minute_file_is_streamed_not_loaded(tmp_path):
    path = tmp_path / "long.wav"
    with sf.SoundFile(path, "w", 8000, 1, "PCM_16") as handle:
        block = speechlike(60.0, 8000)
        for _ in range(30):
            handle.write(block)
    recording = open_host_recording(path)
    assert recording.seconds == pytest.approx(1800.0)
    first = next(recording.blocks(block_seconds=1.0))
    assert len(first) < 2 * RATE  # one block at a time, not the whole file


def test_recording_error_names_the_file(tmp_path):
    with pytest.raises(RecordingError, match=r"nothing\.wav: file not found"):
        open_host_recording(tmp_path / "nothing.wav")
