"""The barge-in hold: the anchor pauses at the host's first voiced frame, and goes on after a false alarm."""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np

from studio.audio.outputs import ClockedOutput
from studio.audio.sources import paced_frames
from studio.config import load_settings
from studio.engine.events import AnchorHeld, AnchorInterrupted, ReplyClauseStarted
from studio.engine.hold import HOLD_RELEASE_FRAMES, BargeInHold
from tests.engine.test_turn_loop import REPLY, make_engine, quiet, tone

FRAME = 512


async def anchor_on_air(engine, output: ClockedOutput) -> None:
    """Ask by typing and wait until the reply's audio plays."""
    started = asyncio.Event()
    engine.bus.subscribe(lambda e: started.set() if isinstance(e, ReplyClauseStarted) else None)
    engine.submit_text("Tell me about tonight")
    await asyncio.wait_for(started.wait(), timeout=10)
    while output.played_samples() < output.sample_rate // 5:  # 200 ms aired
        await asyncio.sleep(0.01)


def test_barge_in_pauses_the_anchor_at_the_first_voiced_frame_then_cuts_it():
    output = ClockedOutput(24_000, keep_recording=True)

    async def scenario():
        engine, _chat, _tts, events = make_engine(output=output, per_token=0.08)
        await anchor_on_air(engine, output)
        played = []
        async for frame in paced_frames([tone(0.5)], FRAME, paced=True):
            engine.process_frame(frame)
            played.append(output.played_samples())
            if any(isinstance(e, AnchorInterrupted) for e in events):
                break
        await engine.wait_anchor_idle()
        await engine.aclose()
        return events, played

    events, played = asyncio.run(scenario())
    holds = [e for e in events if isinstance(e, AnchorHeld)]
    assert holds[0].held and holds[0].reason == "the host may be cutting in"
    assert played[0] == played[-2], "held from the first voiced frame: nothing more played"
    assert len(played) >= 6, "the barge-in itself still needs barge_in_ms of voice"
    assert any(isinstance(e, AnchorInterrupted) for e in events)
    assert holds[-1].held is False, "the hold ends with the barge-in"


def test_a_cough_pauses_the_anchor_briefly_and_it_goes_on_without_losing_a_word():
    output = ClockedOutput(24_000, keep_recording=True)

    async def scenario():
        engine, _chat, _tts, events = make_engine(output=output, per_token=0.02)
        await anchor_on_air(engine, output)
        async for frame in paced_frames([tone(0.064), quiet(0.3)], FRAME, paced=True):
            engine.process_frame(frame)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return engine, events

    engine, events = asyncio.run(scenario())
    holds = [(e.held, e.reason) for e in events if isinstance(e, AnchorHeld)]
    assert holds == [
        (True, "the host may be cutting in"),
        (False, "not a barge-in: the host's voice stopped"),
    ]
    assert not any(isinstance(e, AnchorInterrupted) for e in events)
    turn = engine.completed[-1]
    assert not turn.interrupted and turn.reply == REPLY
    assert abs(len(output.recording()) / 24_000 - turn.audio_seconds) < 0.05, "every sample played"


def test_hold_off_in_settings_means_no_pause():
    output = ClockedOutput(24_000)

    async def scenario():
        engine, _chat, _tts, events = make_engine(output=output, per_token=0.02, barge_in_hold=False)
        await anchor_on_air(engine, output)
        async for frame in paced_frames([tone(0.064), quiet(0.1)], FRAME, paced=True):
            engine.process_frame(frame)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return events

    assert not any(isinstance(e, AnchorHeld) for e in asyncio.run(scenario()))


def test_a_murmur_that_never_becomes_a_line_is_held_at_most_barge_in_ms_plus_grace_then_not_again():
    hold = BargeInHold(load_settings(barge_in_ms=200), FRAME)
    changes = [hold.on_frame(0.4, False, True) for _ in range(40)]  # between 0.3 (hold) and 0.5 (line)
    assert changes[0] is True
    released = changes.index(False)
    assert released == hold.max_frames, "released when the grace ran out"
    assert hold.reason == "not a barge-in: no line started in time"
    assert all(c is None for c in changes[released + 1 :]), "no new hold until the host pauses"
    for _ in range(HOLD_RELEASE_FRAMES):
        assert hold.on_frame(0.0, False, True) is None
    assert hold.on_frame(0.9, False, True) is True, "re-armed after a pause"


def test_echo_and_a_quiet_anchor_never_hold():
    hold = BargeInHold(load_settings(), FRAME)
    assert hold.on_frame(0.95, True, True) is None, "the echo gate's frames never hold"
    assert hold.on_frame(0.95, False, False) is None, "nothing to hold when the anchor is not on air"
    assert hold.on_frame(0.95, False, True) is True
    assert hold.on_frame(0.95, False, False) is False, "the answer ended: released"


