"""Creates, copies, renames and removes the host's voice profiles; bundled ones stay read-only.

One folder per profile (`profile.toml` + `reference.wav`) in `data_dir()/voices`. A new profile
is written whole under a dot-named temp folder in the same parent and then renamed into place,
so a crash never leaves a half-written profile (the catalog ignores dot folders). Edits replace
`profile.toml` atomically; removal renames the folder away before deleting it.
Threading: blocking file I/O; call from a worker thread in the GUI. Not safe against two
processes editing the same profile at the same instant (the last rename wins).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
import unicodedata
import uuid
from collections.abc import Callable
from pathlib import Path

from studio.fileio import fsync_path, write_atomic
from studio.voices.catalog import DEFAULT_FILE, VoiceCatalog, read_default_name
from studio.voices.profile import (
    DEFAULT_PERSONA,
    SynthesisSettings,
    VoiceProfile,
    VoiceProfileError,
    load_profile,
    save_profile,
)
from studio.voices.reference import ReferenceClip

MAX_NAME_CHARS = 64
MAX_NAME_BYTES = 200  # folder names are limited to 255 bytes on most file systems
_FORBIDDEN_CHARS = set('/\\<>:"|?*')
_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}
_TEMP_PREFIX = ".tmp-"
_TRASH_PREFIX = ".trash-"
_STALE_SECONDS = 3600.0


def default_user_dir() -> Path:
    """`data_dir()/voices`, where the host's own profiles live."""
    from studio.config import data_dir

    return data_dir() / "voices"


