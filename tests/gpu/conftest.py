"""Shared fixtures: the three GPU-stack servers, local and backed by the embedded models."""

from __future__ import annotations

import pytest

from studio.config import SEED_CHAT_MODEL, load_settings
from tests.fake_ollama import FakeOllama
from tests.gpu.servers import PiperEngine, ThreadedServer, TranscriptionApp, speech_server

MODEL = "mistralai/Voxtral-Mini-3B-2507"
MISTRAL = SEED_CHAT_MODEL  # the seed's OLLAMA_MODEL_NAME, the default


@pytest.fixture
def gpu_servers():
    engine = PiperEngine(voices=("Ava",))
    with (
        ThreadedServer(TranscriptionApp(MODEL).app) as stt,
        FakeOllama(models=(MISTRAL,), reply=("Glad", " to", " be", " here", ".")) as ollama,
        speech_server(engine) as tts,
    ):
        yield load_settings(
            stack="auto", VOXTRAL_URL=stt.url, OLLAMA_HOST=ollama.url, HIGGS_AUDIO_URL=tts.url
        )