def test_a_held_anchor_waits_out_a_gap_between_words_that_the_echo_gate_calls_echo():
    # Seen in `bench --barge-in` (-20 dB): two -55 dB frames between the host's words, the echo
    # of what aired before the pause in flight, so the gate said echo while Silero still heard
    # speech; the anchor came back for a word and the silence came 100 ms later.
    hold = BargeInHold(load_settings(), FRAME)
    assert hold.on_frame(0.95, False, True) is True
    for _ in range(HOLD_RELEASE_FRAMES + 1):
        assert hold.on_frame(0.98, True, True) is None, "Silero hears the host: still held"
    assert hold.holding
    for _ in range(HOLD_RELEASE_FRAMES - 1):
        assert hold.on_frame(0.05, True, True) is None
    assert hold.on_frame(0.05, False, True) is False, "the voice stopped: released"
    assert hold.reason == "not a barge-in: the host's voice stopped"


def test_an_echo_gap_late_in_a_hold_gives_the_barge_in_its_time_again_twice_the_limit_at_most():
    # The barge-in's run of voiced frames restarts after a frame the gate calls echo; a hold that
    # kept its first deadline would run out just before that barge-in could form.
    hold = BargeInHold(load_settings(), FRAME)
    assert hold.on_frame(0.95, False, True) is True
    for _ in range(hold.max_frames - 2):
        assert hold.on_frame(0.95, False, True) is None
    assert hold.on_frame(0.98, True, True) is None  # a gap between two words, echo in flight
    for _ in range(hold.max_frames - 1):
        assert hold.on_frame(0.95, False, True) is None, "the barge-in still has its time"
    assert hold.holding
    # Echo flags stop once the echo of what aired before the pause is over; if they never did,
    # the hold still ends at twice the limit.
    changes = [hold.on_frame(0.98, True, True) for _ in range(hold.max_frames)]
    assert False in changes and hold.reason == "not a barge-in: no line started in time"


def test_the_hold_threshold_never_exceeds_the_vad_threshold():
    assert BargeInHold(load_settings(vad_threshold=0.2, barge_in_hold_threshold=0.6), FRAME).threshold == 0.2
    assert np.isclose(BargeInHold(load_settings(), FRAME).threshold, 0.3)


def test_turning_the_hold_off_mid_show_lets_a_held_anchor_go_on():
    output = ClockedOutput(24_000)

    async def scenario():
        engine, _chat, _tts, events = make_engine(output=output, per_token=0.02)
        await anchor_on_air(engine, output)
        engine.process_frame(tone(0.032))  # one voiced frame: held
        assert output._held
        engine.apply_settings(engine.settings.model_copy(update={"barge_in_hold": False}))
        held_after = output._held
        await engine.wait_anchor_idle()
        await engine.aclose()
        return events, held_after, engine

    events, held_after, engine = asyncio.run(scenario())
    assert not held_after
    assert [(e.held, e.reason) for e in events if isinstance(e, AnchorHeld)][-1] == (
        False,
        "barge-in settings changed",
    )
    assert not engine.completed[-1].interrupted


def test_switching_to_push_to_talk_while_held_lets_the_anchor_go_on():
    output = ClockedOutput(24_000)

    async def scenario():
        engine, _chat, _tts, _events = make_engine(output=output, per_token=0.02)
        await anchor_on_air(engine, output)
        engine.process_frame(tone(0.032))
        held = output._held
        engine.set_mode("push_to_talk")
        await engine.wait_anchor_idle()
        await engine.aclose()
        return held, output._held, engine

    held, still_held, engine = asyncio.run(scenario())
    assert held and not still_held
    assert not engine.completed[-1].interrupted


def test_input_that_ends_while_held_lets_the_anchor_finish():
    output = ClockedOutput(24_000)

    async def scenario():
        engine, _chat, _tts, _events = make_engine(output=output, per_token=0.02)
        await anchor_on_air(engine, output)

        async def one_voiced_frame():
            yield tone(0.032)

        await asyncio.wait_for(engine.run(one_voiced_frame()), timeout=30)
        await engine.aclose()
        return engine

    assert not asyncio.run(scenario()).completed[-1].interrupted


def test_no_clause_is_announced_as_started_while_the_anchor_is_held():
    output = ClockedOutput(24_000)

    async def scenario():
        engine, _chat, _tts, events = make_engine(output=output, per_token=0.001)
        started = asyncio.Event()
        engine.bus.subscribe(lambda e: started.set() if isinstance(e, ReplyClauseStarted) else None)
        await anchor_on_air(engine, output)
        before = sum(isinstance(e, ReplyClauseStarted) for e in events)
        engine.process_frame(tone(0.032))  # held; no frame comes to end it for a while
        started.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(started.wait(), timeout=1.5)  # clauses fall due in this time
        during = sum(isinstance(e, ReplyClauseStarted) for e in events) - before
        for _ in range(3):
            engine.process_frame(quiet(0.032))  # the voice stopped: it goes on
        await engine.wait_anchor_idle()
        await engine.aclose()
        clauses = sum(isinstance(e, ReplyClauseStarted) for e in events)
        return before, during, clauses

    before, during, clauses = asyncio.run(scenario())
    assert during == 0, "a held clause is not on air: no caption, no aired record"
    assert clauses > before + 1, "every clause was announced once it played"
