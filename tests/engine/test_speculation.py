"""The reply prepared on the speculative final: adopted when the turn ends on that text, dropped unheard
when the host goes on or the final differs. An end-of-turn model held on a gate decides when the turn
ends, so each case is decided by what happened, not by how fast the machine is.
"""

from __future__ import annotations

import asyncio

import numpy as np

from studio.audio.outputs import InstantOutput
from studio.backends.contracts import INPUT_SAMPLE_RATE, BackendInfo
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import EnergyVoiceActivity, FixedDelayChat, FixedDelaySynthesizer
from studio.config import load_settings
from studio.engine.engine import StudioEngine
from studio.engine.events import (
    AnchorLineQueued,
    HostLineResumed,
    ReplyClauseStarted,
    TranscriptUpdated,
    TurnCompleted,
    TurnDecided,
)
from studio.voices.profile import VoiceProfile
from tests.engine.measuring_stt import MeasuringSpeechToText

RATE = INPUT_SAMPLE_RATE
REPLY = "Good evening, it is a calm night here. The sky is clear."


class GatedTurnDetector:
    """Says 'complete' only once the test opens `release`; `asked` is set when the engine asks."""

    info = BackendInfo(name="gated end-of-turn (test)")

    def __init__(self) -> None:
        self.asked, self.release = asyncio.Event(), asyncio.Event()

    async def completion_probability(self, audio: np.ndarray, transcript: str | None) -> float:
        self.asked.set()
        await self.release.wait()
        return 0.95


class WatchedChat(FixedDelayChat):
    """FixedDelayChat that says when a request arrives and when a reply was written to its end."""

    def __init__(self) -> None:
        super().__init__(REPLY, first=0.01, per_token=0.005)
        self.requested, self.finished = asyncio.Event(), asyncio.Event()

    async def stream_reply(self, messages, options):  # type: ignore[no-untyped-def]
        self.requested.set()
        async for piece in super().stream_reply(messages, options):
            yield piece
        self.finished.set()


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
    stt, turn, chat = MeasuringSpeechToText(gated=False), GatedTurnDetector(), WatchedChat()
    stack = BackendStack(
        preset="instrumented",
        stt=stt,
        vad=EnergyVoiceActivity(),
        turn=turn,
        chat=chat,
        tts=FixedDelaySynthesizer(first=0.01, chunk_seconds=0.1),
    )
    settings = load_settings(turn_max_silence_ms=10_000, **overrides)
    engine = StudioEngine(settings, stack, InstantOutput(24_000), VoiceProfile(name="T", anchor_name="Tess"))
    events: list = []
    engine.bus.subscribe(events.append)
    return engine, stt, turn, chat, events


async def until(events: list, kind: type, count: int = 1) -> None:
    async with asyncio.timeout(30):
        while sum(isinstance(e, kind) for e in events) < count:
            await asyncio.sleep(0.005)


async def paused_with_reply_prepared(
    engine: StudioEngine, turn: GatedTurnDetector, chat: WatchedChat
) -> None:
    """One second of speech, then a pause: the end of turn is asked (and held); the reply is prepared."""
    feed(engine, tone(1.0), quiet(0.4))
    async with asyncio.timeout(30):
        await turn.asked.wait()
        await chat.requested.wait()


def test_the_reply_is_prepared_while_the_turn_is_decided_and_airs_once_it_is():
    async def scenario():
        engine, _stt, turn, chat, events = make_engine()
        await paused_with_reply_prepared(engine, turn, chat)
        async with asyncio.timeout(30):
            await chat.finished.wait()  # the whole reply was written (and held) before the decision
        before_decision = list(events)
        turn.release.set()
        await until(events, TurnCompleted)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return chat, before_decision, events

    chat, before_decision, events = asyncio.run(scenario())
    assert not any(
        isinstance(e, AnchorLineQueued | ReplyClauseStarted | TurnDecided) for e in before_decision
    )
    assert len(chat.requests) == 1 and chat.requests[0][-1].content == "speech 1.0 s"
    kinds = [type(e) for e in events if isinstance(e, TurnDecided | AnchorLineQueued)]
    assert kinds[0] is TurnDecided and AnchorLineQueued in kinds, "the decision is published before the line"
    (turn,) = [e for e in events if isinstance(e, TurnCompleted)]
    assert turn.reply == REPLY and not turn.interrupted
    assert turn.latency_ms["llm_first_token"] is not None and turn.latency_ms["voice_to_voice"] is not None
    assert turn.latency_ms["turn_decided"] is not None


def test_the_host_going_on_drops_the_prepared_reply_unheard_and_the_line_continues():
    async def scenario():
        engine, _stt, turn, chat, events = make_engine()
        await paused_with_reply_prepared(engine, turn, chat)
        feed(engine, tone(0.5), quiet(0.4))  # goes on before the turn was decided
        turn.release.set()
        await until(events, TurnCompleted)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return chat, events

    chat, events = asyncio.run(scenario())
    assert chat.cancelled >= 1, "the prepared reply's chat stream was closed"
    assert chat.requests[-1][-1].content == "speech 1.5 s"
    (turn,) = [e for e in events if isinstance(e, TurnCompleted)]
    assert turn.transcript == "speech 1.5 s" and turn.reply == REPLY
    queued = [e for e in events if isinstance(e, AnchorLineQueued)]
    assert queued and all(e.turn_id == turn.turn_id for e in queued)
    assert len(queued) == len([e for e in events if isinstance(e, ReplyClauseStarted)]), "nothing held leaked"
    assert not any(isinstance(e, HostLineResumed) for e in events), "it was one line all along"


def test_a_final_that_differs_from_the_speculative_text_gets_its_own_reply():
    async def scenario():
        engine, stt, turn, chat, events = make_engine()
        stt.final_text = "speech, heard better"
        await paused_with_reply_prepared(engine, turn, chat)
        turn.release.set()
        await until(events, TurnCompleted)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return chat, events

    chat, events = asyncio.run(scenario())
    assert [r[-1].content for r in chat.requests] == ["speech 1.0 s", "speech, heard better"]
    assert chat.cancelled == 1
    (turn,) = [e for e in events if isinstance(e, TurnCompleted)]
    assert turn.transcript == "speech, heard better" and turn.reply == REPLY
    finals = [e.text for e in events if isinstance(e, TranscriptUpdated) and e.is_final]
    assert finals == ["speech, heard better"]


def test_without_speculation_nothing_is_asked_before_the_turn_is_decided():
    async def scenario():
        engine, _stt, turn, chat, events = make_engine(speculative_reply=False)
        feed(engine, tone(1.0), quiet(0.4))
        preparing = engine._speculating is not None  # with speculation this is set by the pause itself
        async with asyncio.timeout(30):
            await turn.asked.wait()
        asked_early = len(chat.requests) + preparing
        turn.release.set()
        await until(events, TurnCompleted)
        await engine.wait_anchor_idle()
        await engine.aclose()
        return asked_early, chat

    asked_early, chat = asyncio.run(scenario())
    assert asked_early == 0 and len(chat.requests) == 1
