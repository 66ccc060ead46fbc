"""Where a host's new words go: the unanswered line they continue, a barge-in, or a logged discard.

Instrumented backends with a final transcript held on a gate, so each case is decided by what
happened, not by how fast the machine is.
"""

from __future__ import annotations

import asyncio

import numpy as np

from studio.audio.outputs import ClockedOutput
from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelayChat,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.config import load_settings
from studio.engine.engine import StudioEngine
from studio.engine.events import (
    AnchorInterrupted,
    HostLineResumed,
    HostSpeechStarted,
    ReplyClauseStarted,
    TranscriptUpdated,
    TurnCompleted,
    TurnDecided,
    TurnDiscarded,
)
from studio.voices.profile import VoiceProfile
from tests.engine.measuring_stt import MeasuringSpeechToText

RATE = INPUT_SAMPLE_RATE
REPLY = "Good evening, it is a calm night here. The sky is clear."


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE), dtype=np.float32) / RATE
    return (0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def feed(engine: StudioEngine, *parts: np.ndarray) -> None:
    audio = np.concatenate(parts)
    for start in range(0, len(audio) - 511, 512):
        engine.process_frame(audio[start : start + 512])


def make_engine(**overrides):
    stt = MeasuringSpeechToText()
    stack = BackendStack(
        preset="instrumented",
        stt=stt,
        vad=EnergyVoiceActivity(),
        turn=FixedDelayTurnDetector(delay=0.0, probability=0.95),
        chat=FixedDelayChat(REPLY, first=0.01, per_token=0.01),
        tts=FixedDelaySynthesizer(first=0.01, chunk_seconds=0.1),
    )
    settings = load_settings(barge_in_ms=96, **overrides)
    engine = StudioEngine(settings, stack, ClockedOutput(24_000), VoiceProfile(name="T", anchor_name="Tess"))
    events: list = []
    engine.bus.subscribe(events.append)
    return engine, stt, stack.chat, events


async def until(events: list, kind: type, count: int = 1) -> None:
    """Wait until `count` events of `kind` were published."""
    async with asyncio.timeout(30):
        while sum(isinstance(e, kind) for e in events) < count:
            await asyncio.sleep(0.005)


async def first_line_pending(engine: StudioEngine, stt: MeasuringSpeechToText) -> None:
    """One second of speech, then a pause that ends the turn; its final transcript is held."""
    feed(engine, tone(1.0), quiet(0.4))
    async with asyncio.timeout(30):
        await stt.finals_started.wait()


def test_speech_after_a_pause_continues_the_unanswered_line():
    async def scenario():
        engine, stt, chat, events = make_engine()
        await first_line_pending(engine, stt)
        feed(engine, tone(0.5), quiet(0.4))  # the host goes on before anything aired
        stt.release.set()
        await until(events, TurnCompleted)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return engine, chat, events

    _engine, chat, events = asyncio.run(scenario())
    assert [type(e) for e in events if isinstance(e, HostSpeechStarted | HostLineResumed)] == [
        HostSpeechStarted,
        HostLineResumed,
    ]
    (turn,) = [e for e in events if isinstance(e, TurnCompleted)]
    assert turn.turn_id == 1 and turn.transcript == "speech 1.5 s" and not turn.interrupted
    assert len(chat.requests) == 1 and chat.requests[0][-1].content == "speech 1.5 s"
    assert not any(isinstance(e, AnchorInterrupted) for e in events)


def test_speech_after_the_anchor_aired_is_a_barge_in_and_both_lines_are_kept():
    async def scenario():
        engine, stt, _chat, events = make_engine()
        stt.release.set()
        feed(engine, tone(1.0), quiet(0.4))
        await until(events, ReplyClauseStarted)
        feed(engine, tone(0.6), quiet(0.4))  # talks over the anchor
        await until(events, TurnCompleted, 2)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return engine, events

    engine, events = asyncio.run(scenario())
    assert not any(isinstance(e, HostLineResumed) for e in events)
    assert [e.turn_id for e in events if isinstance(e, HostSpeechStarted)] == [1, 2]
    first, second = [e for e in events if isinstance(e, TurnCompleted)]
    assert first.interrupted and first.transcript == "speech 1.0 s"
    assert second.transcript == "speech 0.5 s"
    users = [m.content for m in engine.conversation.lines if m.role == "user"]
    assert users == ["speech 1.0 s", "speech 0.5 s"]


def test_a_typed_line_after_a_pause_ends_the_spoken_line_it_continues():
    async def scenario():
        engine, stt, chat, events = make_engine()
        await first_line_pending(engine, stt)
        engine.submit_text("And the weekend?")
        stt.release.set()
        await until(events, TurnCompleted)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return chat, events

    chat, events = asyncio.run(scenario())
    (turn,) = [e for e in events if isinstance(e, TurnCompleted)]
    assert turn.turn_id == 1 and turn.transcript == "speech 1.0 s And the weekend?"
    assert chat.requests[-1][-1].content == "speech 1.0 s And the weekend?"


def test_push_to_talk_again_before_the_anchor_spoke_continues_the_line():
    async def scenario():
        engine, stt, _chat, events = make_engine(turn_mode="push_to_talk")
        engine.push_to_talk(True)
        feed(engine, tone(1.0))
        engine.push_to_talk(False)
        async with asyncio.timeout(30):
            await stt.finals_started.wait()
        engine.push_to_talk(True)
        feed(engine, tone(1.0))
        engine.push_to_talk(False)
        stt.release.set()
        await until(events, TurnCompleted)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return events

    events = asyncio.run(scenario())
    (turn,) = [e for e in events if isinstance(e, TurnCompleted)]
    assert turn.transcript == "speech 2.0 s"
    assert [e.reason for e in events if isinstance(e, TurnDecided)] == ["talk key released"]


def test_a_line_dropped_by_a_mode_switch_is_transcribed_and_logged_with_its_reason():
    async def scenario():
        engine, stt, _, events = make_engine(turn_max_silence_ms=5000, turn_min_silence_ms=3000)
        stt.release.set()
        feed(engine, tone(1.0))
        engine.set_mode("push_to_talk")
        await until(events, TurnDiscarded)
        await engine.aclose()
        return events

    events = asyncio.run(scenario())
    finals = [e.text for e in events if isinstance(e, TranscriptUpdated) and e.is_final]
    assert finals == ["speech 1.0 s"]
    (discarded,) = [e for e in events if isinstance(e, TurnDiscarded)]
    assert discarded.reason == "turn mode switched during the line"
