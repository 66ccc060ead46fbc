"""Reference clips: real speech in odd formats is converted; broken, silent or clipped files are refused."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf
import soxr

from studio.voices.reference import REFERENCE_RATE, ReferenceClipError, prepare_reference
from tests.speech import RATE


def _stored(clip, tmp_path):
    out = tmp_path / "stored.wav"
    clip.save(out)
    return sf.info(out), sf.read(out, dtype="float32")[0]


def test_plain_wav_becomes_24k_mono_pcm16(speech_wav, speech, tmp_path):
    clip = prepare_reference(speech_wav)
    assert clip.source_format == "WAV" and clip.source_rate == RATE
    assert clip.seconds == pytest.approx(len(speech) / RATE, abs=0.01)
    info, samples = _stored(clip, tmp_path)
    assert (info.samplerate, info.channels, info.subtype, info.format) == (REFERENCE_RATE, 1, "PCM_16", "WAV")
    # The content survives the conversion: same loudness envelope as the source.
    assert np.max(np.abs(samples)) == pytest.approx(np.max(np.abs(speech)), rel=0.1)


@pytest.mark.parametrize(
    ("rate", "channels", "subtype"),
    [(22050, 1, "PCM_U8"), (48000, 6, "PCM_16"), (192000, 2, "PCM_24"), (44100, 1, "FLOAT")],
    ids=["8-bit", "6-channel", "192kHz", "float"],
)
def test_valid_odd_formats_are_converted(tmp_path, speech, rate, channels, subtype):
    mono = soxr.resample(speech, RATE, rate)
    data = np.stack([mono * (0.5 + 0.1 * c) for c in range(channels)], axis=1)
    path = tmp_path / f"odd-{rate}-{channels}.wav"
    sf.write(path, data, rate, subtype=subtype)
    clip = prepare_reference(path)
    assert (clip.source_rate, clip.source_channels, clip.source_subtype) == (rate, channels, subtype)
    assert clip.converted
    assert clip.seconds == pytest.approx(len(speech) / RATE, abs=0.02)
    info, _ = _stored(clip, tmp_path)
    assert (info.samplerate, info.channels, info.subtype) == (REFERENCE_RATE, 1, "PCM_16")


def test_renamed_mp3_is_read_by_content_and_accepted(tmp_path, speech):
    mp3 = tmp_path / "speech.mp3"
    sf.write(mp3, speech, RATE, format="MP3")
    renamed = tmp_path / "really-an-mp3.wav"
    os.rename(mp3, renamed)
    clip = prepare_reference(renamed)
    assert clip.source_format == "MP3"
    assert "content is MP3 although the name ends in .wav" in clip.describe()
    assert clip.seconds == pytest.approx(len(speech) / RATE, abs=0.1)


def _write_bad(kind: str, tmp_path, speech) -> os.PathLike:
    path = tmp_path / f"{kind}.wav"
    good = tmp_path / "good.wav"
    sf.write(good, speech, RATE, subtype="PCM_16")
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is a text file, not a recording\n" * 50)
    elif kind == "random":
        path.write_bytes(np.random.default_rng(3).bytes(50_000))
    elif kind == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "header-only":
        path.write_bytes(good.read_bytes()[:30])
    elif kind == "too-short":
        sf.write(path, speech[: int(1.5 * RATE)], RATE)
    elif kind == "too-long":
        sf.write(path, np.tile(speech, int(35 * RATE / len(speech)) + 1), RATE)
    elif kind == "silent":
        sf.write(path, np.zeros(5 * RATE, np.float32), RATE)
    elif kind == "near-silent":
        sf.write(path, speech / np.max(np.abs(speech)) * 10 ** (-60 / 20), RATE)
    elif kind == "clipped":
        sf.write(path, np.clip(speech * 30, -1, 1), RATE)
    elif kind == "nan":
        sf.write(path, np.where(np.arange(len(speech)) % 100 == 0, np.nan, speech), RATE, subtype="FLOAT")
    return path


BAD = {
    "empty": "the file is empty",
    "text": "not an audio file",
    "random": "not an audio file",
    "truncated": "truncated",
    "header-only": "truncated",
    "too-short": "1.5 s long; a reference clip must be 3–30 s",
    "too-long": "a reference clip must be 3–30 s (trim it)",
    "silent": "silent",
    "near-silent": "silent (peak -60 dBFS",
    "clipped": "clipped at full scale",
    "nan": "NaN",
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_clips_are_refused_with_one_clear_line(tmp_path, speech, kind):
    path = _write_bad(kind, tmp_path, speech)
    with pytest.raises(ReferenceClipError) as caught:
        prepare_reference(path)
    message = str(caught.value)
    assert BAD[kind] in message
    assert message.startswith(str(path)) and "\n" not in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ReferenceClipError, match="file not found"):
        prepare_reference(tmp_path / "nope.wav")
    with pytest.raises(ReferenceClipError, match="not a file"):
        prepare_reference(tmp_path)
