"""Reads session logs back (tolerating a torn last line after a crash) and exports text or SRT.

For the `sessions` command and the GUI ("export the current session"): `read_session(path)`,
`session_text(records)`, `session_srt(records)`, `list_sessions(folder)`.
Threading: plain functions, any thread (they only read files).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORDS_PER_SECOND = 2.6  # spoken pace, for cue lengths the log does not hold
MIN_CUE_S, MAX_CUE_S = 1.0, 8.0


class SessionReadError(ValueError):
    """A session log cannot be read; the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class SessionSummary:
    path: Path
    started_at: str
    voice: str
    host_lines: int
    anchor_lines: int
    degradations: int
    ended: bool
    seconds: float


def read_session(path: Path) -> list[dict[str, Any]]:
    """All records of a session log; a torn final line (the studio was killed mid-write) is skipped."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SessionReadError(f"{path}: cannot read ({exc.strerror or exc})") from None
    lines = raw.split(b"\n")
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            if number == len(lines):  # the last, unterminated line: a write cut short
                break
            raise SessionReadError(f"{path}: line {number} is not a JSON record") from None
        if not isinstance(record, dict) or "kind" not in record:
            raise SessionReadError(f"{path}: line {number} is not a session record")
        records.append(record)
    return records


def summarize(path: Path, records: list[dict[str, Any]]) -> SessionSummary:
    first = records[0] if records else {}
    kinds = [r["kind"] for r in records]
    return SessionSummary(
        path=path,
        started_at=str(first.get("at", "")),
        voice=str(first.get("voice", "")),
        host_lines=kinds.count("host_line"),
        anchor_lines=kinds.count("anchor_line"),
        degradations=sum(1 for r in records if r["kind"] == "stage_status" and r.get("state") != "ready"),
        ended="session_ended" in kinds,
        seconds=float(records[-1].get("t", 0.0)) if records else 0.0,
    )


def list_sessions(folder: Path) -> list[SessionSummary]:
    """Every readable session log in `folder`, oldest first (unreadable ones are skipped)."""
    out = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        try:
            out.append(summarize(path, read_session(path)))
        except SessionReadError:
            continue
    return out


def _spoken_seconds(text: str) -> float:
    return min(MAX_CUE_S, max(MIN_CUE_S, len(text.split()) / WORDS_PER_SECOND))


def _superseded_host_lines(records: list[dict[str, Any]]) -> set[int]:
    """Indexes of host lines a later one of the same turn replaces (the host went on after a pause)."""
    last: dict[int, int] = {}
    for index, record in enumerate(records):
        if record["kind"] == "host_line":
            last[record["turn"]] = index
    kept = set(last.values())
    return {i for i, r in enumerate(records) if r["kind"] == "host_line" and i not in kept}


def cues(records: list[dict[str, Any]]) -> list[tuple[float, float, str]]:
    """(start s, end s, text) per line said: host lines and anchor lines as they aired (or captions)."""
    superseded = _superseded_host_lines(records)
    spoken_at: dict[int, float] = {}
    aired: dict[tuple[int, str], float] = {}
    heard: dict[int, str] = {}
    for record in records:
        if record["kind"] == "host_speech_started":
            spoken_at[record["turn"]] = record["t"]
        elif record["kind"] == "anchor_line_aired":
            aired.setdefault((record["turn"], record["text"]), record["t"])
        elif record["kind"] == "turn_completed":
            heard[record["turn"]] = record.get("heard", "")
    raw: list[tuple[float, str]] = []
    for index, record in enumerate(records):
        kind, t = record["kind"], float(record.get("t", 0.0))
        if kind == "host_line" and index not in superseded:
            raw.append(
                (
                    spoken_at.get(record["turn"], t - _spoken_seconds(record["text"])),
                    f"Host: {record['text']}",
                )
            )
        elif kind == "anchor_line":
            start = aired.get((record["turn"], record["text"]))
            if start is None and record["text"] in heard.get(record["turn"], ""):
                start = t  # heard, but its start was not logged (a reply shorter than a timer tick)
            if start is not None:
                raw.append((start, f"Anchor: {record['text']}"))
        elif kind == "anchor_caption":
            raw.append((t, f"Anchor: {record['text']}"))
    raw.sort(key=lambda cue: cue[0])
    out = []
    for index, (start, text) in enumerate(raw):
        start = max(0.0, start)
        end = start + _spoken_seconds(text)
        if index + 1 < len(raw):
            end = min(end, raw[index + 1][0])
        out.append((start, max(start + 0.2, end), text))
    return out


def srt_timestamp(seconds: float) -> str:
    """SubRip time `hh:mm:ss,mmm` of `seconds` since the session started."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def session_srt(records: list[dict[str, Any]]) -> str:
    """SubRip subtitles of the session, timed from its start."""
    blocks = [
        f"{number}\n{srt_timestamp(start)} --> {srt_timestamp(end)}\n{text}\n"
        for number, (start, end, text) in enumerate(cues(records), 1)
    ]
    return "\n".join(blocks)


def session_text(records: list[dict[str, Any]]) -> str:
    """A readable transcript: who said what, plus interruptions and degraded stages."""
    lines = []
    superseded = _superseded_host_lines(records)
    for index, record in enumerate(records):
        kind, stamp = record["kind"], srt_timestamp(float(record.get("t", 0.0)))[:8]
        if kind == "host_line" and index not in superseded:
            lines.append(f"[{stamp}] host:   {record['text']}")
        elif kind in ("anchor_line", "anchor_caption"):
            mark = " (caption)" if kind == "anchor_caption" else ""
            lines.append(f"[{stamp}] anchor: {record['text']}{mark}")
        elif kind == "interrupted":
            lines.append(f"[{stamp}]         (interrupted; heard: {record['heard']!r})")
        elif kind == "stage_status":
            lines.append(f"[{stamp}]         ({record['stage']} {record['state']}: {record['detail']})")
    return "\n".join(lines) + ("\n" if lines else "")
