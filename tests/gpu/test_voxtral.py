"""Voxtral clients against a local vLLM-protocol server that recognises with faster-whisper."""

from __future__ import annotations

import asyncio
import contextlib
import itertools

import numpy as np
import pytest

from studio.backends.voxtral_realtime import VoxtralRealtimeSpeechToText
from studio.backends.voxtral_stt import VoxtralSpeechToText, normalise_language
from studio.config import load_settings
from tests.gpu.servers import ThreadedServer, TranscriptionApp
from tests.speech import piper_speech, word_error_rate

LINE = "The weather in Paris is sunny today."
MODEL = "mistralai/Voxtral-Mini-3B-2507"
REALTIME = "mistralai/Voxtral-Mini-4B-Realtime-2602"


@pytest.fixture
def server():
    app = TranscriptionApp(MODEL)
    with ThreadedServer(app.app) as running:
        running.transcription = app
        yield running


def _stt(url: str, **overrides) -> VoxtralSpeechToText:
    return VoxtralSpeechToText(load_settings(VOXTRAL_URL=url, **overrides))


def test_transcribe_auto_language_detects_it(server):
    async def go():
        stt = _stt(server.url)
        try:
            return await stt.transcribe(piper_speech(LINE))
        finally:
            await stt.aclose()

    transcript = asyncio.run(go())
    assert transcript.is_final and word_error_rate(LINE, transcript.text) < 0.2
    assert transcript.language == "en"  # the server said "english"
    sent = server.transcription.requests[-1]
    assert sent == {"model": MODEL, "temperature": "0.0", "response_format": "verbose_json"}


def test_server_without_verbose_json_falls_back_once(server):
    server.transcription.verbose_supported = False

    async def go():
        stt = _stt(server.url)
        try:
            first = await stt.transcribe(piper_speech(LINE))
            second = await stt.transcribe(piper_speech(LINE), language="fr")
            return first, second
        finally:
            await stt.aclose()

    first, second = asyncio.run(go())
    assert word_error_rate(LINE, first.text) < 0.2 and first.language is None
    assert second.language == "fr"
    formats = [r["response_format"] for r in server.transcription.requests]
    assert formats == ["verbose_json", "json", "json"]
    assert server.transcription.requests[-1]["language"] == "fr"


