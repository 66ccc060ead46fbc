"""Model-server supervisor with stand-in server processes: order, fit, restart, OOM fallback."""

from __future__ import annotations

import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from studio.config import load_settings
from studio.gpu.planner import GB, SeedStack, plan_memory
from studio.gpu.supervisor import ModelServerSupervisor, ServerSpec, build_spec

FAKE = str(Path(__file__).with_name("fake_model_server.py"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def setup(tmp_path):
    ports = {stage: _free_port() for stage in ("tts", "chat", "stt")}
    journal = tmp_path / "journal.txt"
    journal.touch()
    plan = plan_memory(SeedStack(chat_context=8192).budgets(), card_gb=80.0)  # roomy: nothing shrinks
    oom_above = {"stt": 2048}

    def spec_for(stage, model):
        url = f"http://127.0.0.1:{ports[stage]}"
        command = [sys.executable, FAKE, str(ports[stage]), stage, str(journal), "--cache-tokens"]
        command += [str(max(model.cache_tokens)), "--oom-above", str(oom_above.get(stage, 1 << 30))]
        return ServerSpec(stage, command, f"{url}/health", url, start_timeout_s=30)

    supervisor = ModelServerSupervisor(
        load_settings(), plan, tmp_path / "logs", spec_for=spec_for, poll_s=0.05
    )
    yield supervisor, journal, oom_above
    supervisor.stop_all(grace_s=5)


def test_starts_in_order_restarts_a_crash_and_shrinks_after_oom(setup):
    supervisor, journal, _ = setup
    states = supervisor.start_all()
    assert [line.split()[0] for line in journal.read_text().splitlines()] == ["tts", "chat", "stt"]
    assert states["tts"].status == states["chat"].status == "running"
    assert states["stt"].status == "failed" and "during start" in states["stt"].detail  # OOM at 4096

    actions = supervisor.check()
    assert actions == [
        "stt: exited with code 1, out of GPU memory: restarting with --max-model-len 4096 -> 2048"
    ]
    assert states["stt"].status == "running" and supervisor.models["stt"].cache_tokens == (2048,)

    chat = states["chat"].process
    os.kill(chat.pid, signal.SIGKILL)
    chat.wait()
    assert supervisor.check() == ["chat: exited with code -9"]
    assert states["chat"].status == "running" and states["chat"].restarts == 1
    assert journal.read_text().splitlines()[-1].startswith("chat")


def test_running_servers_are_left_alone_and_what_does_not_fit_is_skipped(setup):
    supervisor, _, _ = setup
    supervisor.states.pop("stt")
    first = supervisor.start_all()
    assert first["tts"].status == "running"
    again = ModelServerSupervisor(
        supervisor.settings,
        supervisor.plan,
        supervisor.log_dir,
        free_bytes=lambda: int(5 * GB),
        spec_for=supervisor._spec_for,
        poll_s=0.05,
    )
    states = again.start_all()
    assert states["tts"].status == states["chat"].status == "external"
    assert states["stt"].status == "skipped"
    assert states["stt"].detail == "needs 9.5 GB, 5.0 GB free on the card" and states["stt"].process is None


def test_real_commands_carry_the_planned_sizes():
    settings = load_settings(VOXTRAL_URL="http://127.0.0.1:8000", OLLAMA_HOST="http://127.0.0.1:11434")
    plan = plan_memory(SeedStack(chat_context=8192).budgets(), card_gb=48.0)
    stt = build_spec("stt", plan.model("stt"), settings, 48.0)
    assert stt.command[:3] == ["vllm", "serve", "mistralai/Voxtral-Mini-3B-2507"]
    assert (
        "--enforce-eager" in stt.command and stt.command[stt.command.index("--max-model-len") + 1] == "2048"
    )
    chat = build_spec("chat", plan.model("chat"), settings, 48.0)
    assert chat.command == ["ollama", "serve"] and chat.env["OLLAMA_CONTEXT_LENGTH"] == "2048"
    assert chat.env["OLLAMA_KEEP_ALIVE"] == "-1" and chat.env["OLLAMA_HOST"] == "127.0.0.1:11434"
    tts = build_spec("tts", plan.model("tts"), settings, 48.0)
    assert tts.command[1:3] == ["-m", "studio.hosts.higgs_host"] and "1024,4096" in tts.command
