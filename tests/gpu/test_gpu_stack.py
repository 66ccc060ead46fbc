"""The gpu preset: names, `auto` choosing it only when its servers answer, and a whole stack built."""

from __future__ import annotations

import asyncio

from studio.backends import registry
from studio.backends.contracts import ChatMessage, ChatOptions
from studio.backends.registry import backend_names, build_stack, resolve_preset
from studio.config import SEED_CHAT_MODEL, load_settings
from studio.voices.profile import VoiceProfile
from tests.speech import piper_speech, word_error_rate

MODEL = "mistralai/Voxtral-Mini-3B-2507"
MISTRAL = SEED_CHAT_MODEL  # the seed's OLLAMA_MODEL_NAME, the default


def test_gpu_preset_names_and_overrides():
    assert backend_names(load_settings(stack="gpu")) == {
        "stt": "voxtral",
        "vad": "silero",
        "turn": "distilbert",
        "chat": "ollama",
        "tts": "higgs",
    }
    names = backend_names(load_settings(stack="gpu", stt_backend="voxtral-realtime", chat_backend="openai"))
    assert names["stt"] == "voxtral-realtime" and names["chat"] == "openai"


def test_auto_stays_embedded_without_servers():
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    settings = load_settings(VOXTRAL_URL=closed, OLLAMA_HOST=closed, HIGGS_AUDIO_URL=closed)
    assert "gpu" in registry.PRESETS and resolve_preset(settings) == "embedded"


def test_auto_picks_gpu_when_its_servers_answer_and_the_stack_works(gpu_servers):
    line = "How are you tonight?"

    async def go():
        stack = await build_stack(gpu_servers)
        try:
            heard = await stack.stt.transcribe(piper_speech(line))
            reply = "".join(
                [p async for p in stack.chat.stream_reply([ChatMessage("user", heard.text)], ChatOptions())]
            )
            audio = [c async for c in stack.tts.synthesize(reply, VoiceProfile(name="Ava"))]
            healthy = [await getattr(stack, s).health() for s in ("stt", "chat", "tts")]
            return stack.describe(), heard, reply, audio, healthy
        finally:
            await stack.aclose()

    described, heard, reply, audio, healthy = asyncio.run(go())
    assert described["preset"] == "gpu" and described["tts"] == "higgs-audio v2"
    assert word_error_rate(line, heard.text) < 0.25 and heard.language == "en"
    assert reply == "Glad to be here." and sum(len(c.samples) for c in audio) > 24_000 * 0.5
    assert healthy == [True, True, True]
