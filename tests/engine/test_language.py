"""The host's detected language reaches the chat model (answer in it) and the voice choice."""

from __future__ import annotations

import asyncio
import dataclasses

from studio.audio.outputs import InstantOutput
from studio.backends.contracts import INPUT_SAMPLE_RATE, Transcript
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
from studio.voices.catalog import voice_for_language
from studio.voices.profile import VoiceProfile
from tests.engine.test_turn_loop import feed, frames_of, quiet, tone

ENGLISH = VoiceProfile(name="Ava", language="en")
FRENCH = VoiceProfile(name="Amélie", anchor_name="Amélie", language="fr")


class DetectingSpeechToText(FixedDelaySpeechToText):
    """Fixed text, and a detected language like Voxtral's auto-detect gives; remembers what was asked."""

    def __init__(self, text: str, language: str, detected: bool = True) -> None:
        super().__init__(text, delay=0.01)
        self.language, self.detected = language, detected  # detected False: a fixed language (tiny.en)
        self.asked: list[str | None] = []

    def start_session(self, language=None):
        self.asked.append(language)
        session = super().start_session(language)
        owner = self

        async def finalize() -> Transcript:
            seconds = session.samples / INPUT_SAMPLE_RATE
            return Transcript(owner.text, True, owner.language, seconds, owner.detected)

        session.finalize = finalize  # type: ignore[method-assign]
        return session


class VoiceRecordingSynthesizer(FixedDelaySynthesizer):
    def __init__(self) -> None:
        super().__init__(first=0.01, chunk_seconds=0.1)
        self.voices: list[str] = []

    def synthesize(self, text, voice):
        self.voices.append(voice.name)
        return super().synthesize(text, voice)


def run_turn(
    detected: str,
    voices: list[VoiceProfile],
    start: VoiceProfile = ENGLISH,
    is_detected: bool = True,
    **overrides,
):
    async def scenario():
        stt = DetectingSpeechToText("Quel temps fait-il ce soir ?", detected, is_detected)
        chat = FixedDelayChat("Il fait beau ce soir.", first=0.01, per_token=0.001)
        tts = VoiceRecordingSynthesizer()
        turn = FixedDelayTurnDetector(0.01)
        stack = BackendStack("instrumented", stt, EnergyVoiceActivity(), turn, chat, tts)
        engine = StudioEngine(
            load_settings(**overrides),
            stack,
            InstantOutput(24_000),
            start,
            voice_for_language=lambda language: voice_for_language(voices, language),
        )
        await feed(engine, frames_of(quiet(0.3), tone(1.0), quiet(1.0)))
        await engine.wait_anchor_idle()
        await engine.aclose()
        return engine, stt, chat, tts

    return asyncio.run(scenario())


def test_french_host_gets_a_french_voice_and_a_french_answer():
    engine, stt, chat, tts = run_turn("fr", [ENGLISH, FRENCH])
    assert stt.asked == [None]  # stt_language "auto": the STT detects
    system = chat.requests[0][0].content
    assert "speaking French; answer in that language" in system and "Amélie" in system
    assert set(tts.voices) == {"Amélie"} and engine.voice.name == "Amélie"


def test_no_voice_for_the_language_keeps_the_voice_but_still_asks_for_the_language():
    engine, _stt, chat, tts = run_turn("de", [ENGLISH, FRENCH])
    assert "speaking German" in chat.requests[0][0].content
    assert set(tts.voices) == {"Ava"} and engine.voice.name == "Ava"


def test_a_fixed_stt_language_is_passed_and_english_changes_nothing():
    _engine, stt, chat, tts = run_turn("en", [ENGLISH, dataclasses.replace(FRENCH)], stt_language="en")
    assert stt.asked == ["en"]
    assert "answer in that language" not in chat.requests[0][0].content
    assert set(tts.voices) == {"Ava"}


def test_a_fixed_english_from_tiny_en_never_swaps_a_french_voice_for_an_english_one():
    """Whisper tiny.en always says "en": that is no evidence the host speaks English."""
    engine, _stt, chat, tts = run_turn("en", [ENGLISH, FRENCH], start=FRENCH, is_detected=False)
    assert set(tts.voices) == {"Amélie"} and engine.voice.name == "Amélie"
    assert "answer in that language" not in chat.requests[0][0].content


def test_a_forced_stt_language_is_not_a_detection():
    engine, stt, _chat, tts = run_turn("fr", [ENGLISH, FRENCH], is_detected=False, stt_language="fr")
    assert stt.asked == ["fr"] and set(tts.voices) == {"Ava"} and engine.voice.name == "Ava"
