"""The show's transcript as the window knows it: host and anchor lines with times, exportable.

Export goes through the session exporter (`studio.session.export`): the window keeps the same
records the session log writes (`record_of` each engine event), so a text or SRT saved from the
window reads exactly like `ai-anchor-studio sessions export` of the same show.
Threading: Qt main thread (fed by engine signals); the model itself is plain Python, no Qt.
Times are seconds since the session started, so an SRT lines up with a recording of the show.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from studio.engine.events import EngineEvent
from studio.session.export import session_srt, session_text
from studio.session.recorder import record_of

Speaker = Literal["host", "anchor", "note"]


@dataclass(slots=True)
class TranscriptEntry:
    """One line: the host's (partial until final) or the anchor's (growing clause by clause)."""

    turn_id: int
    speaker: Speaker
    text: str
    start_s: float
    end_s: float
    final: bool = False
    wall_time: datetime = field(default_factory=datetime.now)
    interrupted: bool = False


class TranscriptLog:
    """Ordered transcript entries keyed by (turn, speaker), with text and SRT export."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._origin = clock()
        self.entries: list[TranscriptEntry] = []
        self._index: dict[tuple[int, Speaker], TranscriptEntry] = {}
        self.records: list[dict[str, Any]] = []  # as the session log keeps them, for export

    def record(self, event: EngineEvent) -> None:
        """Keep `event` as the session log would (what the exports are made from)."""
        kept = record_of(event)
        if kept is not None:
            kind, fields = kept
            self.records.append({"t": round(self.elapsed(), 3), "kind": kind, **fields})

    def elapsed(self) -> float:
        return self._clock() - self._origin

    def entry(self, turn_id: int, speaker: Speaker) -> TranscriptEntry | None:
        return self._index.get((turn_id, speaker))

    def host_started(self, turn_id: int) -> TranscriptEntry:
        return self._open(turn_id, "host")

    def host_text(self, turn_id: int, text: str, final: bool) -> TranscriptEntry:
        """A partial (replaces the previous one) or the final transcript of the host's line."""
        entry = self._index.get((turn_id, "host")) or self._open(turn_id, "host")
        entry.text, entry.end_s = text, self.elapsed()
        entry.final = entry.final or final
        return entry

    def host_resumed(self, turn_id: int) -> TranscriptEntry:
        """The host went on after a pause: their line is open again (greyed until its new final)."""
        entry = self._index.get((turn_id, "host")) or self._open(turn_id, "host")
        entry.final = False
        return entry

    def anchor_clause(self, turn_id: int, clause: str) -> TranscriptEntry:
        """The anchor started speaking `clause`: the line grows as it is heard."""
        entry = self._index.get((turn_id, "anchor")) or self._open(turn_id, "anchor")
        entry.text = f"{entry.text} {clause}".strip()
        entry.end_s = self.elapsed()
        return entry

    def anchor_done(self, turn_id: int, heard: str, reply: str, interrupted: bool) -> TranscriptEntry:
        """The turn ended: the line keeps what the audience heard (all of it unless cut off)."""
        entry = self._index.get((turn_id, "anchor")) or self._open(turn_id, "anchor")
        entry.text = (heard if interrupted else heard or reply).strip() or entry.text
        entry.final, entry.interrupted, entry.end_s = True, interrupted, self.elapsed()
        return entry

    def note(self, text: str) -> TranscriptEntry:
        entry = TranscriptEntry(-1, "note", text, self.elapsed(), self.elapsed(), final=True)
        self.entries.append(entry)
        return entry

    def drop(self, turn_id: int, speaker: Speaker) -> TranscriptEntry | None:
        entry = self._index.pop((turn_id, speaker), None)
        if entry is not None:
            self.entries.remove(entry)
        return entry

    def _open(self, turn_id: int, speaker: Speaker) -> TranscriptEntry:
        at = self.elapsed()
        entry = TranscriptEntry(turn_id, speaker, "", at, at)
        self.entries.append(entry)
        self._index[(turn_id, speaker)] = entry
        return entry

    def spoken(self) -> list[TranscriptEntry]:
        """Host and anchor lines that have text (notes and empty partials left out)."""
        return [e for e in self.entries if e.speaker != "note" and e.text.strip()]

    def to_text(self) -> str:
        """The session exporter's readable transcript of what was said and aired."""
        return session_text(self.records)

    def to_srt(self) -> str:
        """The session exporter's SubRip subtitles, timed from the session start."""
        return session_srt(self.records)