def validate_name(name: str) -> str:
    """The profile name, NFC-normalised and stripped; VoiceProfileError says why a name is refused."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise VoiceProfileError("the voice name is empty")
    if len(name) > MAX_NAME_CHARS:
        raise VoiceProfileError(
            f"the voice name is {len(name)} characters long; at most {MAX_NAME_CHARS} allowed"
        )
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        raise VoiceProfileError("the voice name holds bytes that are not valid text") from None
    if len(encoded) > MAX_NAME_BYTES:
        raise VoiceProfileError(
            f"the voice name is too long ({len(encoded)} bytes; at most {MAX_NAME_BYTES})"
        )
    if ".." in name:
        raise VoiceProfileError(f"the voice name {name!r} may not contain '..'")
    bad = sorted({c for c in name if c in _FORBIDDEN_CHARS or c == os.sep or c == (os.altsep or "/")})
    if bad:
        raise VoiceProfileError(f"the voice name {name!r} may not contain {' '.join(bad)} (path separators)")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise VoiceProfileError(f"the voice name {name!r} may not contain control characters")
    if name.startswith(".") or name.endswith("."):
        raise VoiceProfileError(f"the voice name {name!r} may not start or end with '.'")
    if name.split(".")[0].strip().casefold() in _WINDOWS_RESERVED:
        raise VoiceProfileError(f"the voice name {name!r} is reserved by Windows; pick another")
    return name


class VoiceProfileStore:
    """Write access to the host's profiles (and read access to all, through a VoiceCatalog)."""

    def __init__(self, user_dir: Path | None = None, bundled_dir: Path | None = None) -> None:
        self.user_dir = user_dir if user_dir is not None else default_user_dir()
        self.catalog = VoiceCatalog(self.user_dir, bundled_dir)

    # Reading.

    def profiles(self) -> list[VoiceProfile]:
        return self.catalog.profiles()

    def get(self, name: str | None) -> VoiceProfile:
        return self.catalog.get(name)

    def default_name(self) -> str | None:
        """The default profile's name, or None when none is set or it no longer exists."""
        stored = read_default_name(self.user_dir)
        found = self.catalog.find(stored) if stored else None
        return found.name if found is not None else None

    # Writing.

    def check_new_name(self, name: str, *, renaming: VoiceProfile | None = None) -> str:
        """Validate `name` for a new profile: well-formed and not used by another profile."""
        name = validate_name(name)
        existing = self.catalog.find(name)
        if existing is not None and not (renaming is not None and existing.folder == renaming.folder):
            kind = "a bundled voice" if existing.read_only else "a voice"
            raise VoiceProfileError(f"{kind} named {existing.name!r} already exists; pick another name")
        return name

    def create(
        self,
        name: str,
        clip: ReferenceClip,
        transcript: str,
        *,
        language: str = "en",
        anchor_name: str | None = None,
        persona: str = DEFAULT_PERSONA,
        show_notes: str = "",
        embedded_voice: str = "en_US-joe-medium",
        synthesis: SynthesisSettings | None = None,
        fallback_lines: tuple[str, ...] = (),
    ) -> VoiceProfile:
        """Store a new profile from a validated clip; nothing is written when anything is refused."""
        name = self.check_new_name(name)
        transcript = " ".join(transcript.split())
        if not transcript:
            raise VoiceProfileError("the reference transcript is empty; give the words spoken in the clip")
        language = validate_language(language)
        profile = VoiceProfile(
            name=name,
            anchor_name=(anchor_name or name).strip() or name,
            persona=persona,
            language=language,
            reference_transcript=transcript,
            embedded_voice=embedded_voice,
            synthesis=synthesis or SynthesisSettings(),
            fallback_lines=tuple(fallback_lines),
            show_notes=show_notes,
        )
        return self._publish(name, lambda temp: clip.save(temp / "reference.wav"), profile)

    def duplicate(self, source: str, new_name: str) -> VoiceProfile:
        """Copy any profile (bundled ones too) to a new, editable one."""
        original = self.catalog.get(source)
        new_name = self.check_new_name(new_name)

        def copy_reference(temp: Path) -> None:
            if original.reference_audio is not None:
                shutil.copyfile(original.reference_audio, temp / "reference.wav")

        copy = dataclasses.replace(original, name=new_name, read_only=False, folder=None)
        return self._publish(new_name, copy_reference, copy)

    def update(self, name: str, **changes: object) -> VoiceProfile:
        """Change fields of a user profile (persona, synthesis, transcript, ...) in place, atomically."""
        profile = self._writable(name, "edited")
        for field in ("name", "folder", "read_only", "reference_audio"):
            if field in changes:
                raise VoiceProfileError(f"{field} cannot be changed with update()")
        if "language" in changes:
            changes["language"] = validate_language(str(changes["language"]))
        updated = dataclasses.replace(profile, **changes)  # type: ignore[arg-type]
        assert profile.folder is not None
        save_profile(updated, profile.folder)
        return self._reload(profile.folder)

    def rename(self, old: str, new: str) -> VoiceProfile:
        """Rename a user profile (its folder follows); the default moves with it."""
        profile = self._writable(old, "renamed")
        new = self.check_new_name(new, renaming=profile)
        was_default = self.default_name() == profile.name
        assert profile.folder is not None
        target = self.user_dir / new
        if target != profile.folder and target.exists() and target.resolve() != profile.folder.resolve():
            raise VoiceProfileError(f"{target} already exists; remove it or pick another name")
        # Two atomic steps; after either one the profile is whole (its name is read from the TOML).
        save_profile(dataclasses.replace(profile, name=new), profile.folder)
        if target != profile.folder:
            os.rename(profile.folder, target)
        if was_default:
            self.set_default(new)
        return self._reload(target)

    def delete(self, name: str) -> None:
        """Remove a user profile; bundled profiles are read-only."""
        profile = self._writable(name, "removed")
        assert profile.folder is not None
        was_default = self.default_name() == profile.name
        trash = self.user_dir / f"{_TRASH_PREFIX}{uuid.uuid4().hex}"
        os.rename(profile.folder, trash)  # gone from the catalog in one step
        shutil.rmtree(trash, ignore_errors=True)
        if was_default:
            self.set_default(None)

    def set_default(self, name: str | None) -> str | None:
        """Make `name` the voice used when none is chosen; None clears it. Returns the stored name."""
        path = self.user_dir / DEFAULT_FILE
        if name is None:
            path.unlink(missing_ok=True)
            return None
        profile = self.catalog.get(name)
        self.user_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(path, profile.name + "\n")
        return profile.name

    # Internals.

    def _writable(self, name: str, action: str) -> VoiceProfile:
        profile = self.catalog.get(name)
        if profile.read_only or profile.folder is None:
            raise VoiceProfileError(
                f"{profile.name!r} is a bundled, read-only voice and cannot be {action}; "
                "duplicate it to make an editable copy"
            )
        return profile

    def _publish(
        self, name: str, write_reference: Callable[[Path], None], profile: VoiceProfile
    ) -> VoiceProfile:
        """Write the profile under a temp folder, fsync it, then rename it to `user_dir/name`."""
        self.user_dir.mkdir(parents=True, exist_ok=True)
        self._sweep_stale()
        target = self.user_dir / name
        if target.exists():
            raise VoiceProfileError(f"{target} already exists; remove it or pick another name")
        temp = self.user_dir / f"{_TEMP_PREFIX}{uuid.uuid4().hex}"
        temp.mkdir()
        try:
            write_reference(temp)
            save_profile(profile, temp)
            for child in temp.iterdir():
                fsync_path(child)
            fsync_path(temp)
            if target.exists():  # someone else took the name meanwhile
                raise VoiceProfileError(f"{target} already exists; remove it or pick another name")
            os.rename(temp, target)
            fsync_path(self.user_dir)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return self._reload(target)

    def _reload(self, folder: Path) -> VoiceProfile:
        return load_profile(folder)

    def _sweep_stale(self) -> None:
        """Remove temp and trash folders left by a crash (older than an hour: not another writer's)."""
        now = time.time()
        for child in self.user_dir.iterdir():
            if child.name.startswith((_TEMP_PREFIX, _TRASH_PREFIX)) and child.is_dir():
                try:
                    if now - child.stat().st_mtime > _STALE_SECONDS or child.name.startswith(_TRASH_PREFIX):
                        shutil.rmtree(child, ignore_errors=True)
                except OSError:
                    continue


def validate_language(language: str) -> str:
    """A language tag like `en`, `fr` or `pt-BR`; VoiceProfileError otherwise."""
    tag = (language or "").strip()
    parts = tag.split("-")
    if (
        not tag
        or len(tag) > 16
        or not (2 <= len(parts[0]) <= 3 and parts[0].isascii() and parts[0].isalpha())
        or not all(part.isascii() and part.isalnum() and 1 <= len(part) <= 8 for part in parts[1:])
    ):
        raise VoiceProfileError(f"bad language {language!r}; use a code like en, fr, de or pt-BR")
    return parts[0].lower() + "".join(f"-{part}" for part in parts[1:])
