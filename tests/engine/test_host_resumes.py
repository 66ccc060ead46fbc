"""A host who pauses between two sentences keeps both: real speech, real Whisper and Silero, slowed stages.

The end-of-turn model is told to call every pause complete, so the first sentence ends the turn;
the host then goes on while the answer is still in its final transcript (slow STT) or waiting for
its first token (slow chat model). Nothing has aired yet, so the line must continue: one host line
with both sentences in the transcript, the session log and the chat model's request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from studio.audio.outputs import ClockedOutput
from studio.audio.sources import paced_frames
from studio.backends.contracts import Transcript
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import FixedDelayChat, FixedDelaySynthesizer, FixedDelayTurnDetector
from studio.config import load_settings
from studio.engine.engine import StudioEngine
from studio.engine.events import HostLineResumed, HostSpeechStarted, TranscriptUpdated, TurnCompleted
from studio.session.export import session_text
from studio.session.log import SessionLog
from studio.session.recorder import SessionRecorder
from studio.voices.profile import VoiceProfile
from tests.speech import normalise_words, piper_speech, silence

FIRST = "We have two minutes before the break."
SECOND = "Can you sum up the weather for the weekend?"
REPLY = "Sunny on Saturday, showers on Sunday."


@pytest.fixture(scope="module")
def whisper():
    from studio.backends.whisper_stt import WhisperSpeechToText

    stt = WhisperSpeechToText(load_settings(stt_threads=2))
    yield stt
    asyncio.run(stt.aclose())


@pytest.fixture(scope="module")
def silero():
    from studio.backends.silero_vad import SileroVoiceActivity

    return SileroVoiceActivity(load_settings())


class _SlowFinal:
    """A Whisper session whose final transcript takes `delay` seconds longer (a loaded machine)."""

    def __init__(self, session, delay: float, started: asyncio.Event) -> None:
        self._session, self._delay, self._started = session, delay, started

    def append(self, audio: np.ndarray) -> None:
        self._session.append(audio)

    async def partial(self) -> Transcript:
        return await self._session.partial()

    async def finalize(self) -> Transcript:
        self._started.set()  # the end of turn was decided
        await asyncio.sleep(self._delay)
        return await self._session.finalize()

    async def aclose(self) -> None:
        await self._session.aclose()


class SlowedWhisper:
    """Real Whisper recognition with a slowed final transcript."""

    def __init__(self, whisper, final_delay: float) -> None:
        self._whisper, self._delay = whisper, final_delay
        self.info = whisper.info
        self.turn_decided = asyncio.Event()  # a final transcript was asked for

    def start_session(self, language: str | None = None) -> _SlowFinal:
        return _SlowFinal(self._whisper.start_session(language), self._delay, self.turn_decided)

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        return await self._whisper.transcribe(audio, language)


def _has_words(text: str, sentence: str) -> bool:
    """Whether most content words of `sentence` are in `text` (tiny.en may miss a short word)."""
    said = set(normalise_words(text))
    wanted = [word for word in normalise_words(sentence) if len(word) > 3]
    return sum(word in said for word in wanted) >= len(wanted) - 1


async def _host_who_goes_on(
    first: np.ndarray, second: np.ndarray, decided: asyncio.Event, frame_samples: int
) -> AsyncIterator[np.ndarray]:
    """Live-paced host audio; the second sentence waits for the end of turn the first pause caused.

    On a fast machine the turn is decided well inside the pause; a slow one only makes the pause
    longer, never shorter, so the host always goes on while the answer is still pending.
    """
    async for frame in paced_frames([first], frame_samples):
        yield frame
    async with asyncio.timeout(120):
        await decided.wait()
    async for frame in paced_frames([second, silence(2.0)], frame_samples):
        yield frame


async def _show(stack: BackendStack, host: AsyncIterator[np.ndarray], log_path: Path):
    settings = load_settings(turn_min_silence_ms=150, turn_max_silence_ms=3000)
    voice = VoiceProfile(name="Test", anchor_name="Tess")
    recorder = SessionRecorder(SessionLog(log_path))
    engine = StudioEngine(settings, stack, ClockedOutput(24_000), voice, air_gate=recorder.log.wait_durable)
    events: list = []
    engine.bus.subscribe(events.append)
    engine.bus.subscribe(recorder.on_event)
    recorder.start("Test", stack.describe())
    try:
        await engine.run(host)
    finally:
        await engine.aclose()
        recorder.finish()
    return engine, events


@pytest.mark.parametrize("pause", [0.5, 0.8, 1.2])
@pytest.mark.parametrize("slowed", ["stt", "llm"])
def test_a_two_sentence_line_keeps_both_sentences(whisper, silero, tmp_path, pause, slowed):
    chat = FixedDelayChat(REPLY, first=2.5 if slowed == "llm" else 0.05, per_token=0.01)
    stack = BackendStack(
        preset="instrumented",
        stt=SlowedWhisper(whisper, 1.6 if slowed == "stt" else 0.0),
        vad=silero,
        turn=FixedDelayTurnDetector(delay=0.01, probability=0.95),  # every pause "complete"
        chat=chat,
        tts=FixedDelaySynthesizer(first=0.02, chunk_seconds=0.1),
    )
    first = np.concatenate([silence(0.4), piper_speech(FIRST), silence(pause)])
    host = _host_who_goes_on(first, piper_speech(SECOND), stack.stt.turn_decided, silero.frame_samples)
    log_path = tmp_path / "session.jsonl"
    engine, events = asyncio.run(_show(stack, host, log_path))

    assert any(isinstance(e, HostLineResumed) for e in events), "the pause never ended the turn early"
    assert sum(isinstance(e, HostSpeechStarted) for e in events) == 1
    completed = [e for e in events if isinstance(e, TurnCompleted)]
    assert len(completed) == 1 and not completed[0].interrupted
    line = completed[0].transcript
    assert _has_words(line, FIRST) and _has_words(line, SECOND), line
    asked = chat.requests[-1][-1].content
    assert _has_words(asked, FIRST) and _has_words(asked, SECOND), asked
    assert [m.content for m in engine.conversation.lines if m.role == "user"] == [line]

    records = [json.loads(row) for row in log_path.read_text().splitlines()]
    host_lines = [r["text"] for r in records if r["kind"] == "host_line"]
    assert host_lines[-1] == line
    assert any(r["kind"] == "host_line_resumed" for r in records)
    finals = [e.text for e in events if isinstance(e, TranscriptUpdated) and e.is_final]
    assert finals[-1] == line
    transcript = session_text(records)
    assert transcript.count("host:") == 1 and line in transcript, transcript
