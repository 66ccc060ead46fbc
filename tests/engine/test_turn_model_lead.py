"""The end-of-turn model is asked before the pause is long enough, and acts only once it is.

Its answer is then in at the frame that completes `turn_min_silence_ms`, not a model's time later;
a host who goes on in between keeps the line. The energy VAD makes every frame's verdict exact, and
each frame is handled only once what the previous one started has settled.
"""

from __future__ import annotations

import asyncio

from studio.engine.events import TurnCompleted, TurnDecided
from studio.engine.policies import TURN_MODEL_LEAD_FRAMES
from tests.engine.test_speculation import make_engine, quiet, tone, until

FRAME_SECONDS = 512 / 16_000
SPOKEN = 32 * FRAME_SECONDS


async def frame_by_frame(engine, audio) -> None:
    for start in range(0, len(audio) - 511, 512):
        engine.process_frame(audio[start : start + 512])
        await engine.wait_settled()


def test_the_model_is_asked_early_and_the_turn_ends_at_the_minimum_pause():
    async def scenario():
        engine, _stt, turn, _chat, events = make_engine()
        turn.release.set()  # the model answers "complete" at once
        await frame_by_frame(engine, tone(SPOKEN))
        asked_at = decided_at = None
        for index in range(1, 12):
            await frame_by_frame(engine, quiet(FRAME_SECONDS))
            if asked_at is None and turn.asked.is_set():
                asked_at = index
            if decided_at is None and any(isinstance(e, TurnDecided) for e in events):
                decided_at = index
        await until(events, TurnCompleted)
        await engine.wait_anchor_idle()
        min_frames = engine._policy.min_silence_frames
        await engine.aclose()
        return asked_at, decided_at, min_frames

    asked_at, decided_at, min_frames = asyncio.run(scenario())
    assert asked_at == min_frames - TURN_MODEL_LEAD_FRAMES and asked_at < min_frames
    assert decided_at == min_frames, "never before the minimum pause, and not a model's time after it"


def test_a_host_who_goes_on_after_the_early_answer_keeps_the_line():
    async def scenario():
        engine, _stt, turn, chat, events = make_engine()
        turn.release.set()
        lead_pause = quiet((engine._policy.min_silence_frames - 1) * FRAME_SECONDS)
        await frame_by_frame(engine, tone(SPOKEN))
        await frame_by_frame(engine, lead_pause)  # answered "complete", one frame short of the pause
        answered_early = turn.asked.is_set() and not any(isinstance(e, TurnDecided) for e in events)
        await frame_by_frame(engine, tone(SPOKEN))  # ... and the host goes on
        await frame_by_frame(engine, quiet(0.4))
        await until(events, TurnCompleted)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return answered_early, chat, events

    answered_early, chat, events = asyncio.run(scenario())
    assert answered_early
    assert len([e for e in events if isinstance(e, TurnDecided)]) == 1
    (completed,) = [e for e in events if isinstance(e, TurnCompleted)]
    assert completed.transcript == "speech 2.0 s", "one line, both parts"
    assert chat.requests[-1][-1].content == "speech 2.0 s"
