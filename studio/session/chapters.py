"""Chapter markers kept beside the session log, and their FFmetadata export for the recording.

When OBS cannot take a chapter itself (no `CreateRecordChapter` before OBS 30.2, or not a Hybrid
MP4 recording), the OBS bridge writes each turn's chapter here: `<session>.chapters.txt` (one
"H:MM:SS.mmm title" line each) and `<session>.ffmeta` (FFMETADATA1 with [CHAPTER] blocks), which
`ffmpeg -i rec.mkv -i <session>.ffmeta -map_metadata 1 -map_chapters 1 -codec copy out.mkv` applies.
Threading: one writer (the bridge's thread); each write replaces the files atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.fileio import write_atomic

MIN_CHAPTER_MS = 1  # a chapter's END is after its START even when two turns start together


@dataclass(frozen=True, slots=True)
class Chapter:
    """One chapter: where it starts (seconds on the recording's timeline) and its title."""

    start_s: float
    title: str


def chapter_paths(session_log: Path) -> tuple[Path, Path]:
    """The chapter list and the FFmetadata file beside a session log (not *.jsonl: not sessions)."""
    stem = session_log.with_suffix("")
    return stem.with_name(stem.name + ".chapters.txt"), stem.with_name(stem.name + ".ffmeta")


def _escape(value: str) -> str:
    """FFmetadata escaping: '=', ';', '#', '\\' and newlines get a backslash."""
    for char in ("\\", "=", ";", "#", "\n"):
        value = value.replace(char, "\\" + char)
    return value


def timestamp(seconds: float) -> str:
    """H:MM:SS.mmm, as chapter lists write it."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def ffmetadata(chapters: list[Chapter], end_s: float | None = None) -> str:
    """An FFMETADATA1 document: one [CHAPTER] per chapter, TIMEBASE=1/1000, END at the next START."""
    lines = [";FFMETADATA1"]
    ordered = sorted(chapters, key=lambda chapter: chapter.start_s)
    for index, chapter in enumerate(ordered):
        start = max(0, round(chapter.start_s * 1000))
        following = ordered[index + 1].start_s if index + 1 < len(ordered) else end_s
        end = round(following * 1000) if following is not None else start
        end = max(end, start + MIN_CHAPTER_MS)
        lines += ["", "[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}"]
        lines.append(f"title={_escape(chapter.title)}")
    return "\n".join(lines) + "\n"


def chapter_list(chapters: list[Chapter]) -> str:
    """One "H:MM:SS.mmm title" line per chapter."""
    ordered = sorted(chapters, key=lambda chapter: chapter.start_s)
    return "".join(f"{timestamp(c.start_s)} {' '.join(c.title.split())}\n" for c in ordered)


class ChapterFile:
    """The chapters of one session, rewritten beside its log at each new chapter and at the end."""

    def __init__(self, session_log: Path) -> None:
        """Chapters of the session whose log is `session_log` (files beside it)."""
        self.list_path, self.ffmeta_path = chapter_paths(session_log)
        self.chapters: list[Chapter] = []

    def add(self, start_s: float, title: str) -> None:
        """Record a chapter; both files are rewritten (a crash keeps every chapter so far)."""
        self.chapters.append(Chapter(round(start_s, 3), title))
        self._write(None)

    def finish(self, end_s: float) -> None:
        """The show ended at `end_s`: the last chapter ends there."""
        if self.chapters:
            self._write(end_s)

    def _write(self, end_s: float | None) -> None:
        """Rewrite both files atomically from the chapters so far."""
        self.list_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.list_path, chapter_list(self.chapters))
        write_atomic(self.ffmeta_path, ffmetadata(self.chapters, end_s))
