"""What OBS should do as the show moves: a chapter and a scene per rundown segment, and on-air cues.

A segment change opens a chapter ("Segment 2/3: Weather") and, when the segment names a scene,
switches OBS to it. While the anchor's audio airs — from its first clause's ReplyClauseStarted
(the engine publishes it when the first sample reaches the program output, so it follows the
broadcast delay) until the turn completed or was interrupted (what already played live still
airs, so the bridge waits out the delay first) or DUMP dropped it (off at once) — the configured
sources (the anchor's avatar, an "AI voice" disclosure label) are enabled, and the optional
per-speaker scenes switch: `obs_anchor_scene` on air, `obs_host_scene` off air.
Threading: pure (the bridge calls it on its own "obs" thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.config import Settings
from studio.engine.events import AnchorInterrupted, ReplyClauseStarted, TurnCompleted
from studio.obs.captions import MarkChapter
from studio.rundown.events import SegmentChanged
from studio.show.safety import ProgramDumped

RUNDOWN_ENDED = "Rundown ended"


@dataclass(frozen=True, slots=True)
class SwitchScene:
    """Make `scene` OBS's program scene; `why` names who asked (for the message if it is missing)."""

    scene: str
    why: str


@dataclass(frozen=True, slots=True)
class ShowSources:
    """Enable (or disable) these sources in the current program scene."""

    sources: tuple[str, ...]
    enabled: bool


@dataclass(frozen=True, slots=True)
class OffAirAfterDelay:
    """The anchor's audio ends once the broadcast delay has played out: then `CuePlanner.off_air()`."""


CueAction = SwitchScene | ShowSources | OffAirAfterDelay | MarkChapter


@dataclass(frozen=True, slots=True)
class CueSettings:
    """The cue options (all empty: no cues); see README "OBS"."""

    anchor_source: str = ""  # enabled while the anchor speaks (e.g. its avatar)
    disclosure_source: str = ""  # an "AI voice" label, enabled while the anchor speaks
    host_scene: str = ""  # the program scene while the anchor is off air
    anchor_scene: str = ""  # the program scene while the anchor speaks

    @classmethod
    def from_settings(cls, settings: Settings) -> CueSettings:
        """The obs_* cue settings."""
        return cls(
            settings.obs_anchor_source.strip(),
            settings.obs_disclosure_source.strip(),
            settings.obs_host_scene.strip(),
            settings.obs_anchor_scene.strip(),
        )

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources shown while the anchor speaks, without blanks or repeats."""
        return tuple(dict.fromkeys(s for s in (self.anchor_source, self.disclosure_source) if s))


class CuePlanner:
    """Turns segment changes and the anchor's airtime into chapters, scene switches and source cues."""

    def __init__(self, cues: CueSettings | None = None) -> None:
        """`cues`: the on-air cue options (None: only the segments' chapters and scenes)."""
        self._cues = cues or CueSettings()
        self.on_air = False

    def actions(self, event: Any) -> list[CueAction]:
        """The actions one show event calls for (most call for none)."""
        if isinstance(event, SegmentChanged):
            return self._segment(event)
        if isinstance(event, ReplyClauseStarted):
            return self._on_air()
        if isinstance(event, TurnCompleted | AnchorInterrupted):
            return [OffAirAfterDelay()] if self.on_air else []
        if isinstance(event, ProgramDumped):
            return self.off_air()
        return []

    def off_air(self) -> list[CueAction]:
        """The anchor's audio has stopped airing: hide its sources, then the host's scene."""
        if not self.on_air:
            return []
        self.on_air = False
        actions: list[CueAction] = []
        if self._cues.sources:
            actions.append(ShowSources(self._cues.sources, False))
        if self._cues.host_scene:
            actions.append(SwitchScene(self._cues.host_scene, "obs_host_scene"))
        return actions

    def _on_air(self) -> list[CueAction]:
        """The anchor's first sample aired: its scene first, then its sources in that scene."""
        if self.on_air:
            return []
        self.on_air = True
        actions: list[CueAction] = []
        if self._cues.anchor_scene:
            actions.append(SwitchScene(self._cues.anchor_scene, "obs_anchor_scene"))
        if self._cues.sources:
            actions.append(ShowSources(self._cues.sources, True))
        return actions

    @staticmethod
    def _segment(event: SegmentChanged) -> list[CueAction]:
        """A chapter for the segment (or the rundown's end) and the scene it asks for."""
        if event.index < 0:
            return [MarkChapter(RUNDOWN_ENDED)]
        actions: list[CueAction] = [MarkChapter(f"Segment {event.index + 1}/{event.count}: {event.title}")]
        if event.scene:
            actions.append(SwitchScene(event.scene, f"rundown segment {event.title!r}"))
        return actions
