"""Reads the stage lights (one coloured ● per stage, top left of the window) back from a screenshot."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QImage

from studio.ui.theme import STATE_COLOURS

TOLERANCE = 10  # per channel: the ●'s inside is the state colour, its anti-aliased rim is not
MIN_PIXELS, MAX_PIXELS = 40, 600  # a 14 pt ● fills ~150 pixels; stray text pixels or a banner do not
TOP_ROWS = 120  # the lights sit in the row under the menu bar


def _state_of(rgb: tuple[int, int, int], colours: dict[str, tuple[int, int, int]]) -> str | None:
    """The state whose colour this pixel is, if any."""
    for state, colour in colours.items():
        if max(abs(a - b) for a, b in zip(rgb, colour, strict=True)) <= TOLERANCE:
            return state
    return None


def stage_light_states(png: Path) -> list[str]:
    """The states of the lights, left to right: every ●-sized blob of a state colour in the top left."""
    image = QImage(str(png))
    assert not image.isNull(), f"{png} is not an image"
    colours = {state: QColor(value).getRgb()[:3] for state, value in STATE_COLOURS.items()}
    width, height = image.width() // 2, min(TOP_ROWS, image.height())
    marked: dict[tuple[int, int], str] = {}
    for y in range(height):
        for x in range(width):
            pixel = image.pixel(x, y)
            state = _state_of((pixel >> 16 & 0xFF, pixel >> 8 & 0xFF, pixel & 0xFF), colours)
            if state is not None:
                marked[(x, y)] = state
    blobs: list[tuple[int, str]] = []
    while marked:  # connected blobs of one colour (4-neighbours)
        start, state = marked.popitem()
        stack, members = [start], [start]
        while stack:
            x, y = stack.pop()
            for near in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if marked.get(near) == state:
                    del marked[near]
                    stack.append(near)
                    members.append(near)
        if MIN_PIXELS <= len(members) <= MAX_PIXELS:
            blobs.append((min(x for x, _ in members), state))
    return [state for _, state in sorted(blobs)]
