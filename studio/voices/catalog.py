"""Finds voice profiles: read-only ones bundled in `voices/`, then the host's own in the data dir."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

from studio.voices.profile import VoiceProfile, VoiceProfileError, load_profile

DEFAULT_FILE = "default.txt"


def read_default_name(user_dir: Path | None) -> str | None:
    """The name of the host's default voice (`default.txt` in the user voices dir), if one is set."""
    if user_dir is None:
        return None
    try:
        name = (user_dir / DEFAULT_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name or None


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
            # Dot folders are the store's work in progress (temp copies, trash): never profiles.
            folders = (
                p for p in root.iterdir() if not p.name.startswith(".") and (p / "profile.toml").is_file()
            )
            for folder in sorted(folders):
                try:
                    profile = load_profile(folder, read_only=read_only)
                except VoiceProfileError:
                    continue
                found[profile.name.casefold()] = profile
        return sorted(found.values(), key=lambda p: p.name.casefold())

    def get(self, name: str | None) -> VoiceProfile:
        """The named profile; when `name` is None the host's default one, else the first one.

        The error lists what exists.
        """
        profiles = self.profiles()
        if not profiles:
            raise VoiceProfileError(f"no voice profiles found in {self._bundled_dir} or {self._user_dir}")
        if name is None:
            default = self.find(self.default_name() or "", profiles)
            return default if default is not None else profiles[0]
        found = self.find(name, profiles)
        if found is not None:
            return found
        known = ", ".join(p.name for p in profiles)
        raise VoiceProfileError(f"unknown voice {name!r}; available voices: {known}")

    def default_name(self) -> str | None:
        """The default voice's name as stored (it may name a profile that no longer exists)."""
        return read_default_name(self._user_dir)

    def find(self, name: str, profiles: list[VoiceProfile] | None = None) -> VoiceProfile | None:
        """The profile called `name` (case-insensitive, unicode-normalised), or None."""
        key = unicodedata.normalize("NFC", name).casefold()
        for profile in profiles if profiles is not None else self.profiles():
            if unicodedata.normalize("NFC", profile.name).casefold() == key:
                return profile
        return None


def voice_for_language(
    profiles: list[VoiceProfile], language: str, preferred: str | None = None
) -> VoiceProfile | None:
    """A profile speaking `language`: the preferred (default) one if it does, else the first that does."""
    speaking = [profile for profile in profiles if profile.language == language]
    return next((p for p in speaking if p.name == preferred), speaking[0] if speaking else None)


def installed_voice_for_language(language: str) -> VoiceProfile | None:
    """Among the host's voices (bundled and their own, read afresh), one speaking `language`."""
    from studio.config import data_dir

    catalog = VoiceCatalog(data_dir() / "voices")
    return voice_for_language(catalog.profiles(), language, catalog.default_name())
