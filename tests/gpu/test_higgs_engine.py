"""HiggsEngine's code path with a stand-in `boson_multimodal` (tests/gpu/boson_standin.py).

What is tested is ours: the cloning prompt, seeds per profile, delay-pattern assembly,
incremental decoding, stopping, and the HTTP host around it.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
import soundfile

from studio.config import load_settings
from studio.hosts.higgs_engine import HiggsEngine, HiggsUnavailable, HiggsVoice, voices_from_profiles
from studio.hosts.higgs_host import main as host_main
from studio.voices.profile import SynthesisSettings, VoiceProfile
from tests.gpu.boson_standin import FRAMES, install


@pytest.fixture
def boson(monkeypatch):
    return install(monkeypatch)


def _voice(tmp_path) -> HiggsVoice:
    clip = tmp_path / "reference.wav"
    soundfile.write(clip, np.zeros(16_000, np.float32), 16_000)
    profile = VoiceProfile(
        name="Ava",
        reference_audio=clip,
        reference_transcript="Hello, I am Ava.",
        synthesis=SynthesisSettings(temperature=0.3, seed=99),
    )
    voices = voices_from_profiles([profile, VoiceProfile(name="NoClip")])
    assert [v.name for v in voices] == ["Ava"]  # profiles without a clip cannot be cloned
    return voices[0]


def test_engine_clones_with_profile_seed_and_streams_decoded_audio_early(boson, tmp_path):
    engine = HiggsEngine(
        "higgs-model", "higgs-tokenizer", [_voice(tmp_path)], device="cpu", kv_cache_lengths=(1024, 4096)
    )
    chunks = list(engine.stream("[SPEAKER0] Good evening.", "Ava", threading.Event()))
    audio = np.concatenate(chunks)
    assert len(chunks) >= 2 and len(chunks[0]) == 8 * 960  # first audio after 8 frames
    assert len(audio) == FRAMES * 960
    assert np.allclose(audio[::960], np.arange(1, FRAMES + 1) / 1024.0)  # every frame, in order
    call = boson.calls[0]
    assert call["seed"] == 99 and call["temperature"] == 0.3 and call["force_audio_gen"]
    roles = [(m.role, m.content if isinstance(m.content, str) else "audio") for m in call["sample"].messages]
    assert roles[1:] == [
        ("user", "Hello, I am Ava."),
        ("assistant", "audio"),
        ("user", "[SPEAKER0] Good evening."),
    ]
    assert call["sample"].messages[2].content.audio_url.endswith("reference.wav")


def test_engine_stops_when_asked(boson, tmp_path):
    engine = HiggsEngine("m", "t", [_voice(tmp_path)], device="cpu")
    stop = threading.Event()
    stream = engine.stream("Hello.", "Ava", stop)
    assert len(next(stream))
    stop.set()
    assert list(stream) == []


def test_without_boson_the_engine_and_host_say_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "boson_multimodal", None)
    with pytest.raises(HiggsUnavailable, match="own environment; see README 'Studio GPU setup'"):
        HiggsEngine("m", "t", [], device="cpu")
    voices = tmp_path / "voices" / "ava"
    voices.mkdir(parents=True)
    (voices / "profile.toml").write_text('name = "Ava"\ntranscript = "Hello."\n')
    soundfile.write(voices / "reference.wav", np.zeros(16_000, np.float32), 16_000)
    assert host_main(["--voices-dir", str(tmp_path / "voices"), "--device", "cpu"]) == 1
    assert "boson_multimodal" in capsys.readouterr().err


def _voices_dir(tmp_path):
    folder = tmp_path / "voices" / "ava"
    folder.mkdir(parents=True)
    (folder / "profile.toml").write_text('name = "Ava"\ntranscript = "Hello, I am Ava."\n')
    soundfile.write(folder / "reference.wav", np.zeros(16_000, np.float32), 16_000)
    return tmp_path / "voices"


def test_host_streams_in_chunks_of_tts_stream_chunk_size_frames(boson, tmp_path, monkeypatch, capsys):
    import argparse

    from studio.hosts import higgs_host, speech_server

    served = []
    monkeypatch.setattr(
        speech_server.SpeechServer, "__init__", lambda self, engine, token: served.append(engine)
    )
    monkeypatch.setattr(speech_server.SpeechServer, "app", None, raising=False)
    monkeypatch.setattr("aiohttp.web.run_app", lambda *args, **kwargs: None)
    parser = argparse.ArgumentParser()
    higgs_host.add_arguments(parser)
    args = parser.parse_args(["--voices-dir", str(_voices_dir(tmp_path)), "--device", "cpu"])
    assert higgs_host.serve(args, chunk_frames=10) == 0
    chunks = list(served[0].stream("Good evening.", "Ava", threading.Event()))
    assert [len(chunk) // 960 for chunk in chunks] == [8, 10, 10, 10, 2]  # first 8, then 10 at a time


def test_host_command_hands_tts_stream_chunk_size_to_the_higgs_environment(tmp_path, monkeypatch):
    from studio.commands import host

    calls = []
    monkeypatch.setattr(host.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(host.subprocess, "call", lambda command, env: calls.append(command) or 0)
    settings = load_settings(HIGGS_AUDIO_PYTHON="/opt/higgs/bin/python", TTS_STREAM_CHUNK_SIZE=12)
    assert host.run(settings, host_args(["higgs"])) == 0
    command = calls[0]
    assert command[command.index("--chunk-frames") + 1] == "12"


def host_args(argv):
    """`ai-anchor-studio host …` parsed as the CLI parses it."""
    import argparse

    from studio.commands import host

    parser = argparse.ArgumentParser()
    host.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["host", *argv])
