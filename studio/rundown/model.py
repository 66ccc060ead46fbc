"""A rundown file: `[[segment]]` tables (title, minutes, notes, optional persona, voice, scene).

Loaded with tomllib and validated with pydantic; a bad file raises RundownError whose message
names the file, the segment (number and title) and the field, and says what to change.
Threading: pure functions and immutable models (load on any thread).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

EXAMPLE = '[[segment]]\ntitle = "Headlines"\nminutes = 4\nnotes = "Open with the storm warning."'


class RundownError(ValueError):
    """The rundown file cannot be used; the message is for the user as it is."""

    def __init__(self, message: str, cells: tuple[tuple[int, str], ...] = ()) -> None:
        """`cells`: (segment index, field) of each bad value, so an editor can point at it."""
        super().__init__(message)
        self.cells = cells


class Segment(BaseModel):
    """One segment of the show: what the anchor is told about it, and what it switches."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    minutes: float = Field(gt=0, le=600)  # planned length
    notes: str = Field("", max_length=4000)  # for the anchor: what this segment is about
    persona: str = Field("", max_length=4000)  # extra instructions to the anchor in this segment only
    voice: str | None = Field(None, min_length=1)  # voice profile the anchor speaks with in this segment
    scene: str | None = Field(None, min_length=1)  # OBS scene for this segment (the OBS bridge switches)

    @property
    def planned_s(self) -> float:
        """The planned length in seconds (what the clock counts down)."""
        return self.minutes * 60.0


class Rundown(BaseModel):
    """The segments in running order (at least one)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    segments: tuple[Segment, ...] = Field(alias="segment", min_length=1)
    source: str = ""  # the file it came from, for messages


def load_rundown(path: Path) -> Rundown:
    """The rundown in `path`, or RundownError naming the file and what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise RundownError(f"cannot read rundown {path}: {reason}") from None
    return parse_rundown(text, str(path))


def parse_rundown(text: str, source: str = "rundown") -> Rundown:
    """Parse and validate rundown TOML; `source` names it in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RundownError(f"{source} is not valid TOML ({exc}); fix the line it names") from None
    if not data.get("segment"):
        raise RundownError(
            f"{source} has no [[segment]] tables; a rundown needs at least one, e.g.\n{EXAMPLE}"
        )
    return rundown_from_data(data, source)


def rundown_from_data(
    data: dict[str, Any], source: str, fix: str = "fix it and load the file again"
) -> Rundown:
    """Validate `{"segment": [...]}` (a parsed file or an editor's rows); `fix` ends each message."""
    try:
        return Rundown.model_validate({**data, "source": source})
    except ValidationError as exc:
        # A segment that fails also makes the list "too short": only the segment's own error helps.
        errors = [e for e in exc.errors() if (e["type"], tuple(e["loc"])) != ("too_short", ("segment",))]
        errors = errors or exc.errors()
        lines = [_describe(error, data, fix) for error in errors]
        cells = tuple(
            (error["loc"][1], str(error["loc"][2]))
            for error in errors
            if len(error["loc"]) >= 3 and error["loc"][0] == "segment" and isinstance(error["loc"][1], int)
        )
        raise RundownError(f"{source}: " + "; ".join(lines), cells) from None


def _describe(error: Any, data: dict[str, Any], fix: str) -> str:
    """One validation error as 'segment 2 ("Weather"): minutes = -1 is invalid: …; fix it'."""
    loc = list(error["loc"])
    where = "the file"
    if len(loc) >= 2 and loc[0] == "segment" and isinstance(loc[1], int):
        number, loc = loc[1], loc[2:]
        segments = data.get("segment")
        raw = segments[number] if isinstance(segments, list) and number < len(segments) else {}
        title = raw.get("title") if isinstance(raw, dict) else None
        named = isinstance(title, str) and title.strip()
        where = f"segment {number + 1}" + (f' ("{title.strip()}")' if named else "")
    field = ".".join(str(part) for part in loc) or "segment"
    if error["type"] == "missing":
        return f"{where}: field {field!r} is missing; add it (e.g. {field} = …)"
    if error["type"] == "extra_forbidden":
        known = ", ".join(Segment.model_fields) if where != "the file" else "[[segment]]"
        return f"{where}: unknown field {field!r}; remove it or fix the spelling (known: {known})"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {field} = {error.get('input')!r} is invalid ({message}); {fix}"
