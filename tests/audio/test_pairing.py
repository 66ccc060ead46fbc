"""The mic pairs with the program's reference early enough that it never waits, and never earlier
than causal (studio.audio.pairing), and the canceller still takes the echo out after a move."""

from __future__ import annotations

import numpy as np
import pytest

from studio.audio.aec import BLOCK, EchoCanceller
from studio.audio.pairing import ReferencePairing
from studio.audio.scope import level_dbfs
from studio.bench.echo_bench import ANCHOR_LINES, EchoScenario, leak, program_track
from tests.speech import RATE, piper_speech

CALLBACK = 256  # mic samples per observation (16 ms, as the input path hands them)
OUTPUT_LATENCY_S = 0.040


def _window(pairing: ReferencePairing, leads: list[int], program: float = 0.0) -> int:
    """Observe one window's worth of callbacks, cycling through `leads`, the paired reference at
    `program` peak; the move it ends with."""
    moves = []
    for k in range(RATE // CALLBACK + 1):
        pairing.hear(np.full(CALLBACK, program, np.float32))
        moves.append(pairing.observe(leads[k % len(leads)], CALLBACK))
    assert not any(moves[:-1])  # decided once per window, not per callback
    return moves[-1]


@pytest.fixture
def pairing() -> ReferencePairing:
    tuned = ReferencePairing(RATE)
    tuned.set_output_latency(OUTPUT_LATENCY_S)  # 35 ms of lead allowed: 560 samples
    return tuned


def test_a_mic_that_waits_steadily_is_paired_earlier_by_its_wait(pairing: ReferencePairing) -> None:
    assert pairing.max_lead == 560
    assert _window(pairing, [-480, -240, 0]) == 480  # the device's ~30 ms block, every time
    assert _window(pairing, [0, 240, 480]) == 0  # now it never waits: stays
    assert pairing.moves == 1


def test_once_the_program_was_heard_a_wait_is_not_moved(pairing: ReferencePairing) -> None:
    assert _window(pairing, [-480, 0], program=0.001) == 480  # -60 dBFS: silence, before any reply
    assert _window(pairing, [0, 240], program=0.1) == 0  # the anchor talks: AEC3 learns the echo
    assert _window(pairing, [-480, 0], program=0.0) == 0  # a hiccup later: a jump would make it leak
    assert (pairing.moves, pairing.declined) == (1, 1)
    pairing.reset()  # the mic came back: the canceller starts again too
    assert _window(pairing, [-480, 0]) == 480


def test_a_lead_past_causality_is_pulled_back_even_while_the_anchor_talks(
    pairing: ReferencePairing,
) -> None:
    assert _window(pairing, [0, 900], program=0.1) == 560 - 900


def test_one_late_callback_is_not_a_pairing_that_slipped(pairing: ReferencePairing) -> None:
    leads = [0] * 40 + [-900]  # the GIL held one callback
    assert _window(pairing, leads) == 0
    assert pairing.moves == 0


def test_the_lead_never_goes_past_the_output_latency(pairing: ReferencePairing) -> None:
    assert _window(pairing, [-800, 0, 300]) == 260  # the wait is 800, but 300 + 260 = 560 is causal
    assert _window(pairing, [-1000, 560]) == 0  # already at the edge: the mic waits, the echo stays behind


def test_a_shorter_output_latency_pulls_the_pairing_back(pairing: ReferencePairing) -> None:
    pairing.set_output_latency(0.020)  # standby -> on air: the device's buffer shrank
    assert _window(pairing, [0, 400, 500]) == 240 - 500  # back to 240 samples of lead at most


def test_no_output_latency_known_no_move_earlier() -> None:
    unknown = ReferencePairing(RATE)
    assert _window(unknown, [-480, 0]) == 0


def test_reset_forgets_a_half_window(pairing: ReferencePairing) -> None:
    for _ in range(RATE // CALLBACK // 2):
        pairing.observe(-480, CALLBACK)
    pairing.reset()
    assert _window(pairing, [0]) == 0


def test_the_canceller_stops_waiting_and_still_cancels_after_the_move() -> None:
    """The device takes the reference ~30 ms after the mic hears its moment (block timing): the
    mic waits until the pairing moves (in the silence before the anchor's first words), then every
    block comes out as it goes in, echo removed."""
    lag = int(0.030 * RATE)  # the reference is handed this long after the mic sample it pairs with
    room = int(0.020 * RATE)
    speech = program_track([piper_speech(text) for text in ANCHOR_LINES[:2]], 12.0, -16.0)
    program = np.concatenate([np.zeros(int(1.5 * RATE), np.float32), speech])
    # handed `lag` late and heard one output latency later, plus the room
    delay_ms = 1000.0 * (lag + room) / RATE + 1000.0 * OUTPUT_LATENCY_S
    mic = leak(program, EchoScenario(leakage_db=-10.0, delay_ms=delay_ms, room_noise_dbfs=-90.0))
    canceller = EchoCanceller()
    canceller.pairing.set_output_latency(OUTPUT_LATENCY_S)
    out, waiting = [], []
    for start in range(0, len(mic) - CALLBACK, CALLBACK):
        canceller.push_reference(program[max(0, start - lag) : max(0, start + CALLBACK - lag)])
        out.append(canceller.process(mic[start : start + CALLBACK]))
        waiting.append(start + CALLBACK - sum(len(o) for o in out))
    cancelled = np.concatenate(out)
    assert canceller.pairing.moves == 1  # one move, no hunting
    assert max(waiting[2 * RATE // CALLBACK :]) < BLOCK  # after it: no mic sample waits a block
    assert max(waiting[: RATE // CALLBACK]) >= lag  # before it the mic waited (the test has teeth)
    settled = slice(5 * RATE, len(cancelled))
    erle = level_dbfs(mic[settled])[0] - level_dbfs(cancelled[settled])[0]
    assert erle >= 20.0  # as tests/audio/test_aec.py asks
