"""faster-whisper tiny.en on real synthetic speech: accuracy, sessions, and reuse of partials."""

from __future__ import annotations

import asyncio

import numpy as np

from studio.backends.contracts import SpeechToText
from tests.backends.conftest import _close
from tests.speech import espeak_speech, noise, piper_speech, silence, word_error_rate

SENTENCES = (
    "Good evening and welcome to the late show.",
    "The weather tomorrow will be sunny with a high of twenty five degrees.",
    "Our next guest has written three books about the history of jazz.",
    "Unemployment fell to four percent last month, the lowest level in a decade.",
    "What do you think about the election results tonight?",
)


def corpus_wer(stt, speak) -> float:
    """Word error rate over all sentences together (errors / reference words)."""

    async def recognise() -> list[str]:
        return [(await stt.transcribe(speak(text))).text for text in SENTENCES]

    hypotheses = asyncio.run(recognise())
    words = [len(text.split()) for text in SENTENCES]
    pairs = zip(SENTENCES, hypotheses, words, strict=True)
    return sum(word_error_rate(ref, hyp) * n for ref, hyp, n in pairs) / sum(words)


def test_is_a_speech_to_text_backend(whisper) -> None:
    assert isinstance(whisper, SpeechToText)
    assert whisper.info.name == "faster-whisper tiny.en (int8)"


def test_transcribes_piper_speech(whisper) -> None:
    assert corpus_wer(whisper, piper_speech) <= 0.15


def test_transcribes_espeak_speech(whisper) -> None:
    assert corpus_wer(whisper, espeak_speech) <= 0.25


def test_silence_and_noise_give_no_words(whisper) -> None:
    async def recognise() -> list[str]:
        return [(await whisper.transcribe(clip)).text for clip in (silence(2.0), noise(2.0))]

    assert asyncio.run(recognise()) == ["", ""]


def test_session_partial_then_final_reuses_the_last_recognition(whisper) -> None:
    first, second = SENTENCES[0], SENTENCES[4]
    audio = np.concatenate([piper_speech(first), silence(0.3), piper_speech(second)])
    half = len(piper_speech(first)) + int(0.3 * 16000)

    async def scenario():
        session = whisper.start_session("en")
        session.append(audio[:half])
        early = await session.partial()
        session.append(audio[half:])
        late = await session.partial()
        again = await session.partial()  # no new audio: the cached result, no model run
        final = await session.finalize()  # covers all audio already: reused
        runs_before_tail = session.recognitions
        session.append(silence(0.2))
        final_after_tail = await session.finalize()  # audio grew: recognised again
        await session.aclose()
        return early, late, again, final, runs_before_tail, final_after_tail, session.recognitions

    early, late, again, final, runs_before_tail, after_tail, runs = asyncio.run(scenario())
    assert not early.is_final and word_error_rate(first, early.text) <= 0.2
    assert not late.is_final and word_error_rate(f"{first} {second}", late.text) <= 0.2
    assert again == late
    assert final.is_final and final.text == late.text
    assert final.audio_seconds == len(audio) / 16000 and final.language == "en"
    assert runs_before_tail == 2
    assert after_tail.is_final and runs == 3


def test_finalize_waits_for_a_running_partial_and_reuses_it(whisper) -> None:
    async def scenario():
        session = whisper.start_session()
        session.append(piper_speech(SENTENCES[2]))
        partial_task = asyncio.create_task(session.partial())  # tasks start in this order
        final_task = asyncio.create_task(session.finalize())
        partial, final = await asyncio.gather(partial_task, final_task)
        return partial, final, session.recognitions

    partial, final, runs = asyncio.run(scenario())
    assert runs == 1
    assert final.is_final and not partial.is_final and final.text == partial.text
    assert word_error_rate(SENTENCES[2], final.text) <= 0.15


def test_the_encoder_window_is_the_line_plus_two_seconds_at_least_the_setting() -> None:
    from studio.backends.whisper_stt import window_frames

    second = 16_000
    assert window_frames(3 * second, 15) == 1500  # a question: the minimum window
    assert window_frames(int(13.5 * second), 15) == 1600  # 13.5 s + 2 s, whole seconds
    assert window_frames(29 * second, 15) == 3000  # never past Whisper's own window
    assert window_frames(75 * second, 15) == 3000  # long lines: faster-whisper's 30 s windows
    assert window_frames(3 * second, 30) == 3000  # the setting at 30: always the full window


def test_the_short_window_reads_speech_as_well_as_the_full_one(whisper, backend_settings) -> None:
    from studio.backends.whisper_stt import WhisperSpeechToText

    full = WhisperSpeechToText(backend_settings.model_copy(update={"stt_window_s": 30}))
    try:
        for speak in (piper_speech, espeak_speech):
            assert corpus_wer(whisper, speak) <= corpus_wer(full, speak) + 0.03
    finally:
        _close(full)


def test_a_line_longer_than_the_minimum_window_is_read_whole(whisper) -> None:
    text = " ".join(SENTENCES)  # ~17 s of speech: a window of 19 s
    audio = np.concatenate([piper_speech(sentence) for sentence in SENTENCES])
    assert len(audio) > 15 * 16_000
    assert word_error_rate(text, asyncio.run(whisper.transcribe(audio)).text) <= 0.15


def test_a_short_reading_in_doubt_is_read_again_in_the_full_window(whisper, monkeypatch) -> None:
    from faster_whisper.transcribe import Segment, get_compression_ratio

    from studio.backends.whisper_stt import FULL_WINDOW_FRAMES, needs_full_window, token_allowance

    def segment(text: str, tokens: int = 5, no_speech: float = 0.01) -> Segment:
        ratio = get_compression_ratio(text)
        return Segment(0, 0, 0.0, 1.0, text, [1] * tokens, -0.2, ratio, no_speech, None, 0.0)

    allowance = token_allowance(3 * 16_000)
    assert allowance == 34
    assert not needs_full_window([segment("What is the weather like tonight?")], allowance)
    assert needs_full_window([segment(" ." * 30)], allowance)  # a loop over noise
    assert needs_full_window([segment("Right.", no_speech=0.7)], allowance)  # a lone word it doubts
    assert needs_full_window([segment("words " * 6, tokens=allowance)], allowance)  # cut off

    windows: list[tuple[int, int | None]] = []
    real_segments = whisper._segments

    def reading(audio: np.ndarray, window: int, max_tokens: int | None) -> list:
        windows.append((window, max_tokens))
        if window < FULL_WINDOW_FRAMES:
            return [segment(" ." * 30)]
        return real_segments(audio, window, max_tokens)

    monkeypatch.setattr(whisper, "_segments", reading)
    reruns = whisper.full_window_reruns
    clip = piper_speech(SENTENCES[0])
    text = asyncio.run(whisper.transcribe(clip)).text
    assert windows == [(1500, token_allowance(len(clip))), (FULL_WINDOW_FRAMES, None)]
    assert whisper.full_window_reruns == reruns + 1
    assert word_error_rate(SENTENCES[0], text) <= 0.15
