"""What the voice manager shows, derived from plain state, so its rules are tested without Qt.

Threading: the thread that owns the voice manager (the Qt main thread in the studio). Nothing here
blocks or touches files, except `reference_text`, which reads one WAV header.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from studio.voices.profile import SynthesisSettings, VoiceProfile
from studio.voices.reference import ReferenceClip, reference_seconds

NEW_VOICE = "New voice"
DRAFT_NOTE = "New voice, not saved yet: name it, transcribe the clip (or type its words), then Save."
NO_ENGINE_TIP = "No model stack here: open the voices from the studio window"


@dataclasses.dataclass(frozen=True)
class Draft:
    """A new voice whose clip passed the checks but which is not saved yet."""

    clip: ReferenceClip
    audio: Path  # the clip as 24 kHz WAV in the manager's temp dir (for play and preview)
    origin: str  # "imported from x.mp3" / "recorded"

    def suggested_name(self) -> str:
        """The file's stem for an import (the host named it once already), else a generic name."""
        return "My voice" if self.origin == "recorded" else Path(self.clip.source).stem


@dataclasses.dataclass(frozen=True)
class ProfileRow:
    """One line of the voice list; `name` is None for the unsaved draft."""

    name: str | None
    text: str
    tooltip: str = ""
    bold: bool = False
    italic: bool = False


@dataclasses.dataclass(frozen=True)
class ButtonState:
    """Whether a button can be pressed, and its label and tooltip when those depend on the state."""

    enabled: bool
    tip: str | None = None
    text: str | None = None


@dataclasses.dataclass(frozen=True)
class ButtonStates:
    """Every button of the manager whose state follows what is on show."""

    import_: ButtonState
    record: ButtonState
    duplicate: ButtonState
    rename: ButtonState
    delete: ButtonState
    default: ButtonState
    save: ButtonState
    revert: ButtonState
    play: ButtonState
    transcribe: ButtonState
    preview: ButtonState

    def items(self) -> Iterator[tuple[str, ButtonState]]:
        """(name, state) pairs, so a view can apply them in one loop."""
        for field in dataclasses.fields(self):
            yield field.name.rstrip("_"), getattr(self, field.name)


@dataclasses.dataclass(frozen=True)
class FormValues:
    """The details form as the host left it (raw text), turned into store arguments here."""

    name: str = ""
    anchor_name: str = ""
    language: str = "en"
    persona: str = ""
    show_notes: str = ""
    transcript: str = ""
    embedded_voice: str = ""
    temperature: float = 0.7
    seed: int = 1234

    def changes(self, base: VoiceProfile) -> dict[str, object]:
        """The edited fields as keyword arguments for VoiceProfileStore.update/create; blanks keep `base`."""
        return {
            "anchor_name": self.anchor_name.strip() or base.anchor_name,
            "language": self.language.strip(),
            "persona": self.persona.strip() or base.persona,
            "show_notes": self.show_notes.strip(),
            "reference_transcript": " ".join(self.transcript.split()),
            "embedded_voice": self.embedded_voice.strip() or base.embedded_voice,
            "synthesis": SynthesisSettings(
                temperature=round(self.temperature, 3),
                seed=self.seed,
                speaking_rate=base.synthesis.speaking_rate,
            ),
        }

    def profile(self, base: VoiceProfile) -> VoiceProfile:
        """`base` as the form shows it now (a preview speaks the edits before they are saved)."""
        return dataclasses.replace(base, name=self.name.strip() or base.name, **self.changes(base))  # type: ignore[arg-type]

    @property
    def stt_language(self) -> str | None:
        """The base language ("pt" of "pt-BR") for speech-to-text, None to let it detect."""
        return self.language.strip().split("-")[0] or None


def short_error(exc: BaseException) -> str:
    """The reason, without the temp path the voice modules put in front of it."""
    text = str(exc) or type(exc).__name__
    head, sep, rest = text.partition(": ")
    return rest if sep and ("/" in head or "\\" in head) else text


def unique_name(wanted: str, profiles: list[VoiceProfile]) -> str:
    """`wanted`, numbered ("x 2", "x 3"…) until no profile has that name in any letter case."""
    taken = {p.name.casefold() for p in profiles}
    name, number = wanted.strip() or NEW_VOICE, 1
    candidate = name
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{name} {number}"
    return candidate


