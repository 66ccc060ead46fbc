"""A rundown as editable text rows, and back; a rundown written as TOML that `parse_rundown` reads back.

The rundown editor (studio.ui.rundown_editor) keeps its table as rows of strings; this Qt-free half
turns them into a validated Rundown (the same pydantic model and messages as a file) and saves it
atomically as `[[segment]]` tables, so a crash never leaves half a rundown on disk.
Threading: pure functions (the editor calls them on the Qt main thread; the file is tiny).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

from studio.fileio import write_atomic
from studio.rundown.model import Rundown, RundownError, Segment, rundown_from_data

#: The table's columns, in the order of the Segment model (title, minutes, notes, persona, voice, scene).
COLUMNS: tuple[str, ...] = tuple(Segment.model_fields)
OPTIONAL_NAMES = ("voice", "scene")  # an empty cell means "none" (the show's own voice, no scene)
EDITOR_FIX = "fix that cell and try again"

Row = dict[str, str]


def example_row() -> Row:
    """The row a new rundown starts with (the README's example segment)."""
    return segment_row(Segment(title="Headlines", minutes=4, notes="Open with the storm warning."))


def new_row() -> Row:
    """The row Add inserts: valid as it is, so a half-edited rundown still loads."""
    return segment_row(Segment(title="New segment", minutes=3))


def segment_row(segment: Segment) -> Row:
    """One segment as the table's text cells (no value: an empty cell)."""
    return {
        "title": segment.title,
        "minutes": minutes_text(segment.minutes),
        "notes": segment.notes,
        "persona": segment.persona,
        "voice": segment.voice or "",
        "scene": segment.scene or "",
    }


def minutes_text(minutes: float) -> str:
    """`4` rather than `4.0`; any other float exactly as Python prints it (so it reads back equal)."""
    return str(int(minutes)) if float(minutes).is_integer() else repr(float(minutes))


def rundown_from_rows(rows: list[Row], source: str) -> Rundown:
    """Validate the editor's rows; RundownError names the segment, the field and the fix (and its cells)."""
    if not rows:
        raise RundownError(f"{source}: a rundown needs at least one segment; press Add")
    return rundown_from_data({"segment": [_row_data(row) for row in rows]}, source, EDITOR_FIX)


def _row_data(row: Row) -> dict[str, Any]:
    """A row as the model's input: minutes as a number when it reads as one, empty optionals left out."""
    data: dict[str, Any] = {name: row.get(name, "") for name in COLUMNS if name not in OPTIONAL_NAMES}
    data["minutes"] = _number_or_text(data["minutes"])
    for name in OPTIONAL_NAMES:
        if row.get(name, "").strip():
            data[name] = row[name]
    return data


def _number_or_text(text: str) -> float | int | str:
    """'4' → 4, '2.5' → 2.5; anything else stays text, so the message quotes what the host typed."""
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def rundown_toml(rundown: Rundown) -> str:
    """The rundown as `[[segment]]` tables (tomli_w escapes the strings); None and empty text left out."""
    tables = []
    for segment in rundown.segments:
        fields: dict[str, Any] = {"title": segment.title, "minutes": _toml_minutes(segment.minutes)}
        fields.update(
            (name, value)
            for name in ("notes", "persona", "voice", "scene")
            if (value := getattr(segment, name))
        )
        tables.append("[[segment]]\n" + tomli_w.dumps(fields))
    return "\n".join(tables)


def _toml_minutes(minutes: float) -> float | int:
    """Whole minutes as a TOML integer (as people write them), others as a float."""
    return int(minutes) if minutes.is_integer() else minutes


def save_rundown(rundown: Rundown, path: Path) -> None:
    """Write `rundown` to `path` all-or-nothing; RundownError (file untouched) when it cannot be written."""
    try:
        write_atomic(Path(path), rundown_toml(rundown))
    except OSError as exc:
        raise RundownError(f"cannot write {path}: {exc.strerror or exc}; choose another file") from None
