"""A three-segment rundown played through a running show, spoken and typed questions, a fake clock.

The chat model is the real OllamaChat talking HTTP to a local Ollama-protocol server that records
every request: its system prompt must carry the segment, its notes, the time left and the cues.
"""

from __future__ import annotations

import asyncio
import json

import numpy as np

from studio.backends.ollama_chat import OllamaChat
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.bench.queued_mic import QueuedMicrophone
from studio.config import load_settings
from studio.engine.events import TurnCompleted
from studio.rundown import SegmentChanged, SegmentClock, parse_rundown
from studio.rundown.prompt import HAND_BACK_CUE, WRAP_UP_CUE
from studio.show import Show
from studio.show.events import ShowReady
from studio.voices.profile import VoiceProfile
from tests.fake_ollama import FakeOllama
from tests.rundown.helpers import THREE, FakeClock
from tests.show.doubles import quiet, tone
from tests.show.test_show import Events

VOICE = VoiceProfile(name="Test", anchor_name="Tess")
MAX = VoiceProfile(name="Max", anchor_name="Max")
SPOKEN = "What is the latest on the storm?"


def _stack(url: str) -> BackendStack:
    settings = load_settings(OLLAMA_HOST=url, OLLAMA_MODEL_NAME="llama3.2")
    return BackendStack(
        preset="instrumented",
        stt=FixedDelaySpeechToText(SPOKEN, delay=0.02),
        vad=EnergyVoiceActivity(),
        turn=FixedDelayTurnDetector(delay=0.01),
        chat=OllamaChat(settings),
        tts=FixedDelaySynthesizer(first=0.01, chunk_seconds=0.1),
    )


def _system(request: dict) -> str:
    """What the anchor is told in a request: its persona and the note on the host's line."""
    return "\n\n".join(
        m["content"] for m in request["messages"] if m["role"] == "system" or m is request["messages"][-1]
    )


def test_three_segments_reach_the_chat_request_and_the_session_log(tmp_path):
    clock, mic, log_path = FakeClock(), QueuedMicrophone(), tmp_path / "session.jsonl"
    with FakeOllama(reply=("Back", " to", " you", ".")) as server:
        settings = load_settings(OLLAMA_HOST=server.url, OLLAMA_MODEL_NAME="llama3.2", rundown_wrap_up_s=60)

        async def ask(events: Events, turn: int, spoken: bool) -> str:
            if spoken:
                mic.say(np.concatenate([tone(0.8), quiet(1.0)]))
            else:
                await show.asubmit_text("And what comes next?")
            await events.nth(TurnCompleted, turn)
            return _system(server.chat_requests[-1])  # a speculative request carries the same brief

        show = Show(
            settings,
            VOICE,
            stack=_stack(server.url),
            frame_source=mic.source,
            session_log=log_path,
            rundown=SegmentClock(parse_rundown(THREE), clock),
        )
        show.voice_named = lambda name: MAX if name == "Max" else None

        async def scenario() -> list[str]:
            events = Events(show)
            running = asyncio.create_task(show.run())
            await events.nth(ShowReady, 1)
            briefs = [await ask(events, 1, spoken=False)]  # before the rundown starts
            await show.anext_segment()
            clock.now += 30
            briefs.append(await ask(events, 2, spoken=True))
            await show.anext_segment()  # Weather (3 min), Max's voice
            assert show.engine is not None and show.engine.voice.name == "Max"
            clock.now += 135  # 45 s left: the last minute
            briefs.append(await ask(events, 3, spoken=False))
            await show.anext_segment()  # Sports (2 min), back to the show's voice
            assert show.engine.voice.name == "Test"
            clock.now += 130  # 10 s over
            briefs.append(await ask(events, 4, spoken=True))
            await show.anext_segment()  # the rundown ends
            briefs.append(await ask(events, 5, spoken=False))
            assert len(events.of(SegmentChanged)) == 4
            show.stop()
            await asyncio.wait_for(running, 30)
            return briefs

        before, headlines, weather, sports, after = asyncio.run(scenario())

    assert "Show rundown" not in before and "Show rundown" not in after
    assert 'segment 1 of 3, "Headlines"' in headlines and "Open with the storm warning." in headlines
    assert "Time left in this segment: 3 min 30 s." in headlines and WRAP_UP_CUE not in headlines
    assert 'segment 2 of 3, "Weather"' in weather and "The storm reaches the coast at nine." in weather
    assert "Time left in this segment: 45 s." in weather and WRAP_UP_CUE in weather
    assert 'lead towards "Sports"' in weather and "Calm and precise." in weather
    assert 'segment 3 of 3, "Sports"' in sports and f"{HAND_BACK_CUE} by 10 s" in sports
    assert "answer in one sentence and hand back to the host" in sports
    assert headlines.startswith(VOICE.system_prompt())  # the persona stays first

    records = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    segments = [r for r in records if r["kind"] == "segment"]
    assert [(r["title"], r["reason"]) for r in segments] == [
        ("Headlines", "start"),
        ("Weather", "next"),
        ("Sports", "next"),
        ("", "end"),
    ]
    assert [r["previous_elapsed_s"] for r in segments] == [0, 30, 135, 130]
    assert segments[1]["scene"] == "Weather map" and segments[1]["voice"] == "Max"
    kinds = [r["kind"] for r in records]
    assert kinds.index("segment") < kinds.index("turn_completed", kinds.index("segment"))


def test_next_and_back_from_another_thread_and_without_a_rundown():
    settings = load_settings()
    with FakeOllama() as server:
        clock = FakeClock()
        show = Show(
            settings, VOICE, stack=_stack(server.url), rundown=SegmentClock(parse_rundown(THREE), clock)
        )
        plain = Show(settings, VOICE, stack=_stack(server.url))

        async def scenario() -> tuple[list, Exception | None]:
            events = Events(show)
            async with show, plain:
                first = await asyncio.to_thread(lambda: show.next_segment().result(10))
                second = await asyncio.to_thread(lambda: show.next_segment().result(10))
                back = await asyncio.to_thread(lambda: show.back_segment().result(10))
                refused = await asyncio.to_thread(lambda: plain.next_segment().exception(10))
            assert [e.title for e in events.of(SegmentChanged)] == ["Headlines", "Weather", "Headlines"]
            return [first.title, second.title, back.title], refused

        titles, refused = asyncio.run(scenario())
    assert titles == ["Headlines", "Weather", "Headlines"]
    assert isinstance(refused, RuntimeError) and "no rundown" in str(refused)
    assert show.rundown_status().segment.title == "Headlines" and plain.rundown_status() is None