def draft_row_text(edited_name: str) -> str:
    """The draft's line in the list follows the name the host is typing."""
    return f"{edited_name or NEW_VOICE} (not saved)"


def profile_row(profile: VoiceProfile, default: str | None) -> ProfileRow:
    """A profile's line: its name with badges, so the default and bundled ones stand out."""
    badges = [b for b, on in (("default", profile.name == default), ("bundled", profile.read_only)) if on]
    tooltip = f"{profile.anchor_name} · {profile.language}"
    if profile.read_only:
        tooltip += " · bundled, read-only (duplicate it to edit)"
    return ProfileRow(
        profile.name,
        profile.name + (f"  ·  {' · '.join(badges)}" if badges else ""),
        tooltip,
        bold=profile.name == default,
    )


def profile_note(profile: VoiceProfile, default: str | None) -> str:
    """The line above the details that says why some fields cannot be edited."""
    note = "Default voice. " if profile.name == default else ""
    if profile.read_only:
        note += "Bundled voice: read-only. Duplicate it to make an editable copy."
    return note


def reference_text(profile: VoiceProfile) -> str:
    """What the details say about a saved profile's reference clip."""
    seconds = reference_seconds(profile.reference_audio)
    return f"{seconds:.1f} s, 24 kHz mono" if seconds else "no reference clip"


@dataclasses.dataclass
class VoiceManagerState:
    """Everything the manager's buttons and list depend on, in one place."""

    profiles: list[VoiceProfile] = dataclasses.field(default_factory=list)
    default: str | None = None
    selected: VoiceProfile | None = None
    draft: Draft | None = None
    dirty: bool = False
    writing: bool = False
    transcribing: object = None  # a token for the transcription in flight, None when idle
    previewing: bool = False
    playing: bool = False
    record_problem: str | None = "Checking for a microphone…"
    has_engine: bool = False

    @property
    def unsaved(self) -> bool:
        """Edits or a new voice that leaving would lose."""
        return self.dirty or self.draft is not None

    def find(self, name: str | None) -> VoiceProfile | None:
        """The listed profile called exactly `name`."""
        return next((p for p in self.profiles if p.name == name), None)

    def rows(self, edited_name: str = "") -> list[ProfileRow]:
        """The list's lines: the draft first (in italics), then every profile."""
        rows = [profile_row(p, self.default) for p in self.profiles]
        if self.draft is not None:
            rows.insert(0, ProfileRow(None, draft_row_text(edited_name), italic=True))
        return rows

    def row_of(self, name: str | None) -> int:
        """Where `name` is listed (the draft's row counts), else the first row; -1 when the list is empty."""
        offset = 1 if self.draft is not None else 0
        names = [p.name for p in self.profiles]
        if name in names:
            return offset + names.index(name)
        return 0 if names or offset else -1

    def reference_path(self) -> Path | None:
        """The clip that play and transcribe use: the draft's, else the selected profile's."""
        if self.draft is not None:
            return self.draft.audio
        return self.selected.reference_audio if self.selected is not None else None

    def buttons(self) -> ButtonStates:
        """Which actions make sense now (nothing that writes while a write is in flight)."""
        profile, draft, writing = self.selected, self.draft, self.writing
        user_profile = profile is not None and not profile.read_only
        has_clip = self.reference_path() is not None
        editable = draft is not None or user_profile
        engine_tip = "" if self.has_engine else NO_ENGINE_TIP
        return ButtonStates(
            import_=ButtonState(not writing),
            record=ButtonState(
                self.record_problem is None and not writing,
                self.record_problem or "Record a reference clip from the microphone",
            ),
            duplicate=ButtonState(profile is not None and not writing),
            rename=ButtonState(user_profile and not writing),
            delete=ButtonState(user_profile and not writing),
            default=ButtonState(profile is not None and profile.name != self.default and not writing),
            save=ButtonState(self.dirty and editable and not writing),
            revert=ButtonState(self.unsaved),
            play=ButtonState(has_clip, text="■ Stop" if self.playing else "▶ Play"),
            transcribe=ButtonState(
                self.has_engine and has_clip and editable and self.transcribing is None,
                engine_tip or "Fill the transcript with the active speech-to-text",
                "Transcribing…" if self.transcribing is not None else "Transcribe",
            ),
            preview=ButtonState(
                self.has_engine and (profile is not None or draft is not None) and not self.previewing,
                engine_tip or "Speak the test sentence with the active speech synthesis",
            ),
        )
