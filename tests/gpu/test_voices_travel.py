"""Voices travel: a profile made or edited in the studio speaks on a (remote) higgs host without a
restart — its clip and transcript are uploaded, kept by content key, refused without the token —
and `host export-voices` writes Boson's voice-presets layout.

The host is the real speech server and HiggsEngine over the stand-in boson_multimodal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

import numpy as np
import pytest
import soundfile

from studio.backends.higgs_tts import HiggsSynthesizer
from studio.cli import main
from studio.config import load_settings
from studio.hosts.higgs_engine import HiggsEngine
from studio.hosts.higgs_host import check_exposure
from studio.hosts.speech_server import SpeechServer
from studio.hosts.voice_cache import VoiceCache
from studio.voices.profile import VoiceProfile
from studio.voices.travel import VoiceUpload
from tests.gpu.boson_standin import install
from tests.gpu.servers import ThreadedServer

TOKEN = "s3cret-token"


def host(tmp_path, token: str = TOKEN) -> tuple[ThreadedServer, HiggsEngine]:
    """A higgs host that knows no voice yet (a fresh machine), keeping uploads in tmp_path/cache."""
    cache = VoiceCache(tmp_path / "cache")
    engine = HiggsEngine("m", "t", cache.voices(), device="cpu")
    engine.voice_store = cache.store
    return ThreadedServer(SpeechServer(engine, token=token).app), engine


def profile(tmp_path, name: str = "Nova", transcript: str = "Hello, I am Nova.") -> VoiceProfile:
    clip = tmp_path / f"{name}.wav"
    soundfile.write(clip, np.full(16_000, 0.01, np.float32), 16_000)
    return VoiceProfile(name=name, reference_audio=clip, reference_transcript=transcript)


async def speak(url: str, voice: VoiceProfile, key: str = TOKEN) -> int:
    tts = HiggsSynthesizer(load_settings(HIGGS_AUDIO_URL=url, HIGGS_AUDIO_API_KEY=key))
    try:
        return sum([len(c.samples) async for c in tts.synthesize("Good evening.", voice)])
    finally:
        await tts.aclose()


def test_a_new_profile_speaks_on_a_remote_host_without_a_restart(monkeypatch, tmp_path):
    boson = install(monkeypatch)
    nova = profile(tmp_path)
    server, engine = host(tmp_path)
    with server:
        first = asyncio.run(speak(server.url, nova))
        again = asyncio.run(speak(server.url, nova))  # a new studio session: the host has it already
        edited = dataclasses.replace(nova, reference_transcript="Hello, this is Nova speaking.")
        asyncio.run(speak(server.url, edited))
        with pytest.raises(RuntimeError, match=r"HTTP 401: missing or wrong token"):
            asyncio.run(speak(server.url, nova, key="wrong"))
    assert first > 0 and again == first
    keys = [VoiceUpload.from_profile(p).key for p in (nova, edited)]
    assert sorted(engine.voices()) == sorted(keys)  # the edit is a new voice; the same content is one
    prompts = [call["sample"].messages[1].content for call in boson.calls]
    assert prompts == ["Hello, I am Nova.", "Hello, I am Nova.", "Hello, this is Nova speaking."]
    assert len(list((tmp_path / "cache").iterdir())) == 2

    restarted, engine2 = host(tmp_path)  # the host restarts on its own disk: nothing to upload again
    with restarted:
        assert asyncio.run(speak(restarted.url, nova)) == first
    assert keys[0] in engine2.voices()


def test_a_host_that_listens_beyond_loopback_needs_a_token(monkeypatch, tmp_path, capsys):
    check_exposure("127.0.0.1", "")
    with pytest.raises(ValueError, match="exposes the model to the network: give --token"):
        check_exposure("0.0.0.0", "")
    check_exposure("0.0.0.0", TOKEN)
    install(monkeypatch)
    assert main(["host", "higgs", "--host", "0.0.0.0", "--device", "cpu"]) == 2
    assert "--token" in capsys.readouterr().err


def test_export_voices_writes_bosons_presets_layout(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AI_ANCHOR_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "data" / "voices" / "nova"
    folder.mkdir(parents=True)
    (folder / "profile.toml").write_text('name = "Nova Star"\ntranscript = "Hi, I am Nova."\n')
    soundfile.write(folder / "reference.wav", np.zeros(8_000, np.float32), 16_000)
    assert main(["host", "export-voices", str(tmp_path / "presets")]) == 0
    config = json.loads((tmp_path / "presets" / "config.json").read_text())
    entry = config["Nova Star"]
    assert entry["transcript"] == "Hi, I am Nova." and (tmp_path / "presets" / entry["audio_file"]).is_file()
    assert "--voice-presets-dir" in capsys.readouterr().out


def test_a_host_that_keeps_no_uploads_is_asked_by_name(tmp_path):
    """Piper's stand-in host lists voices but keeps no uploads (501): the profile's name is used."""
    from tests.gpu.servers import PiperEngine, speech_server

    engine = PiperEngine(voices=("Ava",))
    with speech_server(engine) as server:
        spoken = asyncio.run(speak(server.url, profile(tmp_path, name="Ava", transcript="Hi, I am Ava.")))
    assert spoken > 0 and engine.texts == ["Good evening."]


def test_a_host_restarted_without_its_cache_gets_the_voice_again(monkeypatch, tmp_path):
    """The client remembers the host had the voice; a host restarted on a fresh disk says 404 once
    (the supervisor retries that clause at once), and the next try uploads it again."""
    install(monkeypatch)
    nova = profile(tmp_path)
    first, _ = host(tmp_path / "a")
    first.start()
    port = first.port

    async def go():
        tts = HiggsSynthesizer(
            load_settings(HIGGS_AUDIO_URL=f"http://127.0.0.1:{port}", HIGGS_AUDIO_API_KEY=TOKEN)
        )
        try:
            before = sum([len(c.samples) async for c in tts.synthesize("Good evening.", nova)])
            first.stop()
            fresh, engine = host(tmp_path / "b")  # same address, empty voice cache
            fresh.port = port
            fresh.start()
            try:
                with pytest.raises(RuntimeError, match="HTTP 404: voice 'v-"):
                    async for _ in tts.synthesize("Good evening.", nova):
                        pass
                after = sum([len(c.samples) async for c in tts.synthesize("Good evening.", nova)])
            finally:
                fresh.stop()
            return before, after, engine.voices()
        finally:
            await tts.aclose()

    before, after, voices = asyncio.run(go())
    assert before == after > 0 and voices == [VoiceUpload.from_profile(nova).key]
