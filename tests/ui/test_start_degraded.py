"""The window opens with a stage that cannot serve: red or amber light, banner, fallbacks work, and
the light turns green by itself when the server comes up (or the model is pulled from the window).

The chat servers are real local ones that behave like vLLM's OpenAI API and Ollama's API; the
other stages are fast fixed-delay doubles.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QImage

from studio.backends.registry import load_stage
from studio.bench.queued_mic import QueuedMicrophone
from studio.config import SEED_CHAT_MODEL, load_settings
from studio.ui.main_window import StudioWindow
from studio.ui.show_thread import ShowThread
from studio.voices.catalog import VoiceCatalog
from tests.fake_ollama import FakeOllama
from tests.gpu.servers import ChatApp, ThreadedServer
from tests.show.doubles import fixed_stack
from tests.ui.conftest import FAKE_DEVICES

QUICK = {"health_check_s": 0.05, "health_check_max_s": 0.2}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def chat_stack(name: str):
    """Fixed-delay stages, and the real `name` chat client with whatever its preflight found."""

    async def factory(settings, progress):
        stack = fixed_stack()
        progress("chat", name, "loading")
        chat, problem = await load_stage("chat", name, settings)
        progress("chat", chat.info.name, problem.state if problem else "ready")
        stack.chat = chat
        if problem is not None:
            stack.problems["chat"] = problem
        return stack

    return factory


@pytest.fixture
def window_for(qtbot):
    windows: list[StudioWindow] = []

    def start(settings) -> StudioWindow:
        voices = VoiceCatalog(None).profiles()
        name = settings.chat_backend
        show = ShowThread(
            settings, voices[0], stack_factory=chat_stack(name), source_factory=QueuedMicrophone().source
        )
        window = StudioWindow(settings, voices, show, lambda: FAKE_DEVICES)
        qtbot.addWidget(window)
        windows.append(window)
        with qtbot.waitSignal(window.engine.engine_ready, timeout=30_000):
            window.start()
        return window

    yield start
    for window in windows:
        window.close()
        assert not window.engine.isRunning()


def test_window_opens_with_the_chat_server_down_and_goes_green_when_it_comes_up(qtbot, window_for):
    port = free_port()
    app = ChatApp("mistral-small", ("Good", " evening", "."))
    late = ThreadedServer(app.app)
    late.port = port
    settings = load_settings(chat_backend="openai", OPENAI_CHAT_URL=f"http://127.0.0.1:{port}/v1", **QUICK)
    window = window_for(settings)
    chat = window.lights.lights["chat"]
    assert chat.state == "down" and "is unreachable" in chat.detail
    assert window.banner.isVisible() and "LLM down" in window.banner.text()
    assert not window.pull_bar.isVisible()  # nothing to pull from an OpenAI-compatible server
    with qtbot.waitSignal(window.engine.turn_completed, timeout=20_000) as fallback:
        window.engine.submit_text("Are you there?")
    assert fallback.args[0].reply and fallback.args[0].reply != "Good evening."
    try:
        late.start()
        qtbot.waitUntil(lambda: chat.state == "ready", timeout=20_000)
        assert not window.banner.isVisible()
        with qtbot.waitSignal(window.engine.turn_completed, timeout=20_000) as real:
            window.engine.submit_text("Good evening?")
        assert real.args[0].reply == "Good evening."
    finally:
        late.stop()


def test_a_model_not_pulled_is_amber_with_a_pull_button_that_turns_it_green(qtbot, window_for):
    with FakeOllama(models=("llama3.2:latest",), reply=("Glad", " to", " be", " here", ".")) as ollama:
        slow_checks = {"health_check_s": 60.0, "health_check_max_s": 60.0}  # green comes from the pull
        window = window_for(load_settings(chat_backend="ollama", OLLAMA_HOST=ollama.url, **slow_checks))
        chat, bar = window.lights.lights["chat"], window.pull_bar
        assert chat.state == "degraded" and "model not pulled" in chat.detail
        assert bar.isVisible() and SEED_CHAT_MODEL in bar.message.text()
        bar.button.click()
        qtbot.waitUntil(lambda: chat.state == "ready", timeout=20_000)
        assert not bar.isVisible() and SEED_CHAT_MODEL in ollama.models
        with qtbot.waitSignal(window.engine.turn_completed, timeout=20_000) as real:
            window.engine.submit_text("How are you?")
    assert real.args[0].reply == "Glad to be here."


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed (apt xvfb)")
def test_screenshot_of_a_degraded_studio_exits_0(tmp_path):
    """The gpu stack with no server up: three stages down, the window still opens and is shot."""
    shot, closed = tmp_path / "degraded.png", f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "STACK": "gpu"}
    env.update(VOXTRAL_URL=closed, OLLAMA_HOST=closed, HIGGS_AUDIO_URL=closed)
    command = [sys.executable, "-m", "studio.cli", "--screenshot", str(shot)]
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1400x900x24", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 800
    colours = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, 120, 2)}
    red = sum(1 for c in colours if (c >> 16 & 0xFF) > 200 and (c >> 8 & 0xFF) < 110 and (c & 0xFF) < 110)
    assert red > 0, "no red (down) light or banner at the top of the screenshot"
