"""The show's transcript as the window knows it: host and anchor lines with times, exportable.

Threading: Qt main thread (fed by engine signals); the model itself is plain Python, no Qt.
Times are seconds since the session started, so an SRT lines up with a recording of the show.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from studio.session.export import srt_timestamp

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
        """Plain text: one `[hh:mm:ss] HOST: …` line per entry."""
        lines = []
        for entry in self.spoken():
            stamp = entry.wall_time.strftime("%H:%M:%S")
            cut = " —" if entry.interrupted else ""
            lines.append(f"[{stamp}] {entry.speaker.upper()}: {entry.text}{cut}")
        return "\n".join(lines) + ("\n" if lines else "")

    def to_srt(self) -> str:
        """SubRip subtitles of the spoken lines, timed from the session start."""
        blocks = []
        for number, entry in enumerate(self.spoken(), start=1):
            end = max(entry.end_s, entry.start_s + 0.5)
            speaker = "Host" if entry.speaker == "host" else "Anchor"
            timing = f"{srt_timestamp(entry.start_s)} --> {srt_timestamp(end)}"
            blocks.append(f"{number}\n{timing}\n{speaker}: {entry.text}\n")
        return "\n".join(blocks)
