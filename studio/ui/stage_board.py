"""Which stage is loading, ready, degraded or down, and the one banner line that says so, without Qt.

The window's presenter keeps a StageBoard and tells the view what to paint; StageLights only paints.
Threading: the thread that owns the presenter (the Qt main thread in the studio); plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STAGES = ("vad", "turn", "stt", "chat", "tts")
STAGE_TITLES = {"vad": "VAD", "turn": "Turn", "stt": "STT", "chat": "LLM", "tts": "TTS"}
TROUBLE = ("degraded", "down")
LOADING = ("waiting", "loading")
# What the show does instead when a stage is not working (DESIGN.md's fallback table).
FALLBACKS = {
    "stt": "speech recognition is out: type host lines below",
    "vad": "voice detection is out: use push-to-talk",
    "turn": "end-of-turn detection is out: turns end on silence",
    "chat": "the language model is out: the anchor uses prepared lines",
    "tts": "speech synthesis is out: replies are shown as captions only",
}


def banner_text(troubled: dict[str, str], details: dict[str, str]) -> str:
    """The one line the banner shows for the stages that are degraded or down."""
    parts = []
    for stage, state in troubled.items():
        reason = details.get(stage, "")
        what = FALLBACKS.get(stage, f"{stage} is {state}")
        parts.append(f"{STAGE_TITLES.get(stage, stage)} {state}: {what}" + (f" ({reason})" if reason else ""))
    return "Show running degraded — " + " · ".join(parts)


@dataclass(frozen=True, slots=True)
class Banner:
    """What the banner strip shows; `severity` picks its colour in the theme ("down" or "degraded")."""

    text: str
    severity: str


@dataclass(slots=True)
class StageBoard:
    """Each stage's state and last detail, as the lights show them."""

    states: dict[str, str] = field(default_factory=lambda: dict.fromkeys(STAGES, "waiting"))
    details: dict[str, str] = field(default_factory=dict)
    alerts: dict[str, str] = field(default_factory=dict)  # alert kind → its line (slow turn, GPU memory)

    def set(self, stage: str, state: str, detail: str) -> bool:
        """Note a stage's new state; False for a stage the board does not show."""
        if stage not in self.states:
            return False
        self.states[stage], self.details[stage] = state, detail
        return True

    def still_loading(self) -> list[str]:
        """Stages that never reported (the ready signal lights them green)."""
        return [stage for stage, state in self.states.items() if state in LOADING]

    def troubled(self) -> dict[str, str]:
        """Stages not working right now → their state."""
        return {stage: state for stage, state in self.states.items() if state in TROUBLE}

    def banner(self) -> Banner | None:
        """The degraded-show banner and the alerts up, or None when every stage works and none is up."""
        troubled = self.troubled()
        if not troubled and not self.alerts:
            return None
        severity = "down" if "down" in troubled.values() else "degraded"
        parts = [banner_text(troubled, self.details)] if troubled else []
        parts += [f"Alert: {line}" for line in self.alerts.values()]
        return Banner(" · ".join(parts), severity)
