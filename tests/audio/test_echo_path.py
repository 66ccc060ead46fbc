"""The echo-path meter tells headphones from a leaking speaker, and the host is heard at once on headphones.

Real speech: the anchor is Piper at the program loudness, the host espeak-ng, the room is
`bench --echo`'s (delay, reflections, noise). Times are in samples of audio, never wall clock.
"""

from __future__ import annotations

import numpy as np
import pytest

from studio.audio.aec import BLOCK, EchoCanceller
from studio.audio.echo_path import EchoPathMeter
from studio.backends.silero_vad import SileroVoiceActivity
from studio.bench.barge_in_bench import BARGE_IN_LINES
from studio.bench.echo_bench import ANCHOR_LINES, EchoScenario, _at_level, leak, program_track
from tests.audio.test_aec import _cancel
from tests.speech import RATE, espeak_speech, piper_speech

CHUNK = 512  # the input path's mic frames
HOST_LINE = "Hold on, let me add something here."
HEADPHONES = EchoScenario(leakage_db=-150.0, delay_ms=120.0)


@pytest.fixture(scope="module")
def program() -> np.ndarray:
    """Sixteen seconds of the anchor on air, at the program loudness."""
    return program_track([piper_speech(text) for text in ANCHOR_LINES], 16.0, -16.0)


@pytest.fixture(scope="module")
def host() -> np.ndarray:
    """The host's line at a normal mic level, from its first audible sample."""
    clip = _at_level(np.array(espeak_speech(HOST_LINE)), -30.0)
    return clip[int(np.flatnonzero(np.abs(clip) > 0.005)[0]) :]


def _verdicts(mic: np.ndarray, reference: np.ndarray) -> list[bool | None]:
    """The meter's verdict after each mic frame, fed as the canceller pairs them."""
    meter = EchoPathMeter(RATE)
    return [
        meter.push(mic[start : start + CHUNK], reference[start : start + CHUNK])
        for start in range(0, len(mic) - CHUNK + 1, CHUNK)
    ]


def _first(verdicts: list[bool | None], value: bool) -> float | None:
    """Seconds of audio until the meter first said `value`."""
    index = next((i for i, verdict in enumerate(verdicts) if verdict is value), None)
    return None if index is None else (index + 1) * CHUNK / RATE


def test_headphones_are_known_within_the_anchors_first_second(program: np.ndarray) -> None:
    for noise_dbfs in (-65.0, -50.0):
        mic = leak(program, EchoScenario(leakage_db=-150.0, delay_ms=120.0, room_noise_dbfs=noise_dbfs))
        verdicts = _verdicts(mic, program)
        assert True not in verdicts
        said = _first(verdicts, False)
        print(f"room at {noise_dbfs} dBFS: headphones known after {said} s of the anchor")
        assert said is not None and said <= 2.0, said  # measured: 1.31-1.57 s


@pytest.mark.parametrize(
    ("leakage_db", "delay_ms", "noise_dbfs"),
    [(-10.0, 250.0, -65.0), (-20.0, 20.0, -65.0), (-20.0, 400.0, -65.0), (-40.0, 120.0, -50.0)],
)
def test_a_leaking_speaker_is_never_taken_for_headphones(
    program: np.ndarray, leakage_db: float, delay_ms: float, noise_dbfs: float
) -> None:
    """Down to an echo 10 dB under the room's noise (-40 dB under -50 dBFS), which Silero still hears."""
    mic = leak(program, EchoScenario(leakage_db=leakage_db, delay_ms=delay_ms, room_noise_dbfs=noise_dbfs))
    verdicts = _verdicts(mic, program)
    assert False not in verdicts
    assert verdicts[-1] is True


