"""Maps the names used in settings to backend factories, and assembles a stack from a preset.

A stage that cannot load, or whose server does not serve its model yet (`preflight`), never stops
the build: it is listed in `BackendStack.problems` (reason, light, in-app fix) and, when it could
not even be created, stands in as `Unavailable`; the supervisor starts it degraded or down and
turns it ready once its health check passes. A TTS backend whose server must hold the voice
(`ensure_voice`) is not reported "ready" here: the supervisor checks the current voice first.
`require_ready` is for batch runs that must not start degraded.
Threading: `build_stack` runs on the caller's asyncio loop; each factory (which may load a model
for seconds) runs in a worker thread so the loop — and the GUI above it — stays responsive.
Factories import their heavy libraries lazily, so a missing optional extra only fails that stage.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from studio.backends.contracts import (
    ChatModel,
    EndOfTurnDetector,
    SpeechSynthesizer,
    SpeechToText,
    VoiceActivityDetector,
)
from studio.backends.readiness import NotReady, NotReadyState
from studio.backends.unavailable import Unavailable
from studio.config import Settings

Stage = Literal["stt", "vad", "turn", "chat", "tts"]
STAGES: tuple[Stage, ...] = ("vad", "turn", "stt", "tts", "chat")
Factory = Callable[[Settings], Any]
ProgressCallback = Callable[[Stage, str, str], None]
PREFLIGHT_S = 5.0  # how long a server may take to say whether it serves our model, at start


class BackendLoadError(RuntimeError):
    """A backend could not be created; the message names the stage, the backend and the fix."""


class StackNotReady(BackendLoadError):
    """A batch run asked for a complete stack and some stages could not start (listed, with fixes)."""


@dataclass(frozen=True, slots=True)
class StageProblem:
    """Why a stage starts without its backend: the reason, the light it starts with, the in-app fix."""

    reason: str
    state: NotReadyState = "down"
    action: str = ""


@dataclass(slots=True)
class BackendStack:
    """The five backends the engine drives, plus the preset they came from."""

    preset: str
    stt: SpeechToText
    vad: VoiceActivityDetector
    turn: EndOfTurnDetector
    chat: ChatModel
    tts: SpeechSynthesizer
    problems: dict[str, StageProblem] = field(default_factory=dict)  # stages that start degraded/down

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


async def _preflight(backend: Any) -> StageProblem | None:
    """None when the backend can serve now; else why not (server down, model not served/pulled)."""
    check = getattr(backend, "preflight", None)
    if check is None:
        return None
    try:
        await asyncio.wait_for(check(), PREFLIGHT_S)
    except NotReady as exc:
        return StageProblem(exc.reason, exc.state, exc.action)
    except TimeoutError:
        return StageProblem(f"{backend.info.name} did not answer within {PREFLIGHT_S:g} s")
    return None


async def load_stage(stage: Stage, name: str, settings: Settings) -> tuple[Any, StageProblem | None]:
    """One stage's backend and, when it cannot serve yet, why; a backend that cannot even be
    created is an `Unavailable` stand-in that retries the load on each health check."""
    try:
        backend = await asyncio.to_thread(create_backend, stage, name, settings)
    except Exception as exc:  # never die: the stage starts down, the others load
        reason = str(exc) or type(exc).__name__
        return Unavailable(stage, name, reason, lambda: create_backend(stage, name, settings)), StageProblem(
            reason
        )
    return backend, await _preflight(backend)


async def build_stack(settings: Settings, on_progress: ProgressCallback | None = None) -> BackendStack:
    """Load every stage's backend off the loop (in parallel) and return the assembled stack.

    Stages that cannot serve are in `problems` (the stack is still complete: see the module doc).
    Fault injection (setting `faults`) is the show's to apply (studio.show.stack), not ours.
    """
    preset = await asyncio.to_thread(resolve_preset, settings)
    names = backend_names(settings, preset)
    if preset == "gpu":  # the chat client sends the num_ctx the memory plan gives Ollama
        from studio.gpu.stack_plan import planned_settings

        settings = await asyncio.to_thread(planned_settings, settings)
    problems: dict[str, StageProblem] = {}

    async def load(stage: Stage) -> Any:
        if on_progress:
            on_progress(stage, names[stage], "loading")
        backend, problem = await load_stage(stage, names[stage], settings)
        if problem is not None:
            problems[stage] = problem  # announced with its reason when the stack is supervised
        elif on_progress and getattr(backend, "ensure_voice", None) is None:
            on_progress(stage, backend.info.name, "ready")
        # else: a speech server that must hold the voice; the supervisor says "ready" once it does
        return backend

    loaded = await asyncio.gather(*(load(stage) for stage in STAGES))
    by_stage = dict(zip(STAGES, loaded, strict=True))
    return BackendStack(preset=preset, **by_stage, problems=problems)


async def build_complete_stack(
    settings: Settings, on_progress: ProgressCallback | None = None
) -> BackendStack:
    """`build_stack` for batch runs that must not start degraded: StackNotReady when a stage cannot serve."""
    stack = await build_stack(settings, on_progress)
    try:
        return require_ready(stack)
    except StackNotReady:
        await stack.aclose()
        raise


def require_ready(stack: BackendStack) -> BackendStack:
    """`stack` when every stage can serve; else StackNotReady naming each stage, its reason and fix."""
    if not stack.problems:
        return stack
    lines = "; ".join(f"{stage}: {problem.reason}" for stage, problem in stack.problems.items())
    raise StackNotReady(f"the model stack is not complete ({lines}); fix it, or pass --allow-degraded")
