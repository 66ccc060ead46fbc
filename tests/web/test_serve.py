"""`ai-anchor-studio serve`: refuses unsafe or broken set-ups up front, serves, and ends cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from studio.cli import main
from studio.commands.serve import serve
from studio.config import load_settings
from studio.session.export import read_session
from studio.show import Show
from studio.show.events import ShowReady
from studio.web import Tokens, WebOptions, WebServer, load_tokens
from studio.web.options import check_bind
from studio.web.tokens import TokenError, token_file
from tests.show.doubles import CountingStackFactory
from tests.web.conftest import CONTROL, OVERLAY, VOICE, WAIT_S, Seen


def _show(tmp_path: Path) -> tuple[Show, Seen]:
    """A show on the fixed-delay stack, logged to `tmp_path`, and what it publishes."""
    show = Show(
        load_settings(), VOICE, stack_factory=CountingStackFactory(), session_log=tmp_path / "s.jsonl"
    )
    seen = Seen()
    show.subscribe(seen)
    return show, seen


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--host", "0.0.0.0"], "--tls-cert and --tls-key"),
        (["--host", "192.168.1.10"], "unencrypted"),
        (["--tls-cert", "cert.pem"], "both --tls-cert and --tls-key"),
        (["--tls-cert", "nope.pem", "--tls-key", "nope.key"], "TLS file not found"),
        (["--voice", "Nobody"], "unknown voice 'Nobody'"),
    ],
    ids=["any-address", "lan-address", "half-tls", "missing-tls", "unknown-voice"],
)
def test_serve_refuses_before_anything_starts(capsys, argv: list[str], message: str) -> None:
    assert main(["serve", *argv]) == 2 and message in capsys.readouterr().err


def test_a_port_out_of_range_is_an_argument_error(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "70000"])
    assert exited.value.code == 2 and "not a port" in capsys.readouterr().err


def test_a_weak_api_token_is_refused(capsys, monkeypatch) -> None:
    monkeypatch.setenv("STUDIO_API_TOKEN", "short")
    assert main(["serve"]) == 2 and "at least 16 characters" in capsys.readouterr().err


def test_loopback_needs_no_tls_and_any_address_is_allowed_with_it(tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("x")
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, None, None)
    check_bind("0.0.0.0", cert, key)


def test_tokens_are_generated_once_kept_owner_only_and_reused() -> None:
    first = load_tokens(load_settings())
    path = token_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.control != first.overlay and len(first.control) >= 32
    os.chmod(path, 0o644)
    assert load_tokens(load_settings()) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_api_token_setting_wins_and_the_overlay_token_stays(monkeypatch) -> None:
    kept = load_tokens(load_settings())
    monkeypatch.setenv("STUDIO_API_TOKEN", "from-the-environment-1234")
    tokens = load_tokens(load_settings())
    assert tokens == Tokens("from-the-environment-1234", kept.overlay)
    assert tokens.role("from-the-environment-1234") == "control" and tokens.role(kept.control) is None


def test_a_broken_token_file_says_how_to_fix_it() -> None:
    token_file().parent.mkdir(parents=True, exist_ok=True)
    token_file().write_text("{not json")
    with pytest.raises(TokenError, match="delete it"):
        load_tokens(load_settings())


def test_serve_runs_the_show_until_sigterm_then_closes_the_session_log(tmp_path: Path) -> None:
    show, seen = _show(tmp_path)
    answers: list[int] = []
    out = tmp_path / "out.txt"

    def on_ready(server: WebServer) -> None:
        """Once serve listens: drive it from another thread."""

        def drive() -> None:
            """Ask for the status, then send SIGTERM."""
            seen.wait(ShowReady)
            with httpx.Client(headers={"Authorization": f"Bearer {CONTROL}"}) as client:
                answers.append(client.get(f"{server.url}/api/status").status_code)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=drive, daemon=True).start()

    options = WebOptions(tokens=Tokens(CONTROL, OVERLAY), port=0)
    with out.open("w") as printed:
        assert serve(show, options, out=printed, on_ready=on_ready) == 0
    assert answers == [200]
    text = out.read_text()
    assert "serving at http://127.0.0.1:" in text and f"/control?token={CONTROL}" in text
    assert read_session(tmp_path / "s.jsonl")[-1]["kind"] == "session_ended"


def test_serve_on_a_taken_port_says_so(tmp_path: Path, capsys) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        show, _ = _show(tmp_path)
        options = WebOptions(tokens=Tokens(CONTROL, OVERLAY), port=taken.getsockname()[1])
        assert serve(show, options) == 1
    finally:
        taken.close()
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")
def test_with_tls_the_studio_speaks_https(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    show, _ = _show(tmp_path)
    server = WebServer(show, WebOptions(tokens=Tokens(CONTROL, OVERLAY), port=0, tls_cert=cert, tls_key=key))
    server.start()
    try:
        with httpx.Client(verify=False, timeout=WAIT_S) as client:
            answer = client.get(f"{server.url}/api/status", headers={"Authorization": f"Bearer {CONTROL}"})
    finally:
        server.stop()
    assert server.url.startswith("https://") and answer.status_code == 200
