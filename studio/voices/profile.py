"""A voice profile: what the anchor sounds like and who it is (persona), read from profile.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

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

    def system_prompt(self) -> str:
        """The persona prompt given to the chat model at the top of every conversation."""
        return f"Your name is {self.anchor_name}. {self.persona}".strip()


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
        )
    except (TypeError, ValueError) as exc:
        raise VoiceProfileError(f"{toml_path}: bad value ({exc})") from exc
