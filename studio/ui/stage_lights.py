"""One status light per stage (loading / ready / degraded / down) and the degraded-show banner.

Threading: Qt main thread, driven by the engine thread's stage_status_changed signal.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from studio.ui import theme

STAGES = ("vad", "turn", "stt", "chat", "tts")
STAGE_TITLES = {"vad": "VAD", "turn": "Turn", "stt": "STT", "chat": "LLM", "tts": "TTS"}
# What the show does instead when a stage is not working (DESIGN.md's fallback table).
FALLBACKS = {
    "stt": "speech recognition is out: type host lines below",
    "vad": "voice detection is out: use push-to-talk",
    "turn": "end-of-turn detection is out: turns end on silence",
    "chat": "the language model is out: the anchor uses prepared lines",
    "tts": "speech synthesis is out: replies are shown as captions only",
}


class StageLight(QLabel):
    """● STAGE coloured by state; tooltip names the backend, the state and the reason."""

    def __init__(self, stage: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage, self.state, self.backend, self.detail = stage, "waiting", "", ""
        self._paint()

    def set_state(self, backend: str, state: str, detail: str) -> None:
        self.backend, self.state, self.detail = backend or self.backend, state, detail
        self._paint()

    def _paint(self) -> None:
        colour = theme.STATE_COLOURS.get(self.state, theme.MUTED)
        self.setText(f'<span style="color:{colour}; font-size:14pt">●</span> {STAGE_TITLES[self.stage]}')
        tip = f"{STAGE_TITLES[self.stage]} — {self.backend or 'no backend yet'}: {self.state}"
        self.setToolTip(f"{tip}\n{self.detail}" if self.detail else tip)


class StageLights(QWidget):
    """The row of lights plus an overall loading bar while models come up."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.lights = {stage: StageLight(stage) for stage in STAGES}
        for light in self.lights.values():
            layout.addWidget(light)
        self.loading = QProgressBar()
        self.loading.setRange(0, len(STAGES))
        self.loading.setFormat("loading models %v/%m")
        self.loading.setMaximumWidth(180)
        layout.addWidget(self.loading)

    def set_state(self, stage: str, backend: str, state: str, detail: str) -> None:
        light = self.lights.get(stage)
        if light is None:
            return
        light.set_state(backend, state, detail)
        done = sum(1 for item in self.lights.values() if item.state not in ("waiting", "loading"))
        self.loading.setValue(done)
        self.loading.setVisible(done < len(STAGES))

    def set_all(self, state: str, detail: str) -> None:
        for stage in STAGES:
            self.set_state(stage, "", state, detail)

    def troubled(self) -> dict[str, str]:
        """Stages not working right now → their state."""
        return {s: light.state for s, light in self.lights.items() if light.state in ("degraded", "down")}


def banner_text(troubled: dict[str, str], details: dict[str, str]) -> str:
    """The one line the banner shows for the stages that are degraded or down."""
    parts = []
    for stage, state in troubled.items():
        reason = details.get(stage, "")
        what = FALLBACKS.get(stage, f"{stage} is {state}")
        parts.append(f"{STAGE_TITLES.get(stage, stage)} {state}: {what}" + (f" ({reason})" if reason else ""))
    return "Show running degraded — " + " · ".join(parts)
