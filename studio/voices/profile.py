"""A voice profile: what the anchor sounds like and who it is (persona), read from profile.toml."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from studio.fileio import write_atomic

DEFAULT_PERSONA = (
    "You are the AI co-anchor of a live broadcast, talking on air with the human host. "
    "Answer in one to three short spoken sentences, warm and natural, no lists, no markdown, "
    "no emoji. If you do not know something, say so briefly."
)


class VoiceProfileError(ValueError):
    """A profile file is missing or malformed; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class SynthesisSettings:
    """How the synthesizer should render this voice."""

    temperature: float = 0.7
    seed: int = 1234
    speaking_rate: float = 1.0


@dataclass(frozen=True, slots=True)
class VoiceProfile:
    """The anchor's voice and persona, as passed to speech synthesis and the chat prompt."""

    name: str
    anchor_name: str = "Ava"
    persona: str = DEFAULT_PERSONA
    language: str = "en"
    reference_audio: Path | None = None
    reference_transcript: str = ""
    embedded_voice: str = "en_US-joe-medium"
    synthesis: SynthesisSettings = field(default_factory=SynthesisSettings)
    fallback_lines: tuple[str, ...] = ()
    read_only: bool = False
    show_notes: str = ""
    folder: Path | None = field(default=None, compare=False)

    def system_prompt(self) -> str:
        """The persona prompt given to the chat model at the top of every conversation."""
        prompt = f"Your name is {self.anchor_name}. {self.persona}".strip()
        if self.show_notes.strip():
            prompt += f"\n\nShow notes: {self.show_notes.strip()}"
        return prompt


def load_profile(folder: Path, *, read_only: bool = False) -> VoiceProfile:
    """Read `folder/profile.toml` (and its reference clip path) into a VoiceProfile."""
    toml_path = folder / "profile.toml"
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise VoiceProfileError(f"{toml_path}: no profile.toml in this voice folder") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise VoiceProfileError(f"{toml_path}: not valid TOML ({exc})") from exc
    synth = data.get("synthesis", {})
    reference = folder / "reference.wav"
    try:
        return VoiceProfile(
            name=str(data.get("name") or folder.name),
            anchor_name=str(data.get("anchor_name", "Ava")),
            persona=str(data.get("persona", DEFAULT_PERSONA)),
            language=str(data.get("language", "en")),
            reference_audio=reference if reference.exists() else None,
            reference_transcript=str(data.get("transcript", "")),
            embedded_voice=str(data.get("embedded_voice", "en_US-joe-medium")),
            synthesis=SynthesisSettings(
                temperature=float(synth.get("temperature", 0.7)),
                seed=int(synth.get("seed", 1234)),
                speaking_rate=float(synth.get("speaking_rate", 1.0)),
            ),
            fallback_lines=tuple(str(line) for line in data.get("fallback_lines", [])),
            read_only=read_only,
            show_notes=str(data.get("show_notes", "")),
            folder=folder,
        )
    except (TypeError, ValueError) as exc:
        raise VoiceProfileError(f"{toml_path}: bad value ({exc})") from exc


def toml_string(value: str) -> str:
    """`value` as a TOML basic string: quotes, backslashes and control characters escaped."""
    escapes = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    out = []
    for char in value:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def profile_toml(profile: VoiceProfile) -> str:
    """The profile.toml text for `profile` (load_profile reads it back to an equal profile)."""
    lines = [
        f"name = {toml_string(profile.name)}",
        f"anchor_name = {toml_string(profile.anchor_name)}",
        f"language = {toml_string(profile.language)}",
        f"persona = {toml_string(profile.persona)}",
        f"show_notes = {toml_string(profile.show_notes)}",
        f"transcript = {toml_string(profile.reference_transcript)}",
        f"embedded_voice = {toml_string(profile.embedded_voice)}",
        "fallback_lines = [" + ", ".join(toml_string(line) for line in profile.fallback_lines) + "]",
        "",
        "[synthesis]",
        f"temperature = {_toml_float(profile.synthesis.temperature)}",
        f"seed = {int(profile.synthesis.seed)}",
        f"speaking_rate = {_toml_float(profile.synthesis.speaking_rate)}",
    ]
    return "\n".join(lines) + "\n"


def save_profile(profile: VoiceProfile, folder: Path) -> Path:
    """Write `folder/profile.toml` atomically (never half a profile on disk); return its path."""
    target = folder / "profile.toml"
    write_atomic(target, profile_toml(profile))
    return target
