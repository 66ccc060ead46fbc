"""`ai-anchor-studio voices ...` as the host runs it: a real process, real files, real transcription."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import soundfile as sf

from studio.config import data_dir
from tests.speech import RATE, word_error_rate
from tests.voices.conftest import SPOKEN, user_voice_folders


def voices(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "studio", "voices", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),  # the private data dir set by the autouse fixture
    )


def test_add_list_show_remove_with_a_unicode_name(speech_wav):
    name = "Zoë 🎙 ニュース"
    added = voices("add", name, "--audio", str(speech_wav), "--transcript", SPOKEN, "--default")
    assert added.returncode == 0, added.stderr
    assert "converted to 24 kHz mono 16-bit WAV" in added.stdout

    listed = voices("list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {"Ava", "Max", name}
    assert rows[name] == {
        "name": name,
        "anchor_name": name,
        "language": "en",
        "read_only": False,
        "reference_seconds": rows[name]["reference_seconds"],
        "default": True,
    }
    assert 4.0 < rows[name]["reference_seconds"] < 5.5
    assert rows["Ava"]["read_only"] and not rows["Ava"]["default"]

    shown = voices("show", name, "--json")
    assert json.loads(shown.stdout)["transcript"] == SPOKEN

    assert voices("remove", name).returncode == 0
    assert user_voice_folders(data_dir() / "voices") == []


def test_add_without_transcript_uses_speech_to_text(speech_wav):
    added = voices("add", "Narrator", "--audio", str(speech_wav), "--language", "en")
    assert added.returncode == 0, added.stderr
    shown = json.loads(voices("show", "narrator", "--json").stdout)
    assert word_error_rate(SPOKEN, shown["transcript"]) <= 0.25, shown["transcript"]
    info = sf.info(shown["reference_audio"])
    assert (info.samplerate, info.channels, info.subtype) == (24000, 1, "PCM_16")


def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, speech):
    not_audio = tmp_path / "notes.wav"
    not_audio.write_bytes(b"RIFF\x00\x00\x00\x00junk" + bytes(range(256)) * 4)
    short = tmp_path / "short.wav"
    sf.write(short, speech[:RATE], RATE)
    cases = [
        (("add", "Bad", "--audio", str(not_audio), "--transcript", "x"), "not an audio file"),
        (("add", "Short", "--audio", str(short), "--transcript", "x"), "1.0 s long"),
        (("add", "a/b", "--audio", str(short), "--transcript", "x"), "path separators"),
        (("add", "max", "--audio", str(short), "--transcript", "x"), "already exists"),
        (("remove", "Ava"), "bundled, read-only voice and cannot be removed"),
        (("show", "Nobody"), "unknown voice 'Nobody'"),
    ]
    for args, expected in cases:
        result = voices(*args)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, result.stderr)
    assert user_voice_folders(data_dir() / "voices") == []
