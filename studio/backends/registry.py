"""Maps the names used in settings to backend factories, and assembles a stack from a preset.

Threading: `build_stack` runs on the caller's asyncio loop; each factory (which may load a model
for seconds) runs in a worker thread so the loop — and the GUI above it — stays responsive.
Factories import their heavy libraries lazily, so a missing optional extra only fails that stage.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from studio.backends.contracts import (
    ChatModel,
    EndOfTurnDetector,
    SpeechSynthesizer,
    SpeechToText,
    VoiceActivityDetector,
)
from studio.config import Settings

Stage = Literal["stt", "vad", "turn", "chat", "tts"]
STAGES: tuple[Stage, ...] = ("vad", "turn", "stt", "tts", "chat")
Factory = Callable[[Settings], Any]
ProgressCallback = Callable[[Stage, str, str], None]


class BackendLoadError(RuntimeError):
    """A backend could not be created; the message names the stage, the backend and the fix."""


@dataclass(slots=True)
class BackendStack:
    """The five backends the engine drives, plus the preset they came from."""

    preset: str
    stt: SpeechToText
    vad: VoiceActivityDetector
    turn: EndOfTurnDetector
    chat: ChatModel
    tts: SpeechSynthesizer

    def describe(self) -> dict[str, str]:
        """Backend names per stage, as printed by `run --json` and shown in the GUI."""
        names = {stage: getattr(self, stage).info.name for stage in STAGES}
        return {"preset": self.preset, **names}

    async def aclose(self) -> None:
        """Release every backend that holds resources."""
        for stage in STAGES:
            closer = getattr(getattr(self, stage), "aclose", None)
            if closer is not None:
                await closer()


def _lazy(module: str, attribute: str) -> Factory:
    """A factory that imports its backend module only when the stage is built."""

    def factory(settings: Settings) -> Any:
        return getattr(importlib.import_module(module), attribute)(settings)

    factory.__qualname__ = f"{module}.{attribute}"
    return factory


_REGISTRY: dict[Stage, dict[str, Factory]] = {
    "stt": {
        "faster-whisper": _lazy("studio.backends.whisper_stt", "WhisperSpeechToText"),
        "voxtral": _lazy("studio.backends.voxtral_stt", "VoxtralSpeechToText"),
        "voxtral-realtime": _lazy("studio.backends.voxtral_realtime", "VoxtralRealtimeSpeechToText"),
    },
    "vad": {"silero": _lazy("studio.backends.silero_vad", "SileroVoiceActivity")},
    "turn": {
        "smart-turn": _lazy("studio.backends.smart_turn", "SmartTurnDetector"),
        "distilbert": _lazy("studio.backends.distilbert_turn", "create_turn_detector"),
    },
    "chat": {
        "auto": _lazy("studio.backends.chat_selection", "select_embedded_chat"),
        "ollama": _lazy("studio.backends.ollama_chat", "OllamaChat"),
        "smollm2": _lazy("studio.backends.smollm_chat", "SmolLMChat"),
        "openai": _lazy("studio.backends.openai_chat", "OpenAIChat"),
    },
    "tts": {
        "piper": _lazy("studio.backends.piper_tts", "PiperSynthesizer"),
        "higgs": _lazy("studio.backends.higgs_tts", "HiggsSynthesizer"),
    },
}

#: Speech synthesizers that clone the profile's reference clip (off with enable_voice_cloning=false).
CLONING_TTS = frozenset({"higgs"})

#: Which backend name each stack preset uses for each stage.
PRESETS: dict[str, dict[Stage, str]] = {
    "embedded": {
        "stt": "faster-whisper",
        "vad": "silero",
        "turn": "smart-turn",
        "chat": "auto",
        "tts": "piper",
    },
    # The studio GPU stack: model servers at VOXTRAL_URL, OLLAMA_HOST and HIGGS_AUDIO_URL.
    "gpu": {
        "stt": "voxtral",
        "vad": "silero",
        "turn": "distilbert",
        "chat": "ollama",
        "tts": "higgs",
    },
}


def register(stage: Stage, name: str, factory: Factory) -> None:
    """Make a backend selectable by name (the GPU stack registers itself this way)."""
    _REGISTRY[stage][name] = factory


def register_preset(preset: str, names: dict[Stage, str]) -> None:
    """Add a stack preset (stage → backend name)."""
    PRESETS[preset] = dict(names)


def resolve_preset(settings: Settings) -> str:
    """The preset a start with `settings.stack` uses: `auto` picks gpu only when its servers answer.

    Blocking (up to ~1 s of health probes when gpu is a candidate): call it off the event loop.
    """
    if settings.stack != "auto":
        return settings.stack
    if "gpu" not in PRESETS:
        return "embedded"
    from studio.backends.reachability import gpu_servers_ready

    return "gpu" if gpu_servers_ready(settings) else "embedded"


def backend_names(settings: Settings, preset: str | None = None) -> dict[Stage, str]:
    """Stage → backend name for the preset, honouring per-stage overrides in the settings."""
    preset = preset or resolve_preset(settings)
    if preset not in PRESETS:
        raise BackendLoadError(
            f"stack {preset!r} is not available in this installation "
            f"(known: {', '.join(sorted(PRESETS))}); install the 'gpu' extra or use --stack embedded"
        )
    names = dict(PRESETS[preset])
    if names["tts"] in CLONING_TTS and not settings.enable_voice_cloning:
        names["tts"] = "piper"  # the profile's own preset voice (embedded_voice): no reference clip used
    if settings.chat_backend != "auto":
        names["chat"] = settings.chat_backend
    if settings.stt_backend != "auto":
        names["stt"] = settings.stt_backend
    return names


def create_backend(stage: Stage, name: str, settings: Settings) -> Any:
    """Instantiate one backend (blocking: may load a model)."""
    try:
        factory = _REGISTRY[stage][name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY[stage]))
        raise BackendLoadError(f"no {stage} backend named {name!r} (known: {known})") from None
    try:
        return factory(settings)
    except BackendLoadError:
        raise
    except ImportError as exc:
        raise BackendLoadError(
            f"{stage} backend {name!r} needs a package that is not installed ({exc.name}); "
            "reinstall with the project's install script"
        ) from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise BackendLoadError(f"{stage} backend {name!r} failed to load: {exc}") from exc


async def build_stack(settings: Settings, on_progress: ProgressCallback | None = None) -> BackendStack:
    """Load every stage's backend off the loop (in parallel) and return the assembled stack.

    Fault injection (setting `faults`) is the show's to apply (studio.show.stack), not ours.
    """
    preset = await asyncio.to_thread(resolve_preset, settings)
    names = backend_names(settings, preset)
    if preset == "gpu":  # the chat client sends the num_ctx the memory plan gives Ollama
        from studio.gpu.stack_plan import planned_settings

        settings = await asyncio.to_thread(planned_settings, settings)

    async def load(stage: Stage) -> Any:
        if on_progress:
            on_progress(stage, names[stage], "loading")
        backend = await asyncio.to_thread(create_backend, stage, names[stage], settings)
        if on_progress:
            on_progress(stage, backend.info.name, "ready")
        return backend

    loaded = await asyncio.gather(*(load(stage) for stage in STAGES))
    by_stage = dict(zip(STAGES, loaded, strict=True))
    return BackendStack(preset=preset, **by_stage)
