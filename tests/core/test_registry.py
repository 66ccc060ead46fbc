"""The registry: presets, per-stage overrides, and load errors that say what to do."""

import asyncio

import pytest

from studio.backends import registry
from studio.backends.contracts import BackendInfo
from studio.backends.registry import BackendLoadError, backend_names, build_stack, create_backend
from studio.config import load_settings


def test_embedded_preset_and_chat_override():
    names = backend_names(load_settings(stack="embedded"))
    assert names == {
        "stt": "faster-whisper",
        "vad": "silero",
        "turn": "smart-turn",
        "chat": "auto",
        "tts": "piper",
    }
    assert backend_names(load_settings(stack="embedded", chat_backend="smollm2"))["chat"] == "smollm2"


def test_gpu_stack_without_its_backends_says_how_to_get_them(monkeypatch):
    monkeypatch.delitem(registry.PRESETS, "gpu", raising=False)
    with pytest.raises(BackendLoadError, match="install the 'gpu' extra or use --stack embedded"):
        backend_names(load_settings(stack="gpu"))
    assert registry.resolve_preset(load_settings(stack="auto")) == "embedded"


def test_unknown_backend_and_failing_factory_are_named(monkeypatch):
    settings = load_settings()
    with pytest.raises(BackendLoadError, match=r"no tts backend named 'nope' \(known: .*piper"):
        create_backend("tts", "nope", settings)

    def broken(_settings):
        raise OSError("model file is damaged")

    monkeypatch.setitem(registry._REGISTRY["tts"], "broken", broken)
    with pytest.raises(BackendLoadError, match="tts backend 'broken' failed to load: model file is damaged"):
        create_backend("tts", "broken", settings)


def test_build_stack_reports_progress_per_stage(monkeypatch):
    class Dummy:
        frame_samples = 512

        def __init__(self, name):
            self.info = BackendInfo(name=name)

    for stage in registry.STAGES:
        monkeypatch.setitem(
            registry._REGISTRY[stage], "dummy", lambda _s, stage=stage: Dummy(f"{stage}-dummy")
        )
    monkeypatch.setitem(registry.PRESETS, "embedded", dict.fromkeys(registry.STAGES, "dummy"))
    seen = []
    stack = asyncio.run(build_stack(load_settings(stack="embedded"), lambda *a: seen.append(a)))
    assert stack.describe()["tts"] == "tts-dummy"
    assert sorted(s for s, _, state in seen if state == "ready") == sorted(registry.STAGES)


def test_voice_cloning_off_makes_the_gpu_stack_speak_with_the_profiles_piper_voice():
    assert backend_names(load_settings(stack="gpu"))["tts"] == "higgs"
    names = backend_names(load_settings(stack="gpu", enable_voice_cloning=False))
    assert names["tts"] == "piper" and names["stt"] == "voxtral" and names["chat"] == "ollama"


def test_voice_cloning_off_needs_no_higgs_server_for_auto():
    from studio.backends.reachability import server_health

    down = "http://127.0.0.1:9"  # discard port: nothing answers
    urls = {"VOXTRAL_URL": down, "OLLAMA_HOST": down, "HIGGS_AUDIO_URL": down}
    assert set(server_health(load_settings(**urls))) == {"stt", "chat", "tts"}
    assert set(server_health(load_settings(enable_voice_cloning=False, **urls))) == {"stt", "chat"}
