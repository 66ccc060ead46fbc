"""Each stage raises, hangs past its timeout, or answers garbage: the show goes on, then recovers."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from studio.engine.events import (
    ReplyCaptioned,
    StageStatusChanged,
    TurnCompleted,
    TurnDecided,
    TurnDiscarded,
)
from tests.resilience.helpers import FALLBACK, QUESTION, REPLY, faulty_engine, speak_a_line


def _status(stage: str, state: str):
    return lambda e: isinstance(e, StageStatusChanged) and e.stage == stage and e.state == state


@pytest.mark.parametrize("kind", ["fail", "hang", "garbage"])
def test_chat_failure_falls_back_to_persona_lines_then_recovers(kind):
    async def scenario():
        engine, plan, events, _ = faulty_engine(f"chat:{kind}:1.0")
        engine.submit_text("Tell me about tonight")
        await engine.wait_anchor_idle()
        degraded = await events.wait_for(_status("chat", "degraded"))
        plan.clear()
        await events.wait_for(_status("chat", "ready"))
        engine.submit_text("And tomorrow?")
        await engine.wait_anchor_idle()
        await engine.aclose()
        return engine.completed, degraded

    turns, degraded = asyncio.run(scenario())
    assert turns[0].reply == FALLBACK[0] and turns[0].heard == FALLBACK[0]
    assert "persona" in turns[0].backends["chat"]
    assert "pre-written persona lines" in degraded.detail
    assert turns[1].reply == REPLY, "the real model answers again once it is back"


@pytest.mark.parametrize("kind", ["fail", "hang", "garbage"])
def test_tts_failure_shows_captions_then_recovers(kind):
    async def scenario():
        engine, plan, events, output = faulty_engine(f"tts:{kind}:1.0")
        engine.submit_text("Tell me about tonight")
        await engine.wait_anchor_idle()
        await events.wait_for(_status("tts", "degraded"))
        captured = output.recording().copy()
        plan.clear()
        await events.wait_for(_status("tts", "ready"))
        engine.submit_text("And tomorrow?")
        await engine.wait_anchor_idle()
        await engine.aclose()
        return engine.completed, events, captured, output.recording()

    turns, events, during, after = asyncio.run(scenario())
    captions = [e for e in events.of(ReplyCaptioned) if e.turn_id == turns[0].turn_id]
    assert captions and all(c.reason == "speech synthesis unavailable" for c in captions)
    assert turns[0].reply == REPLY, "the reply text is still published"
    assert np.isfinite(during).all(), "garbage audio never reaches the program output"
    assert turns[1].audio_seconds > 1.0 and len(after) > len(during)


@pytest.mark.parametrize("kind", ["fail", "hang", "garbage"])
def test_stt_failure_keeps_typed_lines_working_then_recovers(kind):
    async def scenario():
        engine, plan, events, _ = faulty_engine(f"stt:{kind}:1.0")
        await speak_a_line(engine)
        await events.wait_for(_status("stt", "degraded"))
        engine.submit_text("Typed while speech-to-text is down")
        await engine.wait_anchor_idle()
        plan.clear()
        await events.wait_for(_status("stt", "ready"))
        await speak_a_line(engine)
        await engine.aclose()
        return engine.completed, events

    turns, events = asyncio.run(scenario())
    discarded = events.of(TurnDiscarded)
    assert discarded and discarded[0].reason == "speech-to-text unavailable; type the line"
    assert [t.transcript for t in turns] == ["Typed while speech-to-text is down", QUESTION]
    assert all(t.reply == REPLY for t in turns)


@pytest.mark.parametrize("kind", ["fail", "hang", "garbage"])
def test_end_of_turn_failure_leaves_the_silence_timeout_in_charge(kind):
    async def scenario():
        engine, plan, events, _ = faulty_engine(f"turn:{kind}:1.0")
        await speak_a_line(engine)
        await events.wait_for(_status("turn", "degraded"))
        plan.clear()
        await events.wait_for(_status("turn", "ready"))
        await speak_a_line(engine)
        await engine.aclose()
        return engine.completed, events

    turns, events = asyncio.run(scenario())
    reasons = [e.reason for e in events.of(TurnDecided)]
    assert reasons[0] == "silence timeout"
    assert reasons[1].startswith("end-of-turn model"), "the model decides again after recovery"
    assert [t.reply for t in turns] == [REPLY, REPLY]


@pytest.mark.parametrize("kind", ["fail", "garbage"])
def test_vad_failure_falls_back_to_loudness(kind):
    async def scenario():
        engine, plan, events, _ = faulty_engine(f"vad:{kind}:1.0")
        await speak_a_line(engine)
        degraded = await events.wait_for(_status("vad", "degraded"))
        plan.clear()
        await events.wait_for(_status("vad", "ready"))
        await engine.aclose()
        return engine.completed, degraded

    turns, degraded = asyncio.run(scenario())
    assert "loudness" in degraded.detail
    assert len(turns) == 1 and turns[0].transcript == QUESTION


def test_a_stage_that_keeps_failing_is_reported_down_and_still_recovers():
    async def scenario():
        engine, plan, events, _ = faulty_engine("chat:fail:1.0")
        engine.submit_text("Hello?")
        await engine.wait_anchor_idle()
        await events.wait_for(_status("chat", "down"))
        plan.clear()
        ready = await events.wait_for(_status("chat", "ready"))
        await engine.aclose()
        return ready

    assert asyncio.run(scenario()).detail.startswith("recovered after")


def test_a_flaky_chat_model_is_retried_before_the_fallback():
    async def scenario():
        engine, plan, events, _ = faulty_engine("chat:fail:1.0")
        original = plan.draw
        calls = []

        def first_call_only(stage):  # fails once, then works: the retry gets the real reply
            calls.append(stage)
            return original(stage) if stage == "chat" and calls.count("chat") == 1 else None

        plan.draw = first_call_only  # type: ignore[method-assign]
        engine.submit_text("Hello?")
        await engine.wait_anchor_idle()
        await engine.aclose()
        return engine.completed[0], events

    turn, events = asyncio.run(scenario())
    assert turn.reply == REPLY
    states = [e.state for e in events.of(StageStatusChanged) if e.stage == "chat"]
    assert states == ["degraded", "ready"]


def test_turns_survive_random_faults_in_every_stage():
    async def scenario():
        spec = "chat:fail:0.2,chat:hang:0.1,tts:garbage:0.2,tts:hang:0.1,stt:fail:0.2,turn:hang:0.2"
        engine, plan, events, _ = faulty_engine(spec, mid_stream=True)
        for index in range(12):
            if index % 2:
                engine.submit_text(f"Typed question {index}")
                await engine.wait_anchor_idle()
            else:
                await speak_a_line(engine)
        await engine.aclose()
        return engine, plan, events

    _engine, plan, events = asyncio.run(scenario())
    decided = {e.turn_id for e in events.of(TurnDecided)}
    completed = {e.turn_id for e in events.of(TurnCompleted)}
    assert plan.total >= 5
    assert decided == completed, "every turn that started also finished"
    assert len(completed) >= 6