def test_session_streams_partials_then_final(server):
    audio = piper_speech(LINE)

    async def go():
        stt = _stt(server.url, stt_language="en")
        session = stt.start_session()
        try:
            session.append(audio[: len(audio) // 2])
            session.append(audio[len(audio) // 2 :])
            partials = [p async for p in session.partials()]
            partial = await session.partial()
            final = await session.finalize()
            again = await session.finalize()
            return partials, partial, final, again
        finally:
            await session.aclose()
            await stt.aclose()

    partials, partial, final, again = asyncio.run(go())
    assert len(partials) >= 4  # one per streamed word
    assert all(len(a.text) < len(b.text) for a, b in itertools.pairwise(partials))
    assert not partial.is_final and partial.text == partials[-1].text
    assert final.is_final and final.language == "en" and word_error_rate(LINE, final.text) < 0.2
    assert again == final  # cached: no second upload
    streamed = [r for r in server.transcription.requests if r.get("stream") == "true"]
    assert len(streamed) == 2 and streamed[0]["language"] == "en"
    assert len(server.transcription.requests) == 3


def test_realtime_websocket_session(server):
    audio = piper_speech(LINE)

    async def go():
        stt = VoxtralRealtimeSpeechToText(
            load_settings(VOXTRAL_URL=server.url, VOXTRAL_REALTIME_MODEL_PATH=MODEL)
        )
        session = stt.start_session("en")
        try:
            for part in np.array_split(audio, 3):
                session.append(part)
            early = await session.partial()
            final = await session.finalize()
            return early, final
        finally:
            await session.aclose()

    early, final = asyncio.run(go())
    assert not early.is_final
    assert final.is_final and word_error_rate(LINE, final.text) < 0.2
    events = server.transcription.realtime_events
    assert events[:2] == ["session.update", "input_audio_buffer.commit"]
    assert events.count("input_audio_buffer.append") == 3 and events[-1] == "input_audio_buffer.commit"


def test_realtime_names_the_served_model_and_finds_it_again_after_a_restart():
    app = TranscriptionApp(REALTIME, served_name="voxtral-realtime")  # --served-model-name

    async def go(url):
        stt = VoxtralRealtimeSpeechToText(load_settings(VOXTRAL_URL=f"{url}/v1"))
        try:
            first = await stt.transcribe(piper_speech(LINE), "en")
            app.model = "voxtral-rt-2"  # the server restarted under another served name
            with pytest.raises(RuntimeError, match="realtime Voxtral error model_not_found: The model"):
                await stt.transcribe(piper_speech(LINE), "en")
            return first, await stt.transcribe(piper_speech(LINE), "en")
        finally:
            await stt.aclose()

    with ThreadedServer(app.app) as running:
        first, again = asyncio.run(go(running.url))
    assert word_error_rate(LINE, first.text) < 0.2 and word_error_rate(LINE, again.text) < 0.2


def test_dead_server_raises_promptly_and_health_tracks_it(server):
    async def go():
        stt = _stt(server.url)
        try:
            assert await stt.health()
            server.kill()
            with pytest.raises(ConnectionError, match=r"Voxtral at http://127\.0\.0\.1:\d+ is unreachable"):
                await stt.transcribe(piper_speech(LINE))
            down = await stt.health()
            server.restart()
            return down, await stt.health(), await stt.transcribe(piper_speech(LINE))
        finally:
            await stt.aclose()

    down, up, transcript = asyncio.run(go())
    assert not down and up and word_error_rate(LINE, transcript.text) < 0.2


def test_language_names_normalise():
    assert [normalise_language(v) for v in ("English", "en-US", "fr", "", None)] == [
        "en",
        "en",
        "fr",
        None,
        None,
    ]


def test_only_a_language_the_server_worked_out_counts_as_detected(server):
    async def go():
        stt = _stt(server.url)
        try:
            default = await stt.transcribe(piper_speech(LINE))  # vLLM's default "en": no evidence
            server.transcription.reported_language = "french"  # a model that detects, unasked
            found = await stt.transcribe(piper_speech(LINE))
            asked = await stt.transcribe(piper_speech(LINE), language="fr")  # forced: not detected
            return default, found, asked
        finally:
            await stt.aclose()

    default, found, asked = asyncio.run(go())
    assert (default.language, default.detected) == ("en", False)
    assert (found.language, found.detected) == ("fr", True)
    assert (asked.language, asked.detected) == ("fr", False)


def test_the_speculative_final_is_kept_so_the_final_needs_no_second_upload(server):
    audio = piper_speech(LINE)

    async def go():
        stt = _stt(server.url)
        session = stt.start_session()
        try:
            session.append(audio)
            speculative = await session.speculate()
            final = await session.finalize()
            session.append(np.zeros(1600, np.float32))  # the host went on: the next final is new
            later = await session.finalize()
            return speculative, final, later
        finally:
            await session.aclose()
            await stt.aclose()

    speculative, final, later = asyncio.run(go())
    assert not speculative.is_final and speculative.text == final.text and final.is_final
    assert final.language == "en"  # the verbose final, with the language the server reported
    assert word_error_rate(LINE, final.text) < 0.2 and later.is_final
    formats = [r["response_format"] for r in server.transcription.requests]
    assert formats == ["verbose_json", "verbose_json"]  # speculation + the later final, not three


def test_audio_that_arrives_during_the_speculative_final_is_in_the_final(server):
    """The host's voice fades, the early final is uploaded, and their last words come meanwhile."""
    first, rest = piper_speech(LINE), piper_speech("Tomorrow it will rain in London.")

    async def go():
        stt = _stt(server.url)
        session = stt.start_session()
        try:
            session.append(first)
            early = asyncio.ensure_future(session.speculate())
            await asyncio.sleep(0)  # it has taken the audio so far and is uploading it
            session.append(rest)
            speculative = await early
            return speculative, await session.finalize()
        finally:
            await session.aclose()
            await stt.aclose()

    speculative, final = asyncio.run(go())
    assert "london" not in speculative.text.lower()
    assert "london" in final.text.lower(), "the words said during the early final were kept"
    assert len(server.transcription.requests) == 2


def test_a_cancelled_partial_closes_its_request_and_frees_the_session(server):
    """What `stops_on_cancel` promises the engine: the server sees the request go, and a final
    can be asked at once (the engine cancels a live partial where the host's voice fades)."""
    server.transcription.stream_word_delay_s = 0.5  # a slow model, still streaming when cancelled
    audio = piper_speech(LINE)

    async def go():
        stt = _stt(server.url, stt_language="en")
        session = stt.start_session()
        try:
            session.append(audio)
            live = asyncio.ensure_future(session.partial())
            await asyncio.to_thread(server.transcription.stream_started.wait, 60)
            live.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await live
            aborted = await asyncio.to_thread(server.transcription.stream_aborted.wait, 60)
            return aborted, await session.finalize()
        finally:
            await session.aclose()
            await stt.aclose()

    assert _stt("http://127.0.0.1:9").start_session().stops_on_cancel  # type: ignore[attr-defined]
    aborted, final = asyncio.run(go())
    assert aborted, "the server saw the cancelled partial's request go"
    assert final.is_final and word_error_rate(LINE, final.text) < 0.2
