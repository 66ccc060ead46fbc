"""Start degraded, never die: a stage that cannot serve at start is red/amber with its reason and
fallback, the show runs anyway, and the stage turns green by itself once its server or model appears.

Against local servers that behave like the real ones: an Ollama without the model (pulled mid-show
through its /api/pull), a Voxtral that starts after the studio, and an in-process model that
is missing at start.
"""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from studio.audio.outputs import InstantOutput
from studio.backends import registry
from studio.backends.ollama_admin import OllamaAdmin
from studio.backends.registry import StackNotReady, build_stack, require_ready
from studio.backends.unavailable import Unavailable
from studio.config import SEED_CHAT_MODEL, load_settings
from studio.engine.events import StageStatusChanged, TurnCompleted
from studio.show import Show
from studio.voices.profile import VoiceProfile
from tests.fake_ollama import FakeOllama
from tests.gpu.servers import PiperEngine, ThreadedServer, TranscriptionApp, speech_server

VOXTRAL = "mistralai/Voxtral-Mini-3B-2507"
AVA = VoiceProfile(name="Ava", anchor_name="Ava")
QUICK = {"health_check_s": 0.05, "health_check_max_s": 0.2}


class Watch:
    """The show's events; waits (on the loop) until one matches."""

    def __init__(self, show: Show) -> None:
        self.events: list = []
        self._changed = asyncio.Event()
        show.subscribe(self._on)

    def _on(self, event) -> None:
        self.events.append(event)
        self._changed.set()

    async def until(self, match, timeout: float = 30.0):
        async with asyncio.timeout(timeout):
            while True:
                found = [e for e in self.events if match(e)]
                if found:
                    return found[-1]
                self._changed.clear()
                await self._changed.wait()

    def stage(self, stage: str, state: str):
        return lambda e: isinstance(e, StageStatusChanged) and e.stage == stage and e.state == state


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def answer(show: Show, watch: Watch, line: str) -> TurnCompleted:
    done = len([e for e in watch.events if isinstance(e, TurnCompleted)])
    await show.asubmit_text(line)
    await watch.until(lambda e: isinstance(e, TurnCompleted) and e.turn_id > done)
    return [e for e in watch.events if isinstance(e, TurnCompleted)][-1]


@pytest.fixture(scope="module")
def piper():
    return PiperEngine(voices=("Ava",))


def test_chat_model_not_pulled_starts_amber_then_goes_green_when_pulled_mid_show(piper):
    with (
        ThreadedServer(TranscriptionApp(VOXTRAL).app) as stt,
        FakeOllama(models=("llama3.2:latest",), reply=("Glad", " to", " be", " here", ".")) as ollama,
        speech_server(piper) as tts,
    ):
        settings = load_settings(
            stack="gpu", VOXTRAL_URL=stt.url, OLLAMA_HOST=ollama.url, HIGGS_AUDIO_URL=tts.url, **QUICK
        )

        async def go():
            show = Show(settings, AVA, output=InstantOutput(settings.SAMPLE_RATE))
            watch = Watch(show)
            async with show:
                serving = asyncio.create_task(show.serve())
                amber = await watch.until(watch.stage("chat", "degraded"))
                assert not [
                    e for e in watch.events if isinstance(e, StageStatusChanged) and e.state == "down"
                ]
                fallback = await answer(show, watch, "Good evening, how are you?")
                pulled = threading.Thread(target=OllamaAdmin(ollama.url).pull, args=(SEED_CHAT_MODEL,))
                pulled.start()
                await watch.until(watch.stage("chat", "ready"))
                await asyncio.to_thread(pulled.join)
                real = await answer(show, watch, "And how is the weather?")
                show.stop()
                await serving
            return amber, fallback, real, watch.events

        amber, fallback, real, events = asyncio.run(go())
    assert amber.action == "pull" and "model not pulled" in amber.detail
    assert "pre-written persona lines" in amber.detail
    assert fallback.reply and fallback.reply != "Glad to be here."
    assert real.reply == "Glad to be here."
    assert [e.state for e in events if isinstance(e, StageStatusChanged) and e.stage == "tts"][-1] == "ready"


