"""The seed's DistilBERT turn model on the gpu stack by default: `host pull` fetches it with
huggingface_hub (progress shown), the turn stage then uses it, `doctor` reports it; without it
Smart Turn decides alone and says so. The Hub is a local stand-in speaking its API."""

from __future__ import annotations

import asyncio
import json

import pytest

from studio.backends import turn_model
from studio.backends.distilbert_turn import DistilBertTurnDetector, create_turn_detector
from studio.backends.turn_model import TURN_MODEL_REPO, default_turn_model_dir, pull_turn_model
from studio.cli import main
from studio.config import load_settings
from tests.gpu.fake_hub import FakeHub
from tests.gpu.servers import ThreadedServer
from tests.gpu.tiny_distilbert import save_tiny_distilbert


@pytest.fixture
def hub(tmp_path, monkeypatch):
    monkeypatch.setenv("AI_ANCHOR_CACHE_DIR", str(tmp_path / "cache"))
    fake = FakeHub(TURN_MODEL_REPO, save_tiny_distilbert(tmp_path / "upstream"))
    with ThreadedServer(fake.app) as server:
        server.hub = fake
        yield server


def test_without_the_model_smart_turn_decides_alone_and_says_why(hub, monkeypatch, capsys):
    detector = create_turn_detector(load_settings(stack="gpu"))
    assert not isinstance(detector, DistilBertTurnDetector)
    assert "alone (DistilBERT turn model not pulled: `ai-anchor-studio host pull`)" in detector.info.name
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    main(["doctor", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert not report["turn_model"]["ok"] and "Smart Turn decides alone" in report["turn_model"]["problem"]


def test_pull_with_progress_then_the_gpu_turn_stage_uses_it(hub, monkeypatch, capsys):
    seen = []
    folder = pull_turn_model(lambda *reading: seen.append(reading), endpoint=hub.url)
    assert folder == default_turn_model_dir() and (folder / "config.json").is_file()
    total = sum(len(data) for data in hub.hub.files.values())
    assert seen and seen[-1][1] == seen[-1][2] == total  # bytes counted up to the whole model
    detector = create_turn_detector(load_settings(stack="gpu", turn_min_silence_ms=200))
    try:
        assert isinstance(detector, DistilBertTurnDetector) and str(folder) in detector.info.detail
        probability = asyncio.run(detector.completion_probability(None, "that's all."))
        assert 0.0 <= probability <= 1.0
    finally:
        asyncio.run(detector.aclose())
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    main(["doctor", "--json"])
    assert json.loads(capsys.readouterr().out)["turn_model"] == {"ok": True, "path": str(folder)}


def test_host_pull_fetches_the_turn_model_too_and_shows_the_same_line(hub, monkeypatch, capsys):
    real_pull = turn_model.pull_turn_model
    monkeypatch.setattr(turn_model, "pull_turn_model", lambda show: real_pull(show, endpoint=hub.url))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # no Ollama: its pull fails, the turn model's not
    assert main(["host", "pull"]) == 1
    out = capsys.readouterr()
    assert f"{TURN_MODEL_REPO} is ready in {default_turn_model_dir()}" in out.out and "100.0%" in out.out
    assert "from http://127.0.0.1:9 broke off" in out.err
    assert main(["host", "pull", "--only", "turn"]) == 0  # again: the files are kept
