"""The higgs client against the higgs host's speech server driving Piper: real streamed audio."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
import soxr

from studio.audio.wavwriter import wav_header
from studio.backends.higgs_tts import HiggsSynthesizer, PcmAssembler
from studio.config import load_settings
from studio.voices.profile import VoiceProfile
from tests.gpu.servers import PiperEngine, recognise, speech_server
from tests.speech import word_error_rate

REPLY = "Good evening, and welcome to the show. Tonight we talk about the weather. It will be sunny."
AVA = VoiceProfile(name="Ava")


@pytest.fixture(scope="module")
def engine():
    return PiperEngine(voices=("Ava",))


@pytest.fixture
def server(engine):
    engine.texts.clear()
    engine.hold_after_first.clear()
    engine.proceed.clear()
    engine.stopped_early.clear()
    with speech_server(engine) as running:
        yield running


def _tts(url: str) -> HiggsSynthesizer:
    return HiggsSynthesizer(load_settings(HIGGS_AUDIO_URL=url))


def test_streams_real_speech_in_chunks_and_first_audio_early(server, engine):
    async def go():
        tts = _tts(server.url)
        try:
            started = time.perf_counter()
            arrivals, chunks = [], []
            async for chunk in tts.synthesize(REPLY, AVA):
                arrivals.append(time.perf_counter() - started)
                chunks.append(chunk)
            return arrivals, chunks
        finally:
            await tts.aclose()

    arrivals, chunks = asyncio.run(go())
    assert len(chunks) >= 3 and {c.sample_rate for c in chunks} == {24_000}
    audio = np.concatenate([c.samples for c in chunks])
    assert audio.dtype == np.float32 and 0.05 < np.abs(audio).max() <= 1.0
    assert arrivals[0] < arrivals[-1]  # the first sentence arrived before the last was made
    print(
        f"higgs client over Piper host: first audio {arrivals[0] * 1000:.0f} ms, "
        f"all {arrivals[-1] * 1000:.0f} ms for {len(audio) / 24_000:.1f} s of speech"
    )
    text, _ = recognise(soxr.resample(audio, 24_000, 16_000).astype(np.float32))
    assert word_error_rate(REPLY, text) < 0.25


def test_speaker_tags_pass_through_and_unknown_voice_is_named(server, engine):
    async def go():
        tts = _tts(server.url)
        try:
            got = [c async for c in tts.synthesize("[SPEAKER0] Hello there.\n[SPEAKER1] Hi!", AVA)]
            with pytest.raises(RuntimeError, match=r"HTTP 404: voice 'Bob' not found \(known: Ava\)"):
                async for _ in tts.synthesize("Hello.", VoiceProfile(name="Bob")):
                    pass
            return got
        finally:
            await tts.aclose()

    assert asyncio.run(go())
    assert engine.texts == ["[SPEAKER0] Hello there.\n[SPEAKER1] Hi!"]


def test_closing_the_stream_stops_synthesis_on_the_server(server, engine):
    engine.hold_after_first.set()

    async def go():
        tts = _tts(server.url)
        try:
            stream = tts.synthesize(REPLY, AVA)
            first = await anext(stream)
            await stream.aclose()  # barge-in
            engine.proceed.set()
            await asyncio.to_thread(engine.stopped_early.wait, 10)
            return first
        finally:
            await tts.aclose()

    assert len(asyncio.run(go()).samples)
    assert engine.stopped_early.is_set()


def test_server_crash_mid_reply_raises_promptly_then_recovers(server, engine):
    engine.hold_after_first.set()

    async def go():
        tts = _tts(server.url)
        try:
            stream = tts.synthesize(REPLY, AVA)
            await anext(stream)
            server.kill()
            with pytest.raises(
                ConnectionError, match=r"higgs-audio at http://127\.0\.0\.1:\d+ is unreachable"
            ):
                async for _ in stream:
                    pass
            engine.proceed.set()
            down = await tts.health()
            server.restart()
            engine.hold_after_first.clear()
            up = await tts.health()
            again = [c async for c in tts.synthesize("We are back.", AVA)]
            return down, up, again
        finally:
            await tts.aclose()

    down, up, again = asyncio.run(go())
    assert not down and up and again


def test_pcm_assembler_carries_odd_bytes_and_wav_header_is_open_ended():
    pcm = PcmAssembler()
    data = (np.array([1000, -2000, 3000], "<i2")).tobytes()
    parts = [pcm.feed(data[:3]), pcm.feed(data[3:])]
    assert [len(p) for p in parts] == [1, 2]
    assert np.allclose(np.concatenate(parts) * 32768, [1000, -2000, 3000])
    header = wav_header(24_000)
    assert len(header) == 44 and header[:4] == b"RIFF" and header[40:44] == b"\xff\xff\xff\xff"
