"""The window's top strip: stage lights, the voice selector, Voices… and Settings…, and the
degraded-show banner under it.

Threading: Qt main thread. Passive: it emits what the host did and shows what it is handed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from studio.ui.stage_board import Banner
from studio.ui.stage_lights import StageLights
from studio.voices.profile import VoiceProfile


def voice_names(voices: list[VoiceProfile], on_show: str) -> tuple[list[str], int, list[str]]:
    """The selector's names, the index of the voice on show (the first if it is not listed), and
    the language each voice answers in."""
    names = [voice.name for voice in voices]
    return names, names.index(on_show) if on_show in names else 0, [voice.language for voice in voices]


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property (severity, held) changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class TopBar(QWidget):
    """Lights on the left; voice selector, Voices… and Settings… on the right."""

    voice_chosen = Signal(int)  # index in the list last shown
    voices_requested = Signal()
    settings_requested = Signal()

    def __init__(
        self,
        names: list[str],
        current: int,
        languages: list[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.lights = StageLights()
        self.voice_box = QComboBox()
        self.voice_box.setMinimumContentsLength(12)
        self.voice_box.setToolTip("The anchor's voice and persona; a switch applies from the next reply")
        self.show_voices(names, current, languages)
        self.voice_box.currentIndexChanged.connect(self.voice_chosen.emit)
        self.voices_button = QPushButton("Voices…")
        self.voices_button.setToolTip("Make, check and pick the anchor's voices")
        self.voices_button.clicked.connect(self.voices_requested.emit)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.clicked.connect(self.settings_requested.emit)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.lights)
        row.addStretch(1)
        row.addWidget(QLabel("Voice"))
        row.addWidget(self.voice_box)
        row.addWidget(self.voices_button)
        row.addWidget(self.settings_button)

    def show_voices(self, names: list[str], current: int, languages: list[str] | None = None) -> None:
        """Fill the selector without reporting it as the host's choice; each voice's tooltip says
        which language it answers in (the show switches to it when the host speaks that language)."""
        self.voice_box.blockSignals(True)
        self.voice_box.clear()
        self.voice_box.addItems(names)
        for index, (name, language) in enumerate(zip(names, languages or [], strict=False)):
            self.voice_box.setItemData(index, f"{name} answers in {language}", Qt.ItemDataRole.ToolTipRole)
        self.voice_box.setCurrentIndex(current)
        self.voice_box.blockSignals(False)


class BannerLabel(QLabel):
    """The amber/red strip that says which stages are out and what the show does instead."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setWordWrap(True)
        self.hide()

    def show_banner(self, banner: Banner | None) -> None:
        if banner is None:
            self.hide()
            return
        self.setText(banner.text)
        self.setProperty("severity", banner.severity)
        repolish(self)
        self.show()
