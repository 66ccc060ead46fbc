"""How a voice profile travels to a speech host: one content key, and Boson's voice-presets layout.

`voice_key` names what cloning depends on (reference clip bytes, transcript, seed, temperature):
the studio asks a host for the key, uploads the clip only when the host lacks it, and the host
caches it under that key, so an edited profile is a new voice and a re-upload is free.
`export_presets` writes the layout Boson's higgs-audio vLLM image reads from
`--voice-presets-dir`: `config.json` `{name: {transcript, audio_file}}` beside the clips.
Threading: plain functions (file I/O), called from whichever thread needs them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from studio.voices.profile import VoiceProfile

KEY_CHARS = 20  # hex digits of sha256: 80 bits, plenty for one host's voices


def voice_key(audio: bytes, transcript: str, seed: int, temperature: float) -> str:
    """The content key of a cloned voice; same inputs → same key, on the studio and on the host."""
    digest = hashlib.sha256()
    digest.update(audio)
    digest.update(b"\0" + transcript.strip().encode())
    digest.update(f"\0{int(seed)}\0{float(temperature):.4f}".encode())
    return "v-" + digest.hexdigest()[:KEY_CHARS]


@dataclass(frozen=True, slots=True)
class VoiceUpload:
    """What a host needs to clone a voice: the clip (bytes and file suffix) and the clone settings."""

    name: str
    transcript: str
    seed: int
    temperature: float
    audio: bytes
    suffix: str = ".wav"

    @property
    def key(self) -> str:
        return voice_key(self.audio, self.transcript, self.seed, self.temperature)

    @classmethod
    def from_profile(cls, profile: VoiceProfile) -> VoiceUpload | None:
        """None for a profile with nothing to clone (no reference clip or transcript)."""
        clip = profile.reference_audio
        if clip is None or not profile.reference_transcript.strip() or not Path(clip).is_file():
            return None
        return cls(
            profile.name,
            profile.reference_transcript.strip(),
            profile.synthesis.seed,
            profile.synthesis.temperature,
            Path(clip).read_bytes(),
            Path(clip).suffix.lower() or ".wav",
        )


def export_presets(profiles: list[VoiceProfile], folder: Path) -> list[str]:
    """Write Boson's voice-presets layout for every clonable profile; returns the names written."""
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    written = []
    for profile in profiles:
        if VoiceUpload.from_profile(profile) is None:
            continue
        assert profile.reference_audio is not None
        audio_file = f"{_file_stem(profile.name)}{Path(profile.reference_audio).suffix.lower() or '.wav'}"
        shutil.copyfile(profile.reference_audio, folder / audio_file)
        config[profile.name] = {"transcript": profile.reference_transcript.strip(), "audio_file": audio_file}
        written.append(profile.name)
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    return written


def _file_stem(name: str) -> str:
    """A file name for a voice name: letters, digits, '-' and '_' kept, the rest '_'."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "voice"
