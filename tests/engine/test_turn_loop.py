"""The turn loop with instrumented backends: turn decisions, push-to-talk, typing, barge-in."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from studio.audio.outputs import ClockedOutput, InstantOutput
from studio.audio.sources import paced_frames
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelayChat,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.config import load_settings
from studio.engine.engine import StudioEngine
from studio.engine.events import (
    AnchorInterrupted,
    ReplyClauseStarted,
    TurnDecided,
)
from studio.voices.profile import VoiceProfile

RATE = 16_000
REPLY = "Good evening, it is a calm night here. The sky is clear and the wind is light. Stay with us."


def tone(seconds: float, amplitude: float = 0.2) -> np.ndarray:
    t = np.arange(int(seconds * RATE), dtype=np.float32) / RATE
    return (amplitude * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def make_engine(output=None, turn_probability: float = 0.9, per_token: float = 0.005, **overrides):
    settings = load_settings(**overrides)
    chat = FixedDelayChat(REPLY, first=0.05, per_token=per_token)
    tts = FixedDelaySynthesizer(first=0.02, chunk_seconds=0.1)
    stack = BackendStack(
        preset="instrumented",
        stt=FixedDelaySpeechToText("How is the weather tonight?", delay=0.03),
        vad=EnergyVoiceActivity(),
        turn=FixedDelayTurnDetector(delay=0.01, probability=turn_probability),
        chat=chat,
        tts=tts,
    )
    output = output or InstantOutput(24_000, keep_recording=True)
    engine = StudioEngine(settings, stack, output, VoiceProfile(name="Test", anchor_name="Tess"))
    events: list = []
    engine.bus.subscribe(events.append)
    return engine, chat, tts, events


def frames_of(*parts: np.ndarray) -> list[np.ndarray]:
    audio = np.concatenate(parts)
    usable = len(audio) - len(audio) % 512
    return [audio[i : i + 512] for i in range(0, usable, 512)]


async def feed(engine: StudioEngine, frames: list[np.ndarray]) -> None:
    for frame in frames:
        engine.process_frame(frame)
        await engine.wait_settled()


def test_auto_turn_answers_after_a_pause():
    async def scenario():
        engine, chat, _, events = make_engine()
        await feed(engine, frames_of(quiet(0.3), tone(1.0), quiet(1.0)))
        await engine.wait_anchor_idle()
        return engine, chat, events

    engine, chat, events = asyncio.run(scenario())
    decided = [e for e in events if isinstance(e, TurnDecided)]
    assert len(decided) == 1 and decided[0].reason.startswith("end-of-turn model")
    (turn,) = engine.completed
    assert turn.transcript == "How is the weather tonight?"
    assert turn.reply == REPLY and turn.heard == REPLY and not turn.interrupted
    assert all(turn.latency_ms[k] is not None for k in ("turn_decided", "stt_final", "voice_to_voice"))
    assert turn.latency_ms["turn_decided"] <= turn.latency_ms["voice_to_voice"]
    assert chat.requests[0][0].role == "system" and "Tess" in chat.requests[0][0].content
    assert [m.role for m in engine.conversation.lines] == ["user", "assistant"]


def test_incomplete_turn_waits_for_silence_timeout():
    async def scenario():
        engine, _, _, events = make_engine(turn_probability=0.05, turn_max_silence_ms=800)
        await feed(engine, frames_of(tone(1.0), quiet(0.5)))
        undecided = not any(isinstance(e, TurnDecided) for e in events)
        await feed(engine, frames_of(quiet(0.5)))
        await engine.wait_anchor_idle()
        return undecided, events

    undecided, events = asyncio.run(scenario())
    assert undecided
    assert [e.reason for e in events if isinstance(e, TurnDecided)] == ["silence timeout"]


def test_unsure_model_plus_finished_sentence_ends_the_turn_before_the_timeout():
    async def scenario():
        engine, _, _, events = make_engine(turn_probability=0.3, turn_max_silence_ms=3000)
        await feed(engine, frames_of(tone(1.0), quiet(1.0)))
        await engine.wait_anchor_idle()
        return events

    reasons = [e.reason for e in asyncio.run(scenario()) if isinstance(e, TurnDecided)]
    assert reasons == ["sentence end + end-of-turn model p=0.30"]


def test_push_to_talk_turn_is_what_the_key_held():
    async def scenario():
        engine, _, _, events = make_engine(turn_mode="push_to_talk")
        await feed(engine, frames_of(tone(0.5), quiet(1.5)))  # not held: ignored
        assert not engine.completed and not engine.anchor_busy
        engine.push_to_talk(True)
        await feed(engine, frames_of(tone(0.8), quiet(1.5)))  # a long pause while held: no turn
        assert not any(isinstance(e, TurnDecided) for e in events)
        engine.push_to_talk(False)
        await engine.wait_anchor_idle()
        return engine, events

    engine, events = asyncio.run(scenario())
    assert [e.reason for e in events if isinstance(e, TurnDecided)] == ["talk key released"]
    assert len(engine.completed) == 1


def test_typed_line_is_answered():
    async def scenario():
        engine, chat, _, _ = make_engine()
        engine.submit_text("  Tell me about tonight  ")
        await engine.wait_anchor_idle()
        return engine, chat

    engine, chat = asyncio.run(scenario())
    assert chat.requests[0][-1].content == "Tell me about tonight"
    assert engine.completed[0].reply == REPLY


def test_barge_in_stops_output_and_keeps_only_heard_text():
    output = ClockedOutput(24_000, keep_recording=True)

    async def scenario():
        engine, chat, tts, events = make_engine(output=output, per_token=0.08, barge_in_ms=96)
        started = asyncio.Event()
        engine.bus.subscribe(lambda e: started.set() if isinstance(e, ReplyClauseStarted) else None)
        async for frame in paced_frames([tone(1.0), quiet(0.6)], 512, paced=True):
            engine.process_frame(frame)
        await asyncio.wait_for(started.wait(), timeout=10)
        # The anchor is on air: let ~0.5 s play in real time, then the host talks over it.
        host = paced_frames([quiet(0.5), tone(0.4)], 512, paced=True)
        async for frame in host:
            engine.process_frame(frame)
            if any(isinstance(e, AnchorInterrupted) for e in events):
                break
        played_at_cut = output.played_samples()
        queued_after_cut = output._queued_until - played_at_cut
        await engine.wait_anchor_idle()
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await engine.aclose()
        return engine, chat, tts, events, queued_after_cut, leftover

    engine, chat, _tts, events, queued_after_cut, leftover = asyncio.run(scenario())
    interrupted = [e for e in events if isinstance(e, AnchorInterrupted)]
    assert len(interrupted) == 1
    assert queued_after_cut == 0, "queued anchor audio must be dropped at once"
    turn = next(t for t in engine.completed if t.interrupted)
    assert turn.heard and len(turn.heard) < len(REPLY) and REPLY.startswith(turn.heard)
    assistant = [m.content for m in engine.conversation.lines if m.role == "assistant"]
    assert assistant == [turn.heard + " —"]
    assert 0.2 < turn.audio_seconds < 2.0
    assert len(output.recording()) / 24_000 == pytest.approx(turn.audio_seconds, abs=0.05)
    assert chat.cancelled == 1, "the chat model was still writing: its stream must be closed"
    assert leftover == [] or all(t.done() for t in leftover)


def test_voice_switch_applies_from_next_reply():
    async def scenario():
        engine, chat, _, _ = make_engine()
        engine.submit_text("first")
        engine.set_voice(VoiceProfile(name="Other", anchor_name="Otto"))
        await engine.wait_anchor_idle()
        engine.submit_text("second")
        await engine.wait_anchor_idle()
        return chat

    chat = asyncio.run(scenario())
    assert "Otto" in chat.requests[1][0].content


def test_absurdly_long_reply_is_capped_at_a_sentence_boundary():
    async def scenario():
        engine, chat, _tts, _ = make_engine(max_reply_chars=30)
        engine.submit_text("Talk forever")
        await engine.wait_anchor_idle()
        return engine.completed[0], chat

    turn, chat = asyncio.run(scenario())
    assert turn.reply == "Good evening, it is a calm night here."
    assert turn.heard == turn.reply
    assert chat.cancelled == 1, "the model must be told to stop"
