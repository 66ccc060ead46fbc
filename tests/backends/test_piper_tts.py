"""Piper (en_US-joe): real audio at 22.05 kHz that Whisper understands, streamed and cancellable."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import numpy as np
import psutil
import soxr

from studio.backends.contracts import AudioChunk, SpeechSynthesizer
from studio.backends.piper_tts import CEILING, split_sentences
from studio.heap import release_free_heap
from studio.voices.profile import SynthesisSettings, VoiceProfile
from tests.speech import word_error_rate

VOICE = VoiceProfile(name="Test")
REPLY = (
    "Good evening, and thanks for having me. The storm is expected to reach the coast by "
    "Thursday morning. Until then, stay safe and keep an eye on the local news."
)


def synthesize(tts, text: str, voice: VoiceProfile = VOICE) -> list[AudioChunk]:
    async def collect() -> list[AudioChunk]:
        async with contextlib.aclosing(tts.synthesize(text, voice)) as stream:
            return [chunk async for chunk in stream]

    return asyncio.run(collect())


def joined(chunks: list[AudioChunk]) -> np.ndarray:
    return np.concatenate([chunk.samples for chunk in chunks])


def test_is_a_speech_synthesizer(piper) -> None:
    assert isinstance(piper, SpeechSynthesizer)
    assert "en_US-joe-medium" in piper.info.name


def test_streams_one_audible_chunk_per_sentence_at_22050_hz(piper) -> None:
    chunks = synthesize(piper, REPLY)
    assert len(chunks) == len(split_sentences(REPLY)) == 3
    for chunk in chunks:
        assert chunk.sample_rate == 22050 and chunk.samples.dtype == np.float32
        assert chunk.samples.ndim == 1 and chunk.seconds > 0.5
        peak = float(np.max(np.abs(chunk.samples)))
        assert 0.2 < peak <= CEILING + 1e-6  # audible, never clipped
        assert float(np.sqrt(np.mean(chunk.samples**2))) > 0.02
    loudness = [float(np.sqrt(np.mean(chunk.samples**2))) for chunk in chunks]
    assert max(loudness) / min(loudness) < 2.5  # one fixed gain: no sentence jumps out


def test_whisper_understands_the_synthesized_speech(piper, whisper) -> None:
    audio = soxr.resample(joined(synthesize(piper, REPLY)), 22050, 16000)
    text = asyncio.run(whisper.transcribe(audio)).text
    assert word_error_rate(REPLY, text) <= 0.2, text


def test_speaking_rate_changes_the_pace(piper) -> None:
    line = "Our next guest has written three books about the history of jazz."
    fast = VoiceProfile(name="Fast", synthesis=SynthesisSettings(speaking_rate=1.5))
    normal_seconds = sum(chunk.seconds for chunk in synthesize(piper, line))
    fast_seconds = sum(chunk.seconds for chunk in synthesize(piper, line, fast))
    assert fast_seconds < normal_seconds * 0.8


def test_unknown_embedded_voice_falls_back_to_joe(piper) -> None:
    other = VoiceProfile(name="Other", embedded_voice="en_GB-alba-medium")
    assert joined(synthesize(piper, "Back to you in the studio.", other)).size > 22050 // 2
    assert "only embedded voice" in piper.info.detail


def test_text_without_words_yields_nothing(piper) -> None:
    assert synthesize(piper, "😀🎉👍") == []
    assert synthesize(piper, " ... !? ") == []
    assert split_sentences("Great news! 🎉 Really.") == ["Great news!", "Really."]
    assert split_sentences("Dr. Smith is here. Hi!\nBye") == ["Dr. Smith is here.", "Hi!", "Bye"]


class CountingVoice:
    """Wraps the Piper voice to count sentences synthesized and the threads doing it."""

    def __init__(self, voice) -> None:
        self._voice = voice
        self.calls = 0
        self.threads: set[str] = set()

    def synthesize(self, text, syn_config=None):
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        return self._voice.synthesize(text, syn_config=syn_config)


def test_closing_the_stream_stops_synthesis_at_the_next_sentence(piper, monkeypatch) -> None:
    synthesize(piper, "Warm up.")  # the worker thread exists from here on
    threads_before = threading.active_count()
    counting = CountingVoice(piper._voice)
    monkeypatch.setattr(piper, "_voice", counting)
    sentences = [f"This is sentence number {n} of a very long reply." for n in range(1, 9)]

    async def listen_to_one_chunk() -> int:
        async with contextlib.aclosing(piper.synthesize(" ".join(sentences), VOICE)) as stream:
            async for _chunk in stream:
                break
        return counting.calls  # the close has returned: the producer is done

    calls_at_close = asyncio.run(listen_to_one_chunk())
    assert calls_at_close < len(sentences)  # stopped early, one sentence ahead at most
    assert counting.calls == calls_at_close and piper._worker.pending == 0
    assert all(name.startswith("tts-piper") for name in counting.threads)
    assert threading.active_count() == threads_before


def test_cancelling_the_task_stops_synthesis(piper) -> None:
    synthesize(piper, "Warm up.")
    threads_before = threading.active_count()

    async def scenario() -> None:
        first = asyncio.Event()

        async def play() -> None:
            text = " ".join(f"Sentence {n} keeps the synthesizer busy." for n in range(8))
            async with contextlib.aclosing(piper.synthesize(text, VOICE)) as stream:
                async for _chunk in stream:
                    first.set()

        task = asyncio.create_task(play())
        await first.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert piper._worker.pending == 0
    assert threading.active_count() == threads_before


def test_a_long_sentence_leaves_no_pooled_memory_behind(piper) -> None:
    """Piper's arena would keep the longest sentence's buffers (hundreds of MB) for the whole show."""
    process = psutil.Process()
    release_free_heap()
    before = process.memory_info().rss
    long_sentence = " ".join(["the quick brown fox jumps over the lazy dog"] * 7) + "."
    stream = piper._synthesize_blocking([long_sentence], piper._config(VOICE), threading.Event())
    assert sum(len(chunk) for chunk in stream) > 10 * piper.sample_rate  # it really was long
    release_free_heap()
    assert (process.memory_info().rss - before) / 2**20 < 60