@pytest.mark.parametrize("voice", ["espeak-ng", "piper"])
def test_the_host_talking_over_the_anchor_on_headphones_is_not_an_echo(
    program: np.ndarray, voice: str
) -> None:
    """As in the barge-in bench: the host cuts in, the anchor pauses 60 ms later and goes on once
    the host is done. The host's voice can peak the correlation for the windows it overlaps (the
    bench saw 54x, with the anchor's own Piper voice as the host): the verdict must stay "none"."""
    lines = [piper_speech(line) if voice == "piper" else espeak_speech(line) for line in BARGE_IN_LINES]
    reference = program.copy()
    mic = leak(program, HEADPHONES)
    for index, at in enumerate((2.0, 6.0, 10.0)):
        line = _at_level(np.array(lines[index % len(lines)]), -26.0)
        start = int(at * RATE)
        mic[start : start + len(line)] += line[: len(mic) - start]
        reference[start + RATE * 60 // 1000 : start + len(line)] = 0.0  # the hold, then the barge-in
    verdicts = _verdicts(mic, reference)
    assert True not in verdicts
    assert verdicts[-1] is False


def _silero_hears(signal: np.ndarray) -> int:
    """Frames Silero gives the hold's probability (0.3) or more."""
    vad = SileroVoiceActivity()
    return sum(
        vad.speech_probability(signal[start : start + CHUNK]) >= 0.3
        for start in range(0, len(signal) - CHUNK + 1, CHUNK)
    )


@pytest.mark.parametrize("leakage_db", [-40.0, -42.0, -44.0, -46.0, -48.0])
def test_an_echo_silero_would_hear_is_never_taken_for_headphones(
    program: np.ndarray, leakage_db: float
) -> None:
    """Near the room's noise (-50 dBFS) the correlation weakens; "none" is safe only where Silero
    does not hear the anchor in the raw mic either."""
    mic = leak(program, EchoScenario(leakage_db=leakage_db, delay_ms=120.0, room_noise_dbfs=-50.0))
    verdicts = _verdicts(mic, program)
    heard = _silero_hears(mic)
    print(f"{leakage_db} dB under a -50 dBFS room: Silero hears {heard} frames; meter says {verdicts[-1]}")
    if heard:
        assert False not in verdicts


def test_an_echo_before_its_reference_is_still_an_echo_path(program: np.ndarray) -> None:
    """A pairing fault (studio.audio.aec) could put the echo ahead of its reference: not headphones."""
    early = int(0.05 * RATE)
    mic = leak(program, EchoScenario(leakage_db=-20.0, delay_ms=0.0))[early:]
    verdicts = _verdicts(mic, program[: len(mic)])
    assert False not in verdicts and verdicts[-1] is True


def test_an_echo_path_that_goes_quiet_is_kept_for_seconds(program: np.ndarray) -> None:
    """A speaker turned down, music, a host moving: "none" only after ~5 s of the anchor with nothing."""
    leaking = leak(program, EchoScenario(leakage_db=-20.0, delay_ms=60.0))
    quiet = leak(program, HEADPHONES)
    switch = 5 * RATE
    verdicts = _verdicts(np.concatenate([leaking[:switch], quiet[switch:]]), program)
    assert verdicts[switch // CHUNK - 1] is True
    gone = _first(verdicts[switch // CHUNK :], False)
    assert gone is not None and gone >= 4.0, gone


def test_headphones_taken_off_mid_show_bring_the_canceller_back(program: np.ndarray) -> None:
    quiet = leak(program, HEADPHONES)
    leaking = leak(program, EchoScenario(leakage_db=-20.0, delay_ms=60.0))
    switch = 6 * RATE
    mic = np.concatenate([quiet[:switch], leaking[switch:]])
    verdicts = _verdicts(mic, program)
    before = verdicts[: switch // CHUNK]
    assert before[-1] is False and True not in before
    after = _first(verdicts[switch // CHUNK :], True)
    assert after is not None and after <= 1.5, after  # within ~1.5 s of the anchor talking


def test_reset_forgets_the_verdict(program: np.ndarray) -> None:
    meter = EchoPathMeter(RATE)
    mic = leak(program, HEADPHONES)
    for start in range(0, 3 * RATE, CHUNK):
        meter.push(mic[start : start + CHUNK], program[start : start + CHUNK])
    assert meter.echo_path is False
    meter.reset()
    assert meter.echo_path is None


def _heard_after_ms(signal: np.ndarray, onset: int) -> float | None:
    """Audio from `onset` until Silero first gives the hold's probability (0.3), in ms."""
    vad = SileroVoiceActivity()
    for start in range(0, len(signal) - CHUNK + 1, CHUNK):
        if vad.speech_probability(signal[start : start + CHUNK]) >= 0.3 and start + CHUNK > onset:
            return (start + CHUNK - onset) * 1000 / RATE
    return None


@pytest.mark.parametrize("at_s", [1.5, 2.5])
def test_on_headphones_the_host_is_heard_over_the_anchors_first_reply(
    program: np.ndarray, host: np.ndarray, at_s: float
) -> None:
    """AEC3 still hunting for an echo that headphones never make swallowed these interruptions
    (856 ms and never, measured before the meter); now Silero hears them within frames."""
    mic = leak(program, HEADPHONES)
    onset = int(at_s * RATE)
    mic[onset : onset + len(host)] += host
    heard = _heard_after_ms(_cancel(mic, program), onset)
    raw = _heard_after_ms(mic, onset)
    assert heard is not None and raw is not None
    assert heard <= raw + 64.0, (heard, raw)  # within two frames of the raw mic (measured: equal)


def test_on_headphones_the_mic_goes_on_as_it_is_after_one_blended_block(program: np.ndarray) -> None:
    mic = leak(program, HEADPHONES)
    canceller = EchoCanceller()
    outputs, switched = [], None
    for start in range(0, len(mic), CHUNK):
        canceller.push_reference(program[start : start + CHUNK])
        outputs.append(canceller.process(mic[start : start + CHUNK]))
        if switched is None and canceller.meter.echo_path is False:
            switched = start
    assert switched is not None
    out = np.concatenate(outputs)
    assert np.array_equal(out[switched + BLOCK :], mic[switched + BLOCK : len(out)])
    assert not np.array_equal(out[: switched - BLOCK], mic[: switched - BLOCK])  # AEC3's before
