"""On real speech the reply's recognition starts where the voice fades, frames before Silero's quiet.

Real speech (Piper, espeak-ng) over a quiet room, real Silero; the recogniser notes the frame at
which each early final starts. Silero calls the first frame after the last word quiet ~110 ms
late; the line's own level drops within a frame or two of it.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from studio.audio.outputs import InstantOutput
from studio.backends.contracts import INPUT_SAMPLE_RATE, BackendInfo, Transcript
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    SPEECH_FLOOR,
    FixedDelayChat,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.bench.peer_bench import speech_end_seconds
from studio.config import load_settings
from studio.engine import utterance
from studio.engine.engine import StudioEngine
from studio.engine.events import TurnCompleted
from studio.voices.profile import VoiceProfile
from tests.engine.test_partial_timing import LINES
from tests.speech import noise, silence

FRAME = 512


class Clock:
    """Where the feed is: the end of the frame being handled, in samples of the fed audio."""

    position = 0


class EarlyFinalSession:
    """Answers at once; notes the feed position of every early final (`speculate`)."""

    def __init__(self, clock: Clock, starts: list[int]) -> None:
        self._clock, self._starts = clock, starts

    def append(self, audio: np.ndarray) -> None:
        return None

    async def partial(self) -> Transcript:
        return Transcript("what about the weather", False, "en")

    async def speculate(self) -> Transcript:
        self._starts.append(self._clock.position)
        return Transcript("what about the weather", False, "en")

    async def finalize(self) -> Transcript:
        return Transcript("what about the weather", True, "en")

    async def aclose(self) -> None:
        return None


class EarlyFinalSpeechToText:
    info = BackendInfo(name="early-final noting STT (test)")

    def __init__(self, clock: Clock) -> None:
        self.clock, self.starts = clock, []

    def start_session(self, language: str | None = None) -> EarlyFinalSession:
        return EarlyFinalSession(self.clock, self.starts)

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        return Transcript("what about the weather", True, language)


@pytest.fixture(scope="module")
def silero():
    from studio.backends.silero_vad import SileroVoiceActivity

    return SileroVoiceActivity(load_settings())


def first_quiet_frame_end(silero, audio: np.ndarray, after: int) -> int:
    """The end (in samples) of Silero's first frame under the threshold once `after` has passed."""
    silero.reset()
    for position in range(0, len(audio) - FRAME + 1, FRAME):
        if silero.speech_probability(audio[position : position + FRAME]) < 0.5 and position + FRAME > after:
            return position + FRAME
    raise AssertionError("Silero never called the end quiet")


async def early_finals_and_turns(silero, audio: np.ndarray, fade: bool) -> tuple[list[int], list]:
    clock = Clock()
    stt = EarlyFinalSpeechToText(clock)
    turn, chat = FixedDelayTurnDetector(0.0), FixedDelayChat("Yes.")
    stack = BackendStack("instrumented", stt, silero, turn, chat, FixedDelaySynthesizer())
    settings = load_settings(speculate_on_fade=fade)
    engine = StudioEngine(settings, stack, InstantOutput(24_000), VoiceProfile("t", "T", "piper"))
    events: list = []
    engine.bus.subscribe(events.append)
    silero.reset()
    try:
        for position in range(0, len(audio) - FRAME + 1, FRAME):
            clock.position = position + FRAME
            engine.process_frame(audio[position : position + FRAME])
            await asyncio.sleep(0)  # a recognition started on this frame begins and ends before the next
            while engine._utterance is not None and engine._utterance.recognising:
                await asyncio.sleep(0)
        await engine.wait_anchor_idle()
    finally:
        await engine.aclose()
    return stt.starts, [e for e in events if isinstance(e, TurnCompleted)]


LEAD = silence(0.5)


def in_a_room(clip: np.ndarray) -> np.ndarray:
    """`clip` after LEAD and before 1.5 s of silence, over a quiet room's noise."""
    audio = np.concatenate([LEAD, clip, silence(1.5)])
    return audio + noise(len(audio) / INPUT_SAMPLE_RATE + 0.1, level=0.001)[: len(audio)]


@pytest.mark.parametrize("clip", LINES, ids=["piper", "espeak"])
def test_the_early_final_starts_before_silero_calls_the_end(silero, clip) -> None:
    audio = in_a_room(clip)
    spoken_end = len(LEAD) + int(speech_end_seconds(clip) * INPUT_SAMPLE_RATE)
    quiet_end = first_quiet_frame_end(silero, audio, spoken_end)

    starts, turns = asyncio.run(early_finals_and_turns(silero, audio, fade=True))
    at_end = [start for start in starts if start > spoken_end - FRAME]  # its frame holds the end or after
    assert at_end and at_end[0] <= quiet_end - 2 * FRAME, (at_end, quiet_end, spoken_end)
    assert [t.transcript for t in turns] == ["what about the weather"]

    starts_off, _ = asyncio.run(early_finals_and_turns(silero, audio, fade=False))
    assert next(start for start in starts_off if start > spoken_end - FRAME) == quiet_end  # the control


SOFT_GAIN = 10 ** (-22 / 20)  # the last word 22 dB under the line: sentence-final lowering, overdone


def softened_end(clip: np.ndarray, seconds: float) -> np.ndarray:
    """`clip` with its last `seconds` of speech spoken 22 dB softer (a 20 ms ramp into it)."""
    end = int(speech_end_seconds(clip) * INPUT_SAMPLE_RATE)
    start, ramp = end - int(seconds * INPUT_SAMPLE_RATE), int(0.02 * INPUT_SAMPLE_RATE)
    gain = np.ones(len(clip), np.float32)
    gain[start - ramp : start] = np.linspace(1.0, SOFT_GAIN, ramp)
    gain[start:] = SOFT_GAIN
    return clip * gain


def test_a_soft_last_word_starts_the_early_final_again_where_it_ends(silero, monkeypatch) -> None:
    """The fade begins inside the soft last word ("...in the city?"), too early: the recognition
    begun there misses the word's end. Where the voice falls further after it, the line is read
    again, frames before Silero's quiet. (espeak-ng's line gains nothing: Silero calls its soft end
    quiet within two frames.)"""
    clip = softened_end(LINES[0], 0.35)
    audio = in_a_room(clip)
    loud = np.flatnonzero(np.abs(clip) > SPEECH_FLOOR * SOFT_GAIN)  # the soft word's own floor
    spoken_end = len(LEAD) + int(loud[-1]) + 1
    quiet_end = first_quiet_frame_end(silero, audio, spoken_end)

    starts, turns = asyncio.run(early_finals_and_turns(silero, audio, fade=True))
    soft_start = spoken_end - int(0.35 * INPUT_SAMPLE_RATE)
    assert any(soft_start <= start < spoken_end - FRAME for start in starts), "the fade began in the word"
    at_end = [start for start in starts if start > spoken_end - FRAME]
    assert at_end and at_end[0] <= quiet_end - FRAME, (at_end, quiet_end, spoken_end)
    assert [t.transcript for t in turns] == ["what about the weather"]

    monkeypatch.setattr(utterance, "REFADE_DB", float("inf"))  # the control: the first fade only
    starts_once, _ = asyncio.run(early_finals_and_turns(silero, audio, fade=True))
    assert next(start for start in starts_once if start > spoken_end - FRAME) == quiet_end
