"""The one-folder app (scripts/bundle.sh) in a bare environment: every stage green, a spoken answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.bundle.lights import stage_light_states

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dist" / "ai-anchor-studio" / "ai-anchor-studio"
# A build older than any of these is rebuilt; STUDIO_BUNDLE_REBUILD=1 rebuilds anyway (new packages).
SOURCES = ("studio", "voices", "resources", "pyinstaller.spec", "scripts/bundle.sh")
QUESTION = "What is the capital of France?"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3600),  # a build takes ~15 min on 2 loaded cores
    pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed (apt xvfb)"),
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed"),
]


def _newest_source() -> float:
    """The newest modification time among the files the bundle is built from."""
    paths = (ROOT / name for name in SOURCES)
    files = (f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
    return max(f.stat().st_mtime for f in files if "__pycache__" not in f.parts)


@pytest.fixture(scope="module")
def app() -> Path:
    """dist/ai-anchor-studio/ai-anchor-studio, built now unless a build newer than the sources is there."""
    stale = not APP.is_file() or APP.stat().st_mtime < _newest_source()
    if stale or os.environ.get("STUDIO_BUNDLE_REBUILD") == "1":
        result = subprocess.run(
            ["bash", "scripts/bundle.sh"], cwd=ROOT, capture_output=True, text=True, timeout=3300
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return APP


def _bare_env(home: Path) -> dict[str, str]:
    """What `env -i HOME=... PATH=/usr/bin:/bin` leaves: no venv, no PYTHONPATH, an empty home.

    An Ollama that may run on this machine is pointed away from, so the embedded model answers.
    """
    home.mkdir()
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", "OLLAMA_HOST": "http://127.0.0.1:9"}


def test_the_bundle_opens_the_window_with_every_stage_green(app, tmp_path):
    shot = tmp_path / "shot.png"
    command = ["xvfb-run", "-a", "-s", "-screen 0 1400x900x24", str(app), "--screenshot", str(shot)]
    started = time.perf_counter()
    result = subprocess.run(
        command, env=_bare_env(tmp_path / "home"), cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    print(f"bundle: screenshot after {time.perf_counter() - started:.1f} s")
    assert result.returncode == 0, result.stderr[-3000:]
    assert stage_light_states(shot) == ["ready"] * 5, f"stage lights in {shot}"


def test_the_bundle_answers_a_spoken_question(app, tmp_path):
    wav = tmp_path / "host.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), QUESTION], check=True, timeout=60)
    command = [str(app), "run", "--input", str(wav), "--json"]
    started = time.perf_counter()
    result = subprocess.run(
        command, env=_bare_env(tmp_path / "home"), cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    print(f"bundle: run answered after {time.perf_counter() - started:.1f} s")
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    turn = answer["turns"][0]
    assert "capital" in turn["transcript"].lower() and "france" in turn["transcript"].lower()
    assert turn["reply"].strip(), answer
    assert "smollm2" in answer["stack"]["chat"].lower(), answer["stack"]
