"""`doctor` and `host` subcommands against the local GPU-stack servers."""

from __future__ import annotations

import json

from studio.cli import main
from tests.fake_ollama import FakeOllama


def _urls(monkeypatch, settings) -> None:
    for name in ("VOXTRAL_URL", "OLLAMA_HOST", "HIGGS_AUDIO_URL"):
        monkeypatch.setenv(name, getattr(settings, name))


def test_doctor_json_reports_servers_models_voices_and_plan(gpu_servers, monkeypatch, capsys):
    _urls(monkeypatch, gpu_servers)
    code = main(["doctor", "--stack", "gpu", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["stack"] == "gpu"
    assert report["ollama"]["ok"] and report["ollama"]["resident"][0]["vram_gb"] == 15.0
    assert report["voxtral"]["data"] == ["mistralai/Voxtral-Mini-3B-2507"] and report["higgs"] == {
        "ok": True,
        "url": gpu_servers.HIGGS_AUDIO_URL,
        "voices": ["Ava"],
    }
    assert report["memory_plan"]["fits"] and report["memory_plan"]["card_gb"] == 48.0
    assert report["gpu"]["ok"] is False and "NVML" in report["gpu"]["problem"]
    assert code == 1  # no GPU here: the gpu stack is not ready on this machine


def test_doctor_names_a_dead_ollama_with_its_fix(monkeypatch, capsys):
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    main(["doctor"])
    assert "-- ollama: Ollama at http://127.0.0.1:9 is unreachable" in capsys.readouterr().out


def test_host_pull_shows_progress_and_plan_prints(monkeypatch, capsys):
    with FakeOllama(models=()) as fake:
        monkeypatch.setenv("OLLAMA_HOST", fake.url)
        assert main(["host", "pull", "llama3.2"]) == 0
        assert "llama3.2" in fake.models
    out = capsys.readouterr().out
    assert "100.0%" in out and "llama3.2 is ready in Ollama" in out
    assert main(["host", "plan"]) == 0
    assert "GPU memory plan: 48.0 GB card" in capsys.readouterr().out


def test_host_higgs_without_its_environment_says_how_to_get_it(capsys):
    assert main(["host", "higgs", "--port", "8123"]) == 1
    assert "boson_multimodal is not installed here" in capsys.readouterr().err
