"""The reply's first clause: short when the text allows, and voiced with the chat model stepped aside."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from studio.audio.outputs import InstantOutput
from studio.backends.contracts import AudioChunk, ChatMessage, ChatOptions
from studio.backends.priority import FOREGROUND, ForegroundGate
from studio.bench.fixed_delay import FixedDelayChat
from studio.config import load_settings
from studio.engine.clauses import ClauseSplitter
from studio.engine.reply import ReplySpeaker
from studio.engine.trace import LatencyTrace
from studio.voices.profile import VoiceProfile


def first_clause(text: str, max_words: int) -> str:
    splitter = ClauseSplitter(first_clause_max_words=max_words)
    for word in text.split(" "):
        if out := splitter.feed(word + " "):
            return out[0]
    return splitter.flush()[0]


def test_the_default_first_clause_is_two_to_four_words_when_the_text_allows():
    words = load_settings().first_clause_max_words
    assert 2 <= words <= 4
    assert first_clause("Good question, the weather is fine tonight.", words) == "Good question,"
    assert first_clause("The weather has been pretty good lately.", words) == "The weather has been"
    assert first_clause("Yes, we do.", words) == "Yes, we do.", "one word is no clause of its own"


class _RecordingSynthesizer:
    """A tone per clause; notes whether the foreground gate was held when each clause began."""

    sample_rate = 24_000

    def __init__(self) -> None:
        self.held: list[tuple[str, bool]] = []

    async def synthesize(self, text: str, voice: VoiceProfile):  # type: ignore[no-untyped-def]
        self.held.append((text, FOREGROUND.held))
        await asyncio.sleep(0)
        yield AudioChunk(np.full(2400, 0.1, np.float32), self.sample_rate)


def test_the_chat_model_steps_aside_only_while_the_first_clause_is_voiced():
    async def scenario():
        tts = _RecordingSynthesizer()
        speaker = ReplySpeaker(
            FixedDelayChat("Good evening, it is calm. The sky is clear.", first=0.0, per_token=0.0),
            tts,
            InstantOutput(24_000),
            VoiceProfile(name="T"),
            ChatOptions(),
            LatencyTrace(),
            lambda clause: None,
        )
        await speaker.speak([ChatMessage("user", "hi")])
        return tts.held

    held = asyncio.run(scenario())
    assert held[0] == ("Good evening,", True)
    assert [h for _, h in held[1:]] == [False] * (len(held) - 1) and len(held) >= 2
    assert not FOREGROUND.held, "released once the first chunk was out"


def test_a_step_waits_while_the_gate_is_held_and_goes_on_when_released():
    gate = ForegroundGate()
    gate.hold()
    done = threading.Event()
    worker = threading.Thread(target=lambda: (gate.step_aside(limit=30.0), done.set()))
    worker.start()
    assert not done.wait(0.1), "it waits while held"
    gate.release()
    worker.join(timeout=30)
    assert done.is_set() and not gate.held


def test_a_waiting_step_ends_at_its_stop_flag_or_its_limit():
    gate = ForegroundGate()
    gate.hold()
    stop = threading.Event()
    stop.set()
    gate.step_aside(stop, limit=30.0)  # returns at once: the reply was closed
    gate.step_aside(limit=0.05)  # returns after the limit: never stuck behind a lost release
    assert gate.held
    gate.release()
