"""Which parts of a running show a settings change touches, so that only those are rebuilt.

Threading: pure functions (called on the show's loop; testable anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.config import Settings
from studio.engine.policies import POLICY_SETTINGS

#: Settings the backends are built from: a change loads a new stack (the conversation stays).
STACK_SETTINGS = frozenset(
    {
        "stack",
        "VOXTRAL_MODEL_PATH",
        "HIGGS_AUDIO_MODEL_PATH",
        "OLLAMA_MODEL_NAME",
        "GPU_MEMORY_LIMIT_GB",
        "OLLAMA_HOST",
        "VOXTRAL_URL",
        "HIGGS_AUDIO_URL",
        "VOXTRAL_API_KEY",
        "HIGGS_AUDIO_API_KEY",
        "OPENAI_CHAT_API_KEY",
        "chat_backend",
        "stt_threads",
        "stt_window_s",
        "stt_backend",
        "VOXTRAL_REALTIME_MODEL_PATH",
        "OPENAI_CHAT_URL",
        "OPENAI_CHAT_MODEL",
        "chat_context_tokens",
        "HIGGS_AUDIO_PYTHON",
        "TURN_MODEL_PATH",
        "faults",
    }
)
#: Settings the supervisor applies when it wraps the stack: a change re-wraps it (no model reload).
SUPERVISION_SETTINGS = frozenset(
    {
        "stt_timeout_s",
        "turn_timeout_s",
        "chat_timeout_s",
        "tts_timeout_s",
        "health_check_s",
        "health_check_max_s",
    }
)
#: Settings the audio devices are opened with: a change reopens the audio only.
AUDIO_SETTINGS = frozenset(
    {
        "program_device",
        "monitor_device",
        "mic_device",
        "program_loudness_lufs",
        "output_latency_ms",
        "echo_gate",
        "echo_cancellation",
        "SAMPLE_RATE",
    }
)


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    """What to rebuild for new settings; everything else is read live by the engine."""

    changed: frozenset[str]

    @property
    def stack(self) -> bool:
        return bool(self.changed & STACK_SETTINGS)

    @property
    def supervision(self) -> bool:
        return bool(self.changed & SUPERVISION_SETTINGS)

    @property
    def audio(self) -> bool:
        return bool(self.changed & AUDIO_SETTINGS)

    @property
    def policy(self) -> bool:
        return bool(self.changed & frozenset(POLICY_SETTINGS))

    def rebuilt(self) -> tuple[str, ...]:
        """Names of the parts rebuilt, for the SettingsApplied event and the status line."""
        parts = (
            ("stack", self.stack),
            ("supervision", self.supervision and not self.stack),
            ("audio", self.audio),
            ("turn policy", self.policy),
        )
        return tuple(name for name, needed in parts if needed)


def plan_reload(old: Settings, new: Settings) -> ReloadPlan:
    """The settings that differ between `old` and `new`, and so what must be rebuilt."""
    before, after = old.model_dump(), new.model_dump()
    return ReloadPlan(frozenset(key for key, value in after.items() if before.get(key) != value))
