"""`run --rundown FILE`: a bad file or an unknown voice stops the run before any model loads; a good
one starts its first segment with the show, so the chat request carries it and the log records it."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
import soundfile as sf

from studio.audio.recording import open_host_recording
from studio.cli import main
from studio.commands.common import EXIT_BAD_INPUT
from studio.config import load_settings
from studio.headless import RunRequest, run_show
from studio.rundown import parse_rundown
from studio.voices.catalog import VoiceCatalog
from tests.fake_ollama import FakeOllama
from tests.rundown.helpers import ISSUE_EXAMPLE
from tests.rundown.test_show_rundown import _stack, _system
from tests.show.doubles import quiet, tone


@pytest.fixture
def host_wav(tmp_path):
    path = tmp_path / "host.wav"
    sf.write(path, np.concatenate([quiet(0.3), tone(1.0), quiet(0.5)]), 16_000)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[segment]]\ntitle = "Headlines"\nminutes = 0\n',
            'segment 1 ("Headlines"): minutes = 0 is invalid',
        ),
        (
            '[[segment]]\ntitle = "Headlines"\nminutes = 4\nvoice = "Ghost"\n',
            "voice 'Ghost' is not installed",
        ),
    ],
)
def test_a_bad_rundown_stops_run_before_the_models_load(host_wav, tmp_path, capsys, text, expected):
    rundown = tmp_path / "show.toml"
    rundown.write_text(text, encoding="utf-8")
    assert main(["run", "--input", str(host_wav), "--rundown", str(rundown)]) == EXIT_BAD_INPUT
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("ai-anchor-studio: error: ") and expected in line and str(rundown) in line


def test_run_with_a_rundown_tells_the_anchor_its_first_segment(host_wav, tmp_path):
    log = tmp_path / "session.jsonl"
    voice = VoiceCatalog(None).profiles()[0]
    with FakeOllama() as server:
        settings = load_settings(OLLAMA_HOST=server.url, OLLAMA_MODEL_NAME="llama3.2")
        request = RunRequest(
            open_host_recording(host_wav),
            None,
            voice,
            fast=True,
            as_json=True,
            session_log=log,
            rundown=parse_rundown(ISSUE_EXAMPLE),
        )
        result = asyncio.run(run_show(settings, request, stack=_stack(server.url)))
        system = _system(server.chat_requests[-1])
    assert len(result["turns"]) == 1
    assert 'segment 1 of 1, "Headlines"' in system and "Open with the storm warning." in system
    assert "Time left in this segment: " in system  # the real clock: the figure is not asserted
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["title"] for r in records if r["kind"] == "segment"] == ["Headlines"]


def test_serve_refuses_a_bad_rundown_before_anything_starts(tmp_path, capsys):
    rundown = tmp_path / "show.toml"
    rundown.write_text("[[segment]]\nminutes = 4\n", encoding="utf-8")
    assert main(["serve", "--port", "0", "--rundown", str(rundown)]) == EXIT_BAD_INPUT
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "segment 1: field 'title' is missing" in line and str(rundown) in line


def test_serve_gives_its_show_the_rundown():
    from studio.commands.serve import live_show

    voice = VoiceCatalog(None).profiles()[0]
    show = live_show(load_settings(), voice, parse_rundown(ISSUE_EXAMPLE))
    status = show.rundown_status()
    assert status is not None and not status.started and status.next.title == "Headlines"
    assert live_show(load_settings(), voice).rundown_status() is None
