"""The fixed-delay STT reads the speech it heard: a recognition begun before the last word differs.

The benches' fixed-delay stacks use it so a reply begun early is only kept when a model's text
would be the same; real Piper speech, no clock involved (a zero delay).
"""

from __future__ import annotations

import asyncio

import numpy as np

from studio.bench.fixed_delay import SPEECH_FLOOR, FixedDelaySpeechToText
from tests.speech import piper_speech, silence


def read(stt: FixedDelaySpeechToText, *parts: np.ndarray) -> str:
    session = stt.start_session()
    for part in parts:
        session.append(part)
    return asyncio.run(session.finalize()).text


def test_the_text_changes_with_the_speech_heard_and_not_with_silence_after_it() -> None:
    stt = FixedDelaySpeechToText("Is it raining?", delay=0.0, keeps_final=True, counts_speech=True)
    clip = piper_speech("Is it raining in the city tonight?")
    last_word_end = int(np.flatnonzero(np.abs(clip) > SPEECH_FLOOR)[-1]) + 1
    whole = read(stt, clip)
    assert whole.startswith("Is it raining?")
    assert read(stt, clip, silence(0.5)) == whole
    assert asyncio.run(stt.transcribe(np.concatenate([clip, silence(0.3)]))).text == whole
    assert read(stt, clip[: last_word_end - 160]) != whole, "10 ms of the last word missing"


def test_without_counting_it_says_its_text_for_any_audio() -> None:
    stt = FixedDelaySpeechToText("Is it raining?", delay=0.0)
    assert read(stt, silence(0.2)) == read(stt, piper_speech("Hello there.")) == "Is it raining?"


def test_speech_that_comes_during_a_recognition_is_not_in_it_but_in_the_next() -> None:
    stt = FixedDelaySpeechToText("Is it raining?", delay=0.01, keeps_final=True, counts_speech=True)
    clip = piper_speech("Is it raining in the city tonight?")

    whole = read(stt, clip)

    async def go() -> tuple[str, str]:
        session = stt.start_session()
        session.append(clip[: len(clip) // 2])
        early = asyncio.ensure_future(session.finalize())
        await asyncio.sleep(0)  # it has begun on the first half
        session.append(clip[len(clip) // 2 :])
        return (await early).text, (await session.finalize()).text

    early, final = asyncio.run(go())
    assert early != whole and final == whole
