"""What the captions and chapters should do for each show event: follow what airs, nothing earlier.

The anchor's clause is captioned on ReplyClauseStarted, which the engine publishes when the
clause's first sample reaches the program output (a timer at the output's play time), not when
the clause is generated; a clause shown as text instead (ReplyCaptioned) is captioned when it is
shown. The host's final line is captioned when the turn is decided. A barge-in takes the caption
down at once. Each decided turn opens a chapter.
Threading: pure (the bridge calls it on its own thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studio.engine.events import (
    AnchorInterrupted,
    AnchorLineQueued,
    ReplyCaptioned,
    ReplyClauseStarted,
    TurnDecided,
)
from studio.show.safety import ProgramDumped

CHAPTER_TITLE_CHARS = 60


@dataclass(frozen=True, slots=True)
class ShowCaption:
    """Put this text on air now (`aired`: the clause's first sample is on the program output)."""

    text: str
    aired: bool


@dataclass(frozen=True, slots=True)
class ClearCaption:
    """Take the caption down now (interrupted or dumped audio)."""

    reason: str


@dataclass(frozen=True, slots=True)
class MarkChapter:
    """Open a chapter here."""

    title: str


Action = ShowCaption | ClearCaption | MarkChapter


class CaptionPlanner:
    """Turns the show's events into caption and chapter actions, speaker-labelled."""

    def __init__(self, host_label: str = "Host", anchor_label: Callable[[], str] | None = None) -> None:
        """`anchor_label()`: the anchor's on-air name now; None: the voice that speaks the clause."""
        self._host_label, self._anchor_label = host_label, anchor_label
        self._voices: dict[int, str] = {}  # turn id → the anchor voice queued for it
        self._turns = 0
        self._last_decided: int | None = None  # a line the host went on with is decided again

    def actions(self, event: Any) -> list[Action]:
        """The actions one event calls for (most events call for none)."""
        if isinstance(event, AnchorLineQueued):
            self._voices[event.turn_id] = event.voice
        elif isinstance(event, ReplyClauseStarted):
            return [ShowCaption(f"{self._anchor(event.turn_id)}: {event.clause.strip()}", True)]
        elif isinstance(event, ReplyCaptioned):
            return [ShowCaption(f"{self._anchor(event.turn_id)}: {event.clause.strip()}", False)]
        elif isinstance(event, AnchorInterrupted):
            self._voices.pop(event.turn_id, None)
            return [ClearCaption(event.reason or "interrupted")]
        elif isinstance(event, ProgramDumped):
            return [ClearCaption("dumped")]
        elif isinstance(event, TurnDecided) and event.transcript.strip():
            return self._decided(event)
        return []

    def _decided(self, event: TurnDecided) -> list[Action]:
        """The host's final line as a caption, and a chapter for a newly decided turn."""
        caption = ShowCaption(f"{self._host_label}: {event.transcript.strip()}", False)
        if event.turn_id == self._last_decided:
            return [caption]
        self._last_decided = event.turn_id
        self._turns += 1
        line = " ".join(event.transcript.split())
        if len(line) > CHAPTER_TITLE_CHARS:
            line = line[: CHAPTER_TITLE_CHARS - 1].rstrip() + "…"
        return [caption, MarkChapter(f"Turn {self._turns}: {line}")]

    def _anchor(self, turn_id: int) -> str:
        """The anchor's speaker label: its on-air name, else the voice, else 'Anchor'."""
        named = self._anchor_label() if self._anchor_label is not None else ""
        return named or self._voices.get(turn_id) or "Anchor"
