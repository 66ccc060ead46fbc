"""`ai-anchor-studio run`: argument and input problems are refused before any model loads."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from studio.cli import main
from studio.commands.common import EXIT_BAD_INPUT

ERROR = "ai-anchor-studio: error: "


@pytest.fixture
def host_wav(tmp_path):
    path = tmp_path / "host.wav"
    t = np.arange(16_000 * 2) / 16_000
    sf.write(path, (0.2 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 16_000)
    return path


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(ERROR)
    return lines[0]


def test_fast_cannot_play_to_a_live_device(host_wav, capsys):
    rc = main(["run", "--input", str(host_wav), "--fast", "--output-device", "AI_Anchor_Out"])
    assert rc == EXIT_BAD_INPUT
    assert "--fast cannot play to a live device" in _one_error_line(capsys)


def test_monitor_device_needs_an_output_device(host_wav, capsys):
    assert main(["run", "--input", str(host_wav), "--monitor-device", "Headphones"]) == EXIT_BAD_INPUT
    assert "--monitor-device needs --output-device" in _one_error_line(capsys)


def test_a_missing_recording_is_named(tmp_path, capsys):
    missing = tmp_path / "nope.wav"
    out = tmp_path / "anchor.wav"
    assert main(["run", "--input", str(missing), "--output", str(out)]) == EXIT_BAD_INPUT
    assert str(missing) in _one_error_line(capsys)
    assert not out.exists()


def test_an_output_inside_a_file_is_refused(host_wav, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    assert main(["run", "--input", str(host_wav), "--output", str(blocker / "anchor.wav")]) == EXIT_BAD_INPUT
    assert str(blocker) in _one_error_line(capsys)
    assert blocker.read_text() == "keep me"


def test_an_unknown_voice_is_refused(host_wav, tmp_path, capsys):
    out = tmp_path / "anchor.wav"
    rc = main(["run", "--input", str(host_wav), "--voice", "Ghost", "--output", str(out)])
    assert rc == EXIT_BAD_INPUT
    assert "unknown voice 'Ghost'" in _one_error_line(capsys)
    assert not out.exists()


def test_input_is_required(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run"])
    assert exc.value.code == 2
    assert "--input" in capsys.readouterr().err
