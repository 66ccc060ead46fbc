"""The anchor's pre-written lines for when the chat model is down: the voice's own, else the defaults.

Defaults live in resources/fallback_lines.txt (one line each; `#` starts a comment), so the
show has something in character to say even for a profile that lists none.
Threading: engine loop only (a counter; the defaults file is read once per process).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path

from studio.voices.profile import VoiceProfile

BUILT_IN = ("Sorry, I lost my train of thought for a moment. Back to you.",)


def resources_dir() -> Path:
    """The bundled resources/ folder (next to the package, or inside a PyInstaller bundle)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@functools.cache
def default_lines() -> tuple[str, ...]:
    """The default fallback lines from resources/fallback_lines.txt (built-in ones if it is missing)."""
    try:
        text = (resources_dir() / "fallback_lines.txt").read_text(encoding="utf-8")
    except OSError:
        return BUILT_IN
    lines = tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return lines or BUILT_IN


class PersonaLines:
    """Hands out the current voice's fallback lines in turn, so the audience rarely hears a repeat."""

    def __init__(self, voice: Callable[[], VoiceProfile]) -> None:
        self._voice = voice
        self._next = 0

    def next_line(self) -> str:
        lines = tuple(line for line in self._voice().fallback_lines if line.strip()) or default_lines()
        line = lines[self._next % len(lines)]
        self._next += 1
        return line
