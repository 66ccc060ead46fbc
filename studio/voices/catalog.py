"""Finds voice profiles: read-only ones bundled in `voices/`, then the host's own in the data dir."""

from __future__ import annotations

import sys
from pathlib import Path

from studio.voices.profile import VoiceProfile, VoiceProfileError, load_profile


def bundled_voices_dir() -> Path:
    """Where the shipped profiles live: the source tree, or the PyInstaller bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "voices"
    return Path(__file__).resolve().parents[2] / "voices"


class VoiceCatalog:
    """Read access to every profile the studio can use, by name."""

    def __init__(self, user_dir: Path | None, bundled_dir: Path | None = None) -> None:
        self._user_dir = user_dir
        self._bundled_dir = bundled_dir if bundled_dir is not None else bundled_voices_dir()

    def profiles(self) -> list[VoiceProfile]:
        """All loadable profiles; a user profile with a bundled name shadows the bundled one."""
        found: dict[str, VoiceProfile] = {}
        for root, read_only in ((self._bundled_dir, True), (self._user_dir, False)):
            if root is None or not root.is_dir():
                continue
            for folder in sorted(p for p in root.iterdir() if (p / "profile.toml").is_file()):
                try:
                    profile = load_profile(folder, read_only=read_only)
                except VoiceProfileError:
                    continue
                found[profile.name.casefold()] = profile
        return sorted(found.values(), key=lambda p: p.name.casefold())

    def get(self, name: str | None) -> VoiceProfile:
        """The named profile, or the first one when `name` is None; the error lists what exists."""
        profiles = self.profiles()
        if not profiles:
            raise VoiceProfileError(f"no voice profiles found in {self._bundled_dir} or {self._user_dir}")
        if name is None:
            return profiles[0]
        for profile in profiles:
            if profile.name.casefold() == name.casefold():
                return profile
        known = ", ".join(p.name for p in profiles)
        raise VoiceProfileError(f"unknown voice {name!r}; available voices: {known}")
