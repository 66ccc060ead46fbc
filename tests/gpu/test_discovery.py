"""Served-model discovery against servers that name their models their own way (as the real ones do)."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
import soundfile

from studio.backends.contracts import ChatMessage, ChatOptions
from studio.backends.higgs_tts import HiggsSynthesizer
from studio.backends.openai_chat import OpenAIChat
from studio.backends.readiness import NotReady
from studio.backends.served_models import ModelNotServed, ServedModel, api_root, choose_model
from studio.backends.voxtral_realtime import websocket_url
from studio.backends.voxtral_stt import VoxtralSpeechToText
from studio.config import load_settings
from studio.voices.profile import VoiceProfile
from tests.gpu.boson_server import SERVED_NAME, BosonHiggsApp
from tests.gpu.servers import ChatApp, PiperEngine, ThreadedServer, TranscriptionApp
from tests.speech import piper_speech, word_error_rate

VOXTRAL = "mistralai/Voxtral-Mini-3B-2507"
LINE = "The weather in Paris is sunny today."


def test_the_matching_rule():
    served = [ServedModel("higgs-audio-v2-generation-3B-base", "bosonai/higgs-audio-v2-generation-3B-base")]
    assert choose_model("bosonai/higgs-audio-v2-generation-3B-base", served, "x", "S") == served[0].id
    renamed = [ServedModel("stt", "mistralai/Voxtral-Mini-3B-2507"), ServedModel("other", "o")]
    assert choose_model(VOXTRAL, renamed, "x", "S") == "stt"  # vLLM's root is the loaded path
    short = [ServedModel("Voxtral-Mini-3B-2507"), ServedModel("whisper-1")]
    assert choose_model(VOXTRAL, short, "x", "S") == "Voxtral-Mini-3B-2507"  # without the organisation
    assert choose_model("Voxtral-Mini-3B-2507", [ServedModel(VOXTRAL), ServedModel("b")], "x", "S") == VOXTRAL
    assert choose_model(VOXTRAL, [ServedModel("whatever-is-loaded")], "x", "S") == "whatever-is-loaded"
    with pytest.raises(ModelNotServed, match=r"at h does not serve 'm/x'; it serves: a, b\. Set S to one"):
        choose_model("m/x", [ServedModel("a"), ServedModel("b")], "at h", "S")
    with pytest.raises(ModelNotServed, match="it serves: nothing"):
        choose_model("m/x", [], "at h", "S")


@pytest.mark.parametrize(
    "written", ["http://h:8000", "http://h:8000/", "http://h:8000/v1", "http://h:8000/v1/"]
)
def test_base_urls_as_the_docs_write_them(written):
    assert api_root(written) == "http://h:8000"
    assert load_settings(VOXTRAL_URL=written).VOXTRAL_URL == "http://h:8000"
    assert websocket_url(written) == "ws://h:8000/v1/realtime"


@pytest.mark.parametrize("suffix", ["", "/v1", "/v1/"])
def test_voxtral_under_a_served_name_at_any_base_url(suffix):
    app = TranscriptionApp(
        VOXTRAL, served_name="voxtral-mini"
    )  # vllm serve ... --served-model-name voxtral-mini

    async def go(url):
        stt = VoxtralSpeechToText(load_settings(VOXTRAL_URL=url + suffix))
        try:
            await stt.preflight()
            return await stt.transcribe(piper_speech(LINE), language="en")
        finally:
            await stt.aclose()

    with ThreadedServer(app.app) as server:
        heard = asyncio.run(go(server.url))
    assert word_error_rate(LINE, heard.text) < 0.2
    assert {r["model"] for r in app.requests} == {"voxtral-mini"}


def test_a_server_without_our_model_is_not_ready_and_says_what_it_serves():
    app = ChatApp("llama-3-8b", ("Hi",), served=("llama-3-8b", "qwen2.5-7b"))

    async def go(url):
        chat = OpenAIChat(load_settings(OPENAI_CHAT_URL=url, OPENAI_CHAT_MODEL="mistral-small"))
        try:
            with pytest.raises(NotReady) as caught:
                await chat.preflight()
            return str(caught.value), await chat.health()
        finally:
            await chat.aclose()

    with ThreadedServer(app.app) as server:
        reason, healthy = asyncio.run(go(server.url + "/v1/"))
    assert "does not serve 'mistral-small'; it serves: llama-3-8b, qwen2.5-7b" in reason
    assert "OPENAI_CHAT_MODEL" in reason and healthy is False


def test_openai_chat_finds_the_model_again_after_the_server_restarts_with_another():
    app = ChatApp("first", ("Good", " evening."))

    async def go(url):
        chat = OpenAIChat(load_settings(OPENAI_CHAT_URL=url))
        try:
            first = "".join([p async for p in chat.stream_reply([ChatMessage("user", "Hi")], ChatOptions())])
            app.model, app.served = "second", ("second",)  # restarted with another model
            with pytest.raises(RuntimeError, match=r"HTTP 404: The model `first` does not exist\."):
                async for _ in chat.stream_reply([ChatMessage("user", "Hi")], ChatOptions()):
                    pass
            again = "".join([p async for p in chat.stream_reply([ChatMessage("user", "Hi")], ChatOptions())])
            return first, again
        finally:
            await chat.aclose()

    with ThreadedServer(app.app) as server:
        first, again = asyncio.run(go(server.url))
    assert first == again == "Good evening."
    assert [r["model"] for r in app.requests] == ["first", "first", "second"]


def presets(tmp_path):
    """Boson's --voice-presets-dir layout with one voice, Ava."""
    soundfile.write(tmp_path / "ava.wav", np.zeros(16_000, np.float32), 16_000)
    (tmp_path / "config.json").write_text(json.dumps({"Ava": {"transcript": "Hi.", "audio_file": "ava.wav"}}))
    return tmp_path


def test_bosons_image_speaks_under_its_served_name_with_the_seed_setting(tmp_path):
    """The 'no voice' bug: HIGGS_AUDIO_MODEL_PATH is the HF path, the image serves the short name."""
    engine = PiperEngine()

    async def go(url):
        tts = HiggsSynthesizer(load_settings(HIGGS_AUDIO_URL=f"{url}/v1"))
        try:
            await tts.preflight()
            return [chunk async for chunk in tts.synthesize("Good evening.", VoiceProfile(name="Ava"))]
        finally:
            await tts.aclose()

    boson = BosonHiggsApp(presets(tmp_path), engine)
    with ThreadedServer(boson.app) as server:
        chunks = asyncio.run(go(server.url))
    assert sum(len(c.samples) for c in chunks) > 24_000 * 0.3 and {c.sample_rate for c in chunks} == {24_000}
    assert [r["model"] for r in boson.requests] == [SERVED_NAME]
    assert load_settings().HIGGS_AUDIO_MODEL_PATH != SERVED_NAME  # the seed's value, unchanged
