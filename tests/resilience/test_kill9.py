"""`kill -9` of `ai-anchor-studio run` while the anchor is on air: nothing that aired is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import numpy as np
import soundfile as sf
import soxr

from studio.backends.whisper_stt import WhisperSpeechToText
from studio.config import load_settings
from studio.session.export import read_session
from tests.speech import normalise_words, piper_speech, silence

QUESTION = "Tell me a long story about the history of radio in our city."


def _wait_for_airing(proc: subprocess.Popen, log_path, deadline_s: float = 240.0) -> list[dict]:
    """Poll the log (another process writes it) until a line has aired; the process must live."""
    waited = 0.0
    while waited < deadline_s:
        try:
            proc.wait(timeout=0.05)  # doubles as the poll interval; returns early if it died
        except subprocess.TimeoutExpired:
            waited += 0.05
        else:
            raise AssertionError(f"run ended before airing anything: {proc.stderr.read()}")
        if log_path.exists():
            records = read_session(log_path)
            if any(r["kind"] == "anchor_line_aired" for r in records):
                return records
    raise AssertionError("the anchor never went on air")


def test_kill_9_mid_reply_keeps_every_aired_line(tmp_path):
    host = tmp_path / "host.wav"
    sf.write(host, np.concatenate([silence(0.5), piper_speech(QUESTION), silence(3.0)]), 16_000)
    log_path, program = tmp_path / "show.jsonl", tmp_path / "program.wav"
    command = [sys.executable, "-m", "studio", "run", "--input", str(host), "--stack", "embedded"]
    proc = subprocess.Popen(
        [*command, "--session-log", str(log_path), "--record", str(program)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CHAT_BACKEND": "smollm2", "MAX_REPLY_TOKENS": "120"},
    )
    try:
        _wait_for_airing(proc, log_path)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    records = read_session(log_path)  # every line parses (a torn last line would be skipped)
    kinds = [r["kind"] for r in records]
    assert "session_ended" not in kinds, "the process really died mid-show"
    assert "host_line" in kinds
    lines = [r for r in records if r["kind"] == "anchor_line"]
    for aired in (r for r in records if r["kind"] == "anchor_line_aired"):
        assert any(line["text"] == aired["text"] for line in lines)

    audio, rate = sf.read(program, dtype="float32")  # readable as is, no repair needed
    assert rate == 24_000 and np.abs(audio).max() > 0.05
    # What the program output got is what the log says (tiny Whisper mishears a word or two).
    stt = WhisperSpeechToText(load_settings())
    heard = asyncio.run(stt.transcribe(soxr.resample(audio, rate, 16_000).astype(np.float32))).text
    heard_words = normalise_words(heard)
    logged = set(normalise_words(" ".join(line["text"] for line in lines)))
    assert heard_words, "the recording holds speech"
    found = [w for w in heard_words if w in logged]
    assert len(found) >= max(2, len(heard_words) // 2), (heard, [line["text"] for line in lines])
