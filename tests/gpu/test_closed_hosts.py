"""Model hosts are closed by default: `host up` binds loopback, opening one needs its key, and the
studio sends the keys it is given (vLLM's --api-key answers 401 without it)."""

from __future__ import annotations

import asyncio

import pytest

from studio.backends.readiness import NotReady
from studio.backends.voxtral_stt import VoxtralSpeechToText
from studio.config import load_settings
from studio.gpu.planner import higgs_budget, ollama_budget, voxtral_budget
from studio.gpu.supervisor import build_spec
from tests.gpu.servers import ThreadedServer, TranscriptionApp
from tests.speech import piper_speech

VOXTRAL = "mistralai/Voxtral-Mini-3B-2507"


def specs(**settings):
    s = load_settings(**settings)
    budgets = {"tts": higgs_budget(), "chat": ollama_budget(2048), "stt": voxtral_budget()}
    return {stage: build_spec(stage, budget, s, 48.0) for stage, budget in budgets.items()}


def test_defaults_bind_loopback_and_opening_a_server_needs_its_key():
    closed = specs()
    assert all(not spec.exposure_problem() for spec in closed.values())
    assert closed["stt"].command[closed["stt"].command.index("--host") + 1] == "127.0.0.1"
    assert closed["tts"].command[closed["tts"].command.index("--host") + 1] == "127.0.0.1"
    everywhere = {
        f"{name}": "http://0.0.0.0:9999" for name in ("VOXTRAL_URL", "HIGGS_AUDIO_URL", "OLLAMA_HOST")
    }
    opened = specs(**everywhere)
    assert (
        "needs a key" in opened["stt"].exposure_problem()
        and "needs a key" in opened["tts"].exposure_problem()
    )
    assert "reverse proxy" in opened["chat"].exposure_problem()  # Ollama has no keys at all
    keyed = specs(**everywhere, VOXTRAL_API_KEY="vk", HIGGS_AUDIO_API_KEY="hk")
    assert not keyed["stt"].exposure_problem() and keyed["stt"].env == {"VLLM_API_KEY": "vk"}
    assert not keyed["tts"].exposure_problem() and keyed["tts"].env == {"HIGGS_AUDIO_API_KEY": "hk"}
    assert "vk" not in " ".join(keyed["stt"].command)  # keys travel in the environment, not argv


def test_the_studio_sends_the_vllm_api_key_it_is_given():
    app = TranscriptionApp(VOXTRAL, api_key="vk")

    async def go(url, key):
        stt = VoxtralSpeechToText(load_settings(VOXTRAL_URL=url, VOXTRAL_API_KEY=key, stt_language="en"))
        try:
            await stt.preflight()
            return await stt.transcribe(piper_speech("Good evening."))
        finally:
            await stt.aclose()

    with ThreadedServer(app.app) as server:
        with pytest.raises(NotReady, match="HTTP 401: Unauthorized"):
            asyncio.run(go(server.url, ""))
        heard = asyncio.run(go(server.url, "vk"))
    assert "evening" in heard.text.lower()
