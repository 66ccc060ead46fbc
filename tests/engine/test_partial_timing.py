"""No partial recognition starts on the fading end of the host's speech, where it would hold up the final.

Silero keeps calling ~100 ms after the host's last word speech. A partial begun there runs while
the speculative final is wanted (~300 ms of Whisper on two cores) and the final waits behind it.
Real speech (Piper, espeak-ng) and real Silero, a recogniser that notes when each partial starts;
the interval between partials is stepped frame by frame so they fall due at every point of the line.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from studio.audio.outputs import InstantOutput
from studio.backends.contracts import INPUT_SAMPLE_RATE, BackendInfo, Transcript
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import FixedDelayChat, FixedDelaySynthesizer, FixedDelayTurnDetector
from studio.bench.peer_bench import speech_end_seconds
from studio.config import load_settings
from studio.engine.engine import StudioEngine
from studio.engine.policies import PREROLL_FRAMES
from studio.engine.utterance import Utterance
from studio.voices.profile import VoiceProfile
from tests.speech import espeak_speech, noise, piper_speech, silence

FRAME = 512
LINES = (
    piper_speech("What is the weather like tonight in the city?"),
    espeak_speech("Sorry to cut in, what about the buses?"),
)


class NotingSession:
    """Partials answer at once; each notes how many samples it covered when it started."""

    def __init__(self, starts: list[int]) -> None:
        self._starts, self._samples = starts, 0

    def append(self, audio: np.ndarray) -> None:
        self._samples += len(audio)

    async def partial(self) -> Transcript:
        self._starts.append(self._samples)
        return Transcript("words", False, "en")

    async def speculate(self) -> Transcript:  # the final's early run, at the first quiet frame: by design
        return Transcript("words", False, "en")

    async def finalize(self) -> Transcript:
        return Transcript("words", True, "en")

    async def aclose(self) -> None:
        return None


class NotingSpeechToText:
    info = BackendInfo(name="noting STT (test)")

    def __init__(self) -> None:
        self.starts: list[int] = []

    def start_session(self, language: str | None = None) -> NotingSession:
        return NotingSession(self.starts)

    async def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        return Transcript("words", True, language)


@pytest.fixture(scope="module")
def silero():
    from studio.backends.silero_vad import SileroVoiceActivity

    return SileroVoiceActivity(load_settings())


async def _partials_after_speech_end(silero, clip: np.ndarray, interval_ms: int) -> tuple[int, int]:
    """(partials begun after the clip's last spoken sample, partials in all) for one line."""
    stt = NotingSpeechToText()
    stack = BackendStack(
        "instrumented",
        stt,
        silero,
        FixedDelayTurnDetector(0.0),
        FixedDelayChat("Yes."),
        FixedDelaySynthesizer(),
    )
    settings = load_settings(partial_interval_ms=interval_ms, speculative_reply=False)
    engine = StudioEngine(settings, stack, InstantOutput(24_000), VoiceProfile("t", "T", "piper"))
    lead = silence(0.5)
    audio = np.concatenate([lead, clip, silence(0.6)])
    audio = audio + noise(len(audio) / INPUT_SAMPLE_RATE + 0.1, level=0.001)[: len(audio)]  # a room
    silero.reset()
    line_began: list[int] = []
    original = Utterance.__init__

    def noting_init(self, *args, **kwargs):  # where in the audio the line (and its session) began
        original(self, *args, **kwargs)
        line_began.append(position)

    Utterance.__init__ = noting_init  # type: ignore[method-assign]
    try:
        for position in range(0, len(audio) - FRAME + 1, FRAME):
            engine.process_frame(audio[position : position + FRAME])
            await asyncio.sleep(0)  # a partial started on this frame answers before the next
    finally:
        Utterance.__init__ = original  # type: ignore[method-assign]
        await engine.aclose()
    spoken_end = len(lead) + int(speech_end_seconds(clip) * INPUT_SAMPLE_RATE)
    # The line's audio starts with the frames kept from before its onset (the onset frame last).
    line_start = line_began[0] + FRAME - PREROLL_FRAMES * FRAME
    ends = [line_start + covered for covered in stt.starts]
    return sum(1 for end in ends if end > spoken_end + FRAME), len(ends)


@pytest.mark.parametrize("clip", LINES, ids=["piper", "espeak"])
def test_no_partial_starts_once_the_host_has_stopped(silero, clip) -> None:
    after_end, total = 0, 0
    for interval_ms in range(300, 640, 32):  # partials fall due at every point of the line
        late, partials = asyncio.run(_partials_after_speech_end(silero, clip, interval_ms))
        after_end += late
        total += partials
    assert total >= 20  # partials still run all through the line
    assert after_end == 0