def test_a_server_that_starts_after_the_studio_turns_its_stage_green(piper):
    port = free_port()
    late = ThreadedServer(TranscriptionApp(VOXTRAL).app)
    late.port = port
    with FakeOllama(models=(SEED_CHAT_MODEL,)) as ollama, speech_server(piper) as tts:
        settings = load_settings(
            stack="gpu",
            VOXTRAL_URL=f"http://127.0.0.1:{port}/v1",
            OLLAMA_HOST=ollama.url,
            HIGGS_AUDIO_URL=tts.url,
            **QUICK,
        )

        async def go():
            show = Show(settings, AVA, output=InstantOutput(settings.SAMPLE_RATE))
            watch = Watch(show)
            async with show:
                serving = asyncio.create_task(show.serve())
                down = await watch.until(lambda e: watch.stage("stt", "down")(e) and e.detail)
                typed = await answer(show, watch, "Typed lines still work?")
                await asyncio.to_thread(late.start)
                await watch.until(watch.stage("stt", "ready"))
                show.stop()
                await serving
            return down, typed

        try:
            down, typed = asyncio.run(go())
        finally:
            late.stop()
    assert "is unreachable" in down.detail and "typed lines still work" in down.detail
    assert typed.reply  # the chat model answered the typed line while STT was down


def test_an_in_process_model_missing_at_start_is_down_then_loads(monkeypatch):
    attempts = []

    def flaky(settings):
        attempts.append(settings)
        if len(attempts) == 1:
            raise OSError("weights not found at /models/demo.gguf")
        from tests.show.doubles import fixed_stack

        return fixed_stack().chat

    monkeypatch.setitem(registry._REGISTRY["chat"], "smollm2", flaky)
    settings = load_settings(stack="embedded", chat_backend="smollm2", **QUICK)

    async def go():
        stack = await build_stack(settings)
        try:
            problem = stack.problems["chat"]
            with pytest.raises(StackNotReady, match="chat: chat backend 'smollm2' failed to load: weights"):
                require_ready(stack)
            assert isinstance(stack.chat, Unavailable) and not stack.problems.get("stt")
            return problem, await stack.chat.health(), stack.chat.info.name
        finally:
            await stack.aclose()

    problem, healthy, name = asyncio.run(go())
    assert problem.state == "down" and "weights not found" in problem.reason
    assert healthy and name.startswith("fixed-delay chat") and len(attempts) == 2


def test_run_stops_with_exit_code_2_unless_allowed_to_start_degraded(piper, tmp_path, monkeypatch, capsys):
    import json

    import soundfile

    from studio.cli import main
    from tests.speech import piper_speech

    host = tmp_path / "host.wav"
    soundfile.write(host, piper_speech("Good evening, how are you tonight?"), 16_000)
    with (
        ThreadedServer(TranscriptionApp(VOXTRAL).app) as stt,
        FakeOllama(models=("llama3.2:latest",)) as ollama,
        speech_server(piper) as tts,
    ):
        for name, url in (
            ("VOXTRAL_URL", stt.url),
            ("OLLAMA_HOST", ollama.url),
            ("HIGGS_AUDIO_URL", tts.url),
        ):
            monkeypatch.setenv(name, url)
        argv = ["run", "--input", str(host), "--stack", "gpu", "--fast", "--json"]
        refused = main(argv)
        refusal = capsys.readouterr().err
        allowed = main([*argv, "--allow-degraded"])
        report = json.loads(capsys.readouterr().out)
    assert refused == 2 and "model not pulled" in refusal and "--allow-degraded" in refusal
    assert allowed == 0 and report["turns"] and all(turn["reply"] for turn in report["turns"])
    assert ollama.chat_requests == []  # the persona's own lines answered
