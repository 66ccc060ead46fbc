"""`ai-anchor-studio host`: the GPU memory plan, voice preset export, and clear failures without servers."""

from __future__ import annotations

import json
import socket

import pytest

from studio.cli import main
from studio.commands.common import EXIT_FAILED

ERROR = "ai-anchor-studio: error: "


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_plan_json_is_one_object_with_the_three_stages(capsys):
    rc = main(["host", "plan", "--json"])
    plan = json.loads(capsys.readouterr().out)
    assert rc == (0 if plan["fits"] else EXIT_FAILED)
    assert {model["stage"] for model in plan["models"]} == {"tts", "chat", "stt"}
    assert plan["reserve_gb"] == 2.0
    assert plan["source"]
    assert plan["free_gb"] == pytest.approx(plan["card_gb"] - plan["used_gb"], abs=0.05)


def test_plan_text_names_the_card_source_and_the_verdict(capsys):
    rc = main(["host", "plan"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("(card size from ")
    assert out[1].startswith("GPU memory plan: ")
    assert out[-1].rstrip().endswith("fits") == (rc == 0)


def test_plan_that_cannot_fit_the_reserve_exits_failed(capsys):
    assert main(["host", "plan", "--json", "--reserve", "1000"]) == EXIT_FAILED
    plan = json.loads(capsys.readouterr().out)
    assert plan["fits"] is False
    assert plan["reserve_gb"] == 1000.0


def test_up_refuses_a_plan_that_does_not_fit(capsys):
    assert main(["host", "up", "--reserve", "1000"]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert "GPU memory plan" in captured.out
    assert captured.err.strip() == (
        ERROR + "the models do not fit with the reserve; apply a swap above, or --force"
    )


def test_reserve_must_be_a_number(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["host", "plan", "--reserve", "lots"])
    assert exc.value.code == 2
    assert "--reserve" in capsys.readouterr().err


def test_host_needs_a_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["host"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "required" in err and "host_command" in err


def test_export_voices_writes_the_presets(tmp_path, capsys):
    folder = tmp_path / "presets"
    assert main(["host", "export-voices", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("wrote ")
    assert f"--voice-presets-dir {folder}" in out
    config = json.loads((folder / "config.json").read_text())
    assert config  # one preset per exported profile
    count = int(out.split()[1])
    assert len(config) == count


def test_export_voices_into_a_file_path_fails_cleanly(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["host", "export-voices", str(blocker / "presets")]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert err.startswith(ERROR + "cannot write voice presets to ")
    assert blocker.read_text() == "not a folder"


def test_pull_with_no_ollama_says_so(monkeypatch, capsys):
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{_closed_port()}")
    assert main(["host", "pull", "--only", "chat", "tiny-model:latest"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert err.startswith(ERROR + "pulling 'tiny-model:latest' from http://127.0.0.1:")
    assert "run the pull again" in err


def test_higgs_without_its_environment_explains_the_setup(monkeypatch, capsys):
    import importlib.util

    if importlib.util.find_spec("boson_multimodal") is not None:
        pytest.skip("boson_multimodal is installed here: `host higgs` would serve")
    monkeypatch.setenv("HIGGS_AUDIO_PYTHON", "")
    assert main(["host", "higgs"]) == EXIT_FAILED
    assert "set HIGGS_AUDIO_PYTHON" in capsys.readouterr().err


def test_higgs_with_a_missing_python_says_it_cannot_run(tmp_path, monkeypatch, capsys):
    import importlib.util

    if importlib.util.find_spec("boson_multimodal") is not None:
        pytest.skip("boson_multimodal is installed here: `host higgs` would serve")
    missing = tmp_path / "no-env" / "python"
    monkeypatch.setenv("HIGGS_AUDIO_PYTHON", str(missing))
    assert main(["host", "higgs"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert f"HIGGS_AUDIO_PYTHON '{missing}' cannot run" in err


def test_pull_shows_progress_and_says_where_the_model_is(monkeypatch, capsys):
    from tests.fake_ollama import FakeOllama

    with FakeOllama(models=()) as ollama:
        monkeypatch.setenv("OLLAMA_HOST", ollama.url)
        assert main(["host", "pull", "tiny-model:latest"]) == 0  # a named model: only it is pulled
    out = capsys.readouterr().out
    assert "pulling" in out
    assert out.rstrip().endswith(f"tiny-model:latest is ready in Ollama at {ollama.url}")


def test_pull_failure_reported_by_ollama(monkeypatch, capsys):
    from tests.fake_ollama import FakeOllama

    with FakeOllama(models=()) as ollama:
        ollama.pull_failures.add("tiny-model:latest")
        monkeypatch.setenv("OLLAMA_HOST", ollama.url)
        assert main(["host", "pull", "tiny-model:latest"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert err.startswith(ERROR)
    assert "file does not exist" in err


def test_pull_both_runs_each_and_returns_the_worst(monkeypatch, capsys):
    import studio.backends.turn_model as turn_model

    def offline(show):
        raise ConnectionError("hub unreachable")

    monkeypatch.setattr(turn_model, "pull_turn_model", offline)
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{_closed_port()}")
    assert main(["host", "pull"]) == EXIT_FAILED
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert len(errors) == 2  # the chat pull failed, and the turn pull was still tried
    assert "run the pull again" in errors[0]
    assert "failed (ConnectionError: hub unreachable); run it again" in errors[1]
    assert f"pulling {turn_model.TURN_MODEL_REPO} (end of turn)" in captured.out


def test_export_voices_includes_a_voice_the_host_added(tmp_path, capsys):
    import numpy as np
    import soundfile as sf

    t = np.arange(24_000 * 4) / 24_000
    clip = tmp_path / "clip.wav"
    sf.write(clip, (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), 24_000)
    assert main(["voices", "add", "Evening", "--audio", str(clip), "--transcript", "Good evening."]) == 0
    capsys.readouterr()
    folder = tmp_path / "presets"
    assert main(["host", "export-voices", str(folder)]) == 0
    assert "Evening" in capsys.readouterr().out.splitlines()[0]
    assert "Evening" in json.loads((folder / "config.json").read_text())
