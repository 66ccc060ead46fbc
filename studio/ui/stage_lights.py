"""One status light per stage (loading / ready / degraded / down); what they mean is studio.ui.stage_board.

Threading: Qt main thread, painted by the window as its presenter decides.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from studio.ui import theme
from studio.ui.stage_board import STAGE_TITLES, STAGES, TROUBLE


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
        return {s: light.state for s, light in self.lights.items() if light.state in TROUBLE}
