"""`run` attaches the OBS bridge to its show when OBS_WEBSOCKET_URL is set, and closes it at the end."""

from __future__ import annotations

import asyncio

import numpy as np
import soundfile as sf

from studio.audio.recording import open_host_recording
from studio.config import load_settings
from studio.headless import RunRequest, run_show
from studio.obs import attach_obs
from studio.session.chapters import chapter_paths
from studio.voices.profile import VoiceProfile
from tests.obs.fake_obs import FakeObs
from tests.show.doubles import QUESTION, fixed_stack, quiet, tone


def test_run_captions_a_recording_in_obs_and_writes_its_chapters(tmp_path, monkeypatch):
    obs = FakeObs().start()
    try:
        monkeypatch.setenv("OBS_WEBSOCKET_URL", obs.url)
        monkeypatch.setenv("OBS_CAPTION_SOURCE", "Captions")
        host = tmp_path / "host.wav"
        sf.write(host, np.concatenate([quiet(0.5), tone(1.0), quiet(1.0)]), 16_000)
        log = tmp_path / "run.jsonl"
        voice = VoiceProfile(name="Test", anchor_name="Tess")
        request = RunRequest(open_host_recording(host), None, voice, fast=True, as_json=True, session_log=log)
        result = asyncio.run(run_show(load_settings(), request, stack=fixed_stack(), attach=(attach_obs,)))
    finally:
        obs.stop()
    assert result["turns"][0]["transcript"] == QUESTION
    texts = obs.texts()
    assert texts[0] == f"Host: {QUESTION}" and texts[1].startswith("Tess: ") and texts[-1] == ""
    listing, ffmeta = chapter_paths(log)
    assert f"Turn 1: {QUESTION}" in listing.read_text() and "END=" in ffmeta.read_text()
