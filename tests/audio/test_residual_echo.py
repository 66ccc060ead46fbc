"""A canceller that loses the echo (its delay jumped) is caught, and the echo gate guards at the leak's level.

Real speech: the anchor is Piper at the program loudness, the host espeak-ng; the room is
`bench --echo`'s (-10 dB, 120 ms, reflections, room noise). A delay jump is what a dropout or an
underrun does to the echo: everything after it arrives later (or earlier) for good. The engine's
path after the canceller is `bench --echo`'s: Silero, the echo gate, the auto-turn policy.
"""

from __future__ import annotations

import numpy as np
import pytest

from studio.audio.aec import EchoCanceller
from studio.audio.echo import EchoGate
from studio.audio.io import RESIDUAL_COUPLING_DB
from studio.bench.echo_bench import (
    ANCHOR_LINES,
    EchoScenario,
    _at_level,
    barge_ins,
    cancelled,
    leak,
    program_track,
    speech_probabilities,
)
from studio.config import load_settings
from tests.speech import RATE, espeak_speech, piper_speech

FRAME = 512
JUMP_AT_S = 10.0
HOST_ONSETS_S = (6.0, 14.0, 22.0, 30.0)


@pytest.fixture(scope="module")
def program() -> np.ndarray:
    """Forty seconds of the anchor on air, at the program loudness."""
    return program_track([piper_speech(text) for text in ANCHOR_LINES], 40.0, -16.0)


@pytest.fixture(scope="module")
def host() -> np.ndarray:
    return _at_level(espeak_speech("Sorry to cut in but that is not what I heard"), -26.0).astype(np.float32)


@pytest.fixture(scope="module")
def silero():
    from studio.backends.silero_vad import SileroVoiceActivity

    return SileroVoiceActivity(load_settings())


def _room(program: np.ndarray, jump_ms: float = 0.0, leakage_db: float = -10.0) -> np.ndarray:
    """The mic: the program leaking into it; from JUMP_AT_S on, `jump_ms` later (negative: earlier)."""
    mic = leak(program, EchoScenario(leakage_db=leakage_db, delay_ms=120.0))
    at, shift = int(JUMP_AT_S * RATE), int(abs(jump_ms) * RATE / 1000)
    if jump_ms > 0:
        return np.concatenate([mic[:at], np.zeros(shift, np.float32), mic[at:]])[: len(mic)]
    if jump_ms < 0:
        return np.concatenate([mic[:at], mic[at + shift :], np.zeros(shift, np.float32)])
    return mic


def _with_host(mic: np.ndarray, host: np.ndarray, onsets: tuple[float, ...]) -> np.ndarray:
    mic = mic.copy()
    for onset in onsets:
        start = int(onset * RATE)
        mic[start : start + len(host)] += host[: len(mic) - start]
    return mic


def _leaking_seconds(floors: list[float | None]) -> list[float]:
    return [index * FRAME / RATE for index, floor in enumerate(floors) if floor is not None]


def _lines(silero, program: np.ndarray, out: np.ndarray, floors: list[float | None] | None) -> list[float]:
    """Seconds at which the engine's path starts a line over the anchor (one per second at most)."""
    settings = load_settings()
    gate = EchoGate(default_coupling_db=RESIDUAL_COUPLING_DB)
    voiced = speech_probabilities(silero, out)
    return [i * FRAME / RATE for i in barge_ins(settings, voiced, gate, out, program, FRAME, floors=floors)]


@pytest.mark.parametrize("leakage_db", [-10.0, -20.0])
def test_a_converged_canceller_is_not_called_leaking_with_the_host_talking_over(
    program: np.ndarray, host: np.ndarray, leakage_db: float
) -> None:
    _, floors = cancelled(program, _with_host(_room(program, leakage_db=leakage_db), host, HOST_ONSETS_S))
    assert _leaking_seconds(floors) == []


@pytest.mark.parametrize("jump_ms", [100.0, -20.0])
def test_a_delay_jump_is_caught_at_the_level_that_leaks_and_released_once_it_holds_again(
    program: np.ndarray, jump_ms: float
) -> None:
    mic = _room(program, jump_ms)
    _, floors = cancelled(program, mic)
    leaking = _leaking_seconds(floors)
    assert leaking and JUMP_AT_S < leaking[0] <= JUMP_AT_S + 1.2  # caught within ~1 s
    assert leaking[-1] <= JUMP_AT_S + 4.0  # and let go once AEC3 has re-converged (~1.4 s)
    # The level handed to the gate is the leak's: above the residual floor the gate had learned,
    # at most the speaker's own -10 dB with its reflections and the allowance.
    assert -30.0 <= max(floor for floor in floors if floor is not None) <= -5.0


def test_the_echo_gate_guards_while_the_canceller_leaks(program: np.ndarray, silero) -> None:
    out, floors = cancelled(program, _room(program, -20.0))
    assert _lines(silero, program, out, None)  # the leak alone starts a line: the anchor would stop
    assert _lines(silero, program, out, floors) == []


def test_the_host_is_still_heard_over_a_leaking_canceller(
    program: np.ndarray, host: np.ndarray, silero
) -> None:
    onset = JUMP_AT_S + 1.0  # while it leaks (a -20 dB speaker: the host is clear of the leak)
    out, floors = cancelled(program, _with_host(_room(program, 100.0, leakage_db=-20.0), host, (onset,)))
    assert any(floor is not None for floor in floors[int(onset * RATE / FRAME) :][:32])
    assert any(onset <= line <= onset + 1.0 for line in _lines(silero, program, out, floors))


def test_headphones_taken_off_mid_show_are_guarded(program: np.ndarray) -> None:
    """No echo path at first (the raw mic goes on), then a speaker at -10 dB: the raw echo is caught."""
    mic = _room(program)
    mic[: int(JUMP_AT_S * RATE)] = leak(np.zeros(int(JUMP_AT_S * RATE), np.float32), EchoScenario())
    canceller = EchoCanceller()
    floors = []
    for start in range(0, len(mic), FRAME):
        canceller.push_reference(program[start : start + FRAME])
        canceller.process(mic[start : start + FRAME])
        floors.append(canceller.residual.coupling_db)
    assert canceller.meter.echo_path is not None
    leaking = _leaking_seconds(floors)
    assert leaking and leaking[0] <= JUMP_AT_S + 1.2
    assert -16.0 <= floors[int(leaking[0] * RATE / FRAME)] <= 0.0  # the raw -10 dB leak, reflections and all
