"""`ai-anchor-studio doctor`: each check says ok or names the problem and its fix; the exit code follows."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from studio.audio.pulse import PulseControl
from studio.cli import main
from studio.commands.common import EXIT_FAILED


def _closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


class _Voxtral(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = {"/health": {}, "/v1/models": {"data": [{"id": "voxtral-mini-test"}]}}.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body or {}).encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def voxtral_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Voxtral)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_servers(monkeypatch):
    for name in ("OLLAMA_HOST", "VOXTRAL_URL", "HIGGS_AUDIO_URL"):
        monkeypatch.setenv(name, _closed_url())


def test_gpu_stack_without_servers_names_each_fix(no_servers, anchor_sink: PulseControl, capsys):
    assert main(["doctor", "--stack", "gpu"]) == EXIT_FAILED
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "stack: gpu"
    by_check = {line[3:].split(":", 1)[0]: line for line in out[1:7]}
    assert set(by_check) == {"gpu", "ollama", "voxtral", "higgs", "turn_model", "audio"}
    assert by_check["ollama"].startswith("-- ")
    assert "run `ollama serve` or set OLLAMA_HOST" in by_check["ollama"]
    assert by_check["voxtral"].startswith("-- ") and "start it with `host up`" in by_check["voxtral"]
    assert by_check["higgs"].startswith("-- ") and "run `host higgs`" in by_check["higgs"]
    assert "host pull" in by_check["turn_model"]
    assert any(line.startswith("GPU memory plan: ") for line in out)


def test_json_report_with_a_live_voxtral(no_servers, voxtral_url, anchor_sink, monkeypatch, capsys):
    monkeypatch.setenv("VOXTRAL_URL", voxtral_url)
    rc = main(["doctor", "--stack", "gpu", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert rc == EXIT_FAILED  # Ollama and higgs are still missing
    assert report["ok"] is False
    assert report["voxtral"] == {"ok": True, "url": voxtral_url, "data": ["voxtral-mini-test"]}
    assert report["higgs"]["ok"] is False
    assert "ai_anchor_out" in report["audio"]["outputs"]
    assert report["memory_plan"]["lines"]


def test_embedded_stack_needs_only_audio(no_servers, anchor_sink, capsys):
    rc = main(["doctor", "--stack", "embedded", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["stack"] != "gpu"
    assert report["ok"] is report["audio"]["ok"]  # servers and GPU do not count for the embedded stack
    assert rc == (0 if report["ok"] else EXIT_FAILED)


def test_no_audio_server_is_reported_not_raised(no_servers, tmp_path, monkeypatch, capsys):
    import studio.audio.devices as devices

    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path / 'no-such-socket'}")
    monkeypatch.setattr(devices, "_portaudio_devices", lambda: [])
    assert main(["doctor", "--stack", "embedded", "--json"]) == EXIT_FAILED
    report = json.loads(capsys.readouterr().out)
    assert report["audio"]["ok"] is False
    assert "no PulseAudio/PipeWire server answered" in report["audio"]["problem"]


def test_ollama_with_and_without_the_chat_model(no_servers, anchor_sink, monkeypatch, capsys):
    from tests.fake_ollama import FakeOllama

    with FakeOllama(models=("llama3.2:latest",)) as ollama:
        monkeypatch.setenv("OLLAMA_HOST", ollama.url)
        monkeypatch.setenv("OLLAMA_MODEL_NAME", "llama3.2:latest")
        main(["doctor", "--stack", "gpu", "--json"])
        found = json.loads(capsys.readouterr().out)["ollama"]
        monkeypatch.setenv("OLLAMA_MODEL_NAME", "mistral-small:24b")
        main(["doctor", "--stack", "gpu", "--json"])
        missing = json.loads(capsys.readouterr().out)["ollama"]
    assert found["ok"] is True and "problem" not in found
    assert "llama3.2:latest" in str(found["models"])
    assert missing["ok"] is False
    assert missing["problem"] == "mistral-small:24b is not pulled: run `ai-anchor-studio host pull`"
