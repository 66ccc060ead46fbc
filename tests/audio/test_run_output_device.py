"""`run --output-device`: the headless show plays live to a Pulse sink, as OBS would capture it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.signal
import soundfile as sf
import soxr

from studio.audio.pulse import ANCHOR_SINK, PulseControl
from studio.cli import main
from studio.session.log import sessions_dir
from tests.audio.recorder import MonitorRecording
from tests.audio.test_pulse_io import align, skip_if_the_device_starved
from tests.speech import piper_speech, silence

QUESTION = "What is the weather like in Paris today?"


def test_run_plays_the_reply_live_to_the_sink(anchor_sink: PulseControl, tmp_path) -> None:
    host = tmp_path / "host.wav"
    sf.write(host, np.concatenate([silence(0.5), piper_speech(QUESTION), silence(1.0)]), 16_000)
    anchor_wav = tmp_path / "anchor.wav"
    recorder = MonitorRecording(f"{ANCHOR_SINK}.monitor", tmp_path / "monitor.raw")
    recorder.wait_started()
    try:
        result = subprocess.run(
            [
                *(sys.executable, "-m", "studio", "run", "--input", str(host), "--stack", "embedded"),
                *("--output-device", "AI_Anchor_Out", "--output", str(anchor_wav), "--json"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "CHAT_BACKEND": "smollm2", "MAX_REPLY_TOKENS": "40"},  # the private server
        )
    finally:
        recorded = recorder.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    program = report["output_device"]["program"]
    assert program["device"] == ANCHOR_SINK and program["state"] == "playing"
    assert report["turns"] and report["turns"][0]["reply"]
    aired, rate = sf.read(anchor_wav, dtype="float32")
    assert len(aired) > rate // 2, "the reply is at least half a second of audio"
    expected = soxr.resample(aired, rate, recorder.rate)
    matched, offsets = match_pieces(recorded, expected, recorder.rate)
    if matched < 1.0:  # audio the studio itself counted as lost to a starved machine is not a defect
        skip_if_the_device_starved(program)
    assert matched == 1.0, (matched, program)  # every clause aired, intact
    assert offsets == sorted(offsets)  # in order; gaps between clauses are real-time waits for TTS
    segment, _ = align(recorded, expected)
    assert np.abs(segment).max() > 0.1  # on air at program loudness, not a whisper
    silent_before = recorded[: int(0.2 * recorder.rate)]
    assert np.abs(silent_before).max() < 1e-3  # nothing aired before the host spoke


def match_pieces(recorded: np.ndarray, expected: np.ndarray, rate: int) -> tuple[float, list[int]]:
    """Share of the voiced 0.5 s pieces of `expected` found intact in `recorded`, and where.

    Live playback waits whenever the next clause is not synthesized yet (seen under load: 3.9 s
    after the first clause), and a wait plays digital silence: both signals are compared without
    their runs of exact zeros (`without_waits`), so a wait inside a piece does not split it, while
    audio that was lost, even where a wait was, still is missing. Each piece is aligned on its own.
    """
    recorded, expected = without_waits(recorded, rate), without_waits(expected, rate)
    piece = rate // 2
    # The reply's first samples can fall a few before the recording's first kept one (the whole
    # file's resampler rings ahead of its onset, the live one does not): padding lets that piece
    # align there too. Padding is no audio: a piece the recording lacks still finds nothing.
    recorded = np.concatenate([np.zeros(piece, np.float32), recorded, np.zeros(piece, np.float32)])
    starts = range(0, len(expected) - piece, piece)
    voiced = [i for i in starts if np.abs(expected[i : i + piece]).max() > 0.05]
    energy = np.concatenate([[0.0], np.cumsum(np.square(recorded, dtype=np.float64))])
    local = np.sqrt(np.maximum(energy[piece:] - energy[:-piece], 0.0))  # each piece-long stretch's norm
    found, offsets = 0, []
    for start in voiced:
        wanted = expected[start : start + piece]
        if len(wanted) > len(recorded):  # the recording ends first: not there
            continue
        # Only where the recording is as loud as the piece (a copy is): a raw correlation's peak
        # favours loud stretches and can land on another, louder word than the piece's own.
        dots = scipy.signal.correlate(recorded, wanted, mode="valid", method="fft")
        size, loudness = float(np.linalg.norm(wanted)), local[: len(dots)]
        lag = int(np.argmax(np.where((loudness > size / 2) & (loudness < size * 2), dots, -np.inf)))
        segment = recorded[lag : lag + piece]
        norm = float(np.linalg.norm(segment) * np.linalg.norm(wanted)) + 1e-9
        if float(np.dot(segment, wanted)) / norm > 0.98:  # a digital copy: sample-exact
            found += 1
            offsets.append(lag)
    return found / max(1, len(voiced)), offsets


def without_waits(audio: np.ndarray, rate: int) -> np.ndarray:
    """`audio` without its runs of exact zeros 1 ms or longer (waits, and the reply's own digital
    silences, which the recording holds at the same places)."""
    zero = np.concatenate([[0], (audio == 0.0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(zero))
    keep = np.ones(len(audio), dtype=bool)
    for begin, end in zip(edges[::2], edges[1::2], strict=True):
        if end - begin >= rate // 1000:
            keep[begin:end] = False
    return audio[keep]


def test_the_matcher_forgives_a_wait_inside_a_piece_but_not_lost_audio() -> None:
    rate = 16_000
    reply = np.concatenate([silence(0.3), piper_speech(QUESTION)])
    cut = int(1.75 * rate)  # mid-word, inside the fourth 0.5 s piece
    waited = np.concatenate([silence(0.4), reply[:cut], silence(2.0), reply[cut:]])
    assert match_pieces(waited, reply, rate)[0] == 1.0
    lost = np.concatenate([silence(0.4), reply[:cut], reply[cut + rate // 5 :]])  # 0.2 s dropped
    assert match_pieces(lost, reply, rate)[0] < 1.0
    loud = int(1.1 * rate)  # mid-vowel
    glitch = np.concatenate([silence(0.4), reply[:loud], silence(2.0), reply[loud + rate * 3 // 100 :]])
    assert match_pieces(glitch, reply, rate)[0] < 1.0, "30 ms lost where a wait was"
    assert match_pieces(reply[: len(reply) // 2], reply, rate)[0] < 1.0, "the end cut off"


def test_unknown_output_device_is_one_line_exit_2_nothing_written(
    anchor_sink: PulseControl, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    host, out = tmp_path / "host.wav", tmp_path / "anchor.wav"
    sf.write(host, piper_speech(QUESTION), 16_000)
    code = main(["run", "--input", str(host), "--output-device", "No Such Sink", "--output", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "No Such Sink" in err[0] and ANCHOR_SINK in err[0], err
    assert not out.exists()
    assert not sessions_dir().exists() or not any(sessions_dir().iterdir())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--output-device", ANCHOR_SINK, "--fast"], "--fast cannot play to a live device"),
        (["--monitor-device", ANCHOR_SINK], "--monitor-device needs --output-device"),
    ],
)
def test_live_device_option_conflicts_are_refused(
    tmp_path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    host = tmp_path / "host.wav"
    sf.write(host, piper_speech(QUESTION), 16_000)
    assert main(["run", "--input", str(host), *extra]) == 2
    assert message in capsys.readouterr().err
