"""Session-wide backends for the embedded-model tests: each real model loads once per test run.

Threading: fixtures run in pytest's main thread; each backend starts its own worker thread on
first use and is shut down at the end of the session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio.config import Settings, load_settings


def _close(backend: Any) -> None:
    asyncio.run(backend.aclose())


@pytest.fixture(scope="session")
def backend_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings, read with an empty config dir (never the developer's own file)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AI_ANCHOR_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
        return load_settings(stt_threads=2)


@pytest.fixture(scope="session")
def smollm_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private model cache, so the tests build (and then reuse) SmolLM2's cache themselves."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def whisper(backend_settings: Settings) -> Iterator[Any]:
    from studio.backends.whisper_stt import WhisperSpeechToText

    stt = WhisperSpeechToText(backend_settings)
    yield stt
    _close(stt)


@pytest.fixture(scope="session")
def smart_turn(backend_settings: Settings) -> Iterator[Any]:
    from studio.backends.smart_turn import SmartTurnDetector

    detector = SmartTurnDetector(backend_settings)
    yield detector
    _close(detector)


@pytest.fixture(scope="session")
def piper(backend_settings: Settings) -> Iterator[Any]:
    from studio.backends.piper_tts import PiperSynthesizer

    tts = PiperSynthesizer(backend_settings)
    yield tts
    _close(tts)


@pytest.fixture(scope="session")
def smollm(backend_settings: Settings, smollm_cache_dir: Path) -> Iterator[Any]:
    """Built from the wheel's GGUF into the private cache (the slow, first-start path)."""
    from studio.backends.smollm_chat import SmolLMChat

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AI_ANCHOR_CACHE_DIR", str(smollm_cache_dir))
        chat = SmolLMChat(backend_settings)
    yield chat
    _close(chat)
