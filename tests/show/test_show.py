"""The show as every face uses it: one command API from any thread, one event stream, reloads in place."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
import soundfile as sf

from studio.audio.outputs import InstantOutput
from studio.backends.contracts import ChatMessage
from studio.config import load_settings
from studio.engine.events import ReplyCaptioned, StageStatusChanged, TurnCompleted
from studio.session.export import read_session
from studio.show import Show
from studio.show.changes import plan_reload
from studio.show.events import (
    AudioOpened,
    FileFeedFinished,
    ReloadFailed,
    SettingsApplied,
    ShowReady,
)
from studio.voices.profile import VoiceProfile
from tests.show.doubles import QUESTION, REPLY, CountingStackFactory, FakeDevices, fixed_stack, quiet, tone

VOICE = VoiceProfile(name="Test", anchor_name="Tess")


class Events:
    """Every event of a show, with the thread it arrived on; waits for the n-th of a kind."""

    def __init__(self, show: Show) -> None:
        self.events: list = []
        self.threads: set[int] = set()
        self._changed = asyncio.Event()
        show.subscribe(self._on_event)

    def _on_event(self, event) -> None:
        self.events.append(event)
        self.threads.add(threading.get_ident())
        self._changed.set()

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    async def nth(self, kind: type, count: int, timeout: float = 20.0):
        async with asyncio.timeout(timeout):
            while len(self.of(kind)) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.of(kind)[count - 1]


def _users(messages: list[ChatMessage]) -> list[str]:
    return [m.content for m in messages if m.role == "user"]


def test_commands_from_any_thread_run_on_the_show_loop(tmp_path):
    async def scenario():
        show = Show(load_settings(), VOICE, stack=fixed_stack(), output=InstantOutput(24_000))
        events = Events(show)
        async with show:
            future = await asyncio.to_thread(show.submit_text, "Hello from another thread")
            done = await events.nth(TurnCompleted, 1)
            assert future.done() and future.exception() is None
            return done, events, threading.get_ident()

    done, events, loop_thread = asyncio.run(scenario())
    assert done.transcript == "Hello from another thread" and done.reply == REPLY
    assert events.threads == {loop_thread}
    assert isinstance(events.events[0], ShowReady)


def test_commands_before_the_show_runs_are_refused_but_settings_and_voice_are_kept():
    show = Show(load_settings(), VOICE, stack=fixed_stack())
    refused = show.push_to_talk(True)
    assert isinstance(refused.exception(timeout=30), RuntimeError)
    changed = load_settings(turn_min_silence_ms=300)
    show.reload_settings(changed).result(timeout=30)
    show.set_voice(VoiceProfile(name="Other")).result(timeout=30)
    assert show.settings is changed and show.voice.name == "Other"


def test_settings_and_devices_change_mid_show_and_only_what_changed_is_rebuilt(tmp_path):
    factory, devices = CountingStackFactory(), FakeDevices()
    settings = load_settings(turn_mode="auto")

    async def scenario():
        show = Show(
            settings, VOICE, stack_factory=factory, audio_factory=devices, session_log=tmp_path / "s.jsonl"
        )
        events = Events(show)
        running = asyncio.create_task(show.run())
        await events.nth(ShowReady, 1)
        engine = show.engine
        await show.asubmit_text("First question")
        await events.nth(TurnCompleted, 1)

        await show.areload_settings(settings.model_copy(update={"turn_min_silence_ms": 300}))
        assert (await events.nth(SettingsApplied, 1)).rebuilt == ("turn policy",)
        await show.aset_devices("Mic B", "Out B", None)
        assert (await events.nth(SettingsApplied, 2)).rebuilt == ("audio",)
        assert len(devices.opened) == 2 and devices.opened[0].closed
        assert show.output is devices.opened[1].program
        await show.areload_settings(
            show.settings.model_copy(update={"OLLAMA_HOST": "http://elsewhere:11434"})
        )
        assert (await events.nth(SettingsApplied, 3)).rebuilt == ("stack",)
        await show.areload_settings(show.settings.model_copy(update={"chat_timeout_s": 3.0}))
        assert (await events.nth(SettingsApplied, 4)).rebuilt == ("supervision",)

        devices.opened[1].mic.say(np.concatenate([quiet(0.2), tone(0.8), quiet(1.0)]))
        third = await events.nth(TurnCompleted, 2)
        assert show.engine is engine and len(factory.stacks) == 2
        show.stop()
        await asyncio.wait_for(running, 10)
        return third, events

    third, events = asyncio.run(scenario())
    assert third.transcript == QUESTION
    assert _users(factory.chat.requests[-1]) == ["First question", QUESTION]
    assert [m.role for m in factory.chat.requests[-1]] == ["system", "user", "assistant", "user"]
    assert [e.stats["mic"]["device"] for e in events.of(AudioOpened)] == ["default", "Mic B"]
    records = read_session(tmp_path / "s.jsonl")
    assert [r["kind"] for r in records].count("session_started") == 1
    assert [r["transcript"] for r in records if r["kind"] == "turn_completed"] == ["First question", QUESTION]


def test_a_reload_that_cannot_load_keeps_the_current_models():
    factory = CountingStackFactory()

    async def failing(settings, progress):
        if factory.stacks:
            raise RuntimeError("connection refused")
        return await factory(settings, progress)

    async def scenario():
        show = Show(load_settings(), VOICE, stack_factory=failing, output=InstantOutput(24_000))
        events = Events(show)
        async with show:
            await show.areload_settings(show.settings.model_copy(update={"stack": "gpu"}))
            failed = await events.nth(ReloadFailed, 1)
            assert (await events.nth(SettingsApplied, 1)).rebuilt == ()
            await show.asubmit_text("Still there?")
            await events.nth(TurnCompleted, 1)
            return failed

    failed = asyncio.run(scenario())
    assert "connection refused" in failed.message and "keeps its current models" in failed.message
    assert _users(factory.chat.requests[-1]) == ["Still there?"]


def test_a_failed_stack_reload_is_tried_again_by_the_next_reload():
    factory, attempts = CountingStackFactory(), []

    async def flaky(settings, progress):
        attempts.append(settings.OLLAMA_HOST)
        if len(attempts) == 2:
            raise RuntimeError("connection refused")
        return await factory(settings, progress)

    async def scenario():
        show = Show(load_settings(), VOICE, stack_factory=flaky, output=InstantOutput(24_000))
        events = Events(show)
        async with show:
            moved = show.settings.model_copy(update={"OLLAMA_HOST": "http://elsewhere:11434"})
            await show.areload_settings(moved)
            await events.nth(ReloadFailed, 1)
            await show.areload_settings(moved.model_copy(update={"vad_threshold": 0.6}))
            return (await events.nth(SettingsApplied, 2)).rebuilt

    assert asyncio.run(scenario()) == ("stack",)
    assert len(factory.stacks) == 2 and attempts[1:] == ["http://elsewhere:11434"] * 2


def test_a_stop_while_the_models_load_ends_the_show_once_they_are_loaded():
    loading, release = threading.Event(), threading.Event()

    async def slow(settings, progress):
        loading.set()
        await asyncio.to_thread(release.wait, 10)
        return fixed_stack()

    async def scenario():
        show = Show(load_settings(), VOICE, stack_factory=slow)
        running = asyncio.create_task(show.run())
        await asyncio.to_thread(loading.wait, 10)
        await asyncio.to_thread(show.stop)  # e.g. the window closes while the models load
        release.set()
        await asyncio.wait_for(running, 10)
        return show

    show = asyncio.run(scenario())
    assert show.engine is None and show.push_to_talk(True).exception(timeout=30) is not None


def test_a_stop_asked_for_before_the_start_is_kept():
    show = Show(load_settings(), VOICE, stack=fixed_stack())
    show.stop()  # the window closed before its show thread got going
    asyncio.run(asyncio.wait_for(show.run(), 10))


def test_fault_injection_comes_from_the_settings():
    async def scenario():
        settings = load_settings(faults="tts:fail:1.0", tts_timeout_s=0.5, health_check_s=0.05)
        show = Show(settings, VOICE, stack=fixed_stack(), output=InstantOutput(24_000))
        events = Events(show)
        async with show:
            await show.asubmit_text("Are you there?")
            await events.nth(TurnCompleted, 1)
            return show.fault_plan, events

    plan, events = asyncio.run(scenario())
    assert plan is not None and plan.injected[("tts", "fail")] >= 1
    assert events.of(ReplyCaptioned)
    assert any(e.stage == "tts" and e.state == "degraded" for e in events.of(StageStatusChanged))


def test_a_file_played_as_the_host_is_answered(tmp_path):
    path = tmp_path / "host.wav"
    sf.write(path, np.concatenate([quiet(0.2), tone(0.8), quiet(1.0)]), 16_000)

    async def scenario():
        show = Show(load_settings(turn_mode="auto"), VOICE, stack=fixed_stack(), output=InstantOutput(24_000))
        events = Events(show)
        running = asyncio.create_task(show.run())
        await events.nth(ShowReady, 1)
        await show.aplay_file(path)
        finished = await events.nth(FileFeedFinished, 1)
        done = await events.nth(TurnCompleted, 1)
        show.stop()
        await asyncio.wait_for(running, 10)
        return finished, done, show.mic_scope

    finished, done, scope = asyncio.run(scenario())
    assert finished.path == str(path) and done.transcript == QUESTION
    assert scope.end >= 16_000  # what the engine heard reached the waveform's scope


@pytest.mark.parametrize(
    ("change", "parts"),
    [
        ({"vad_threshold": 0.7}, ()),
        ({"turn_max_silence_ms": 2000}, ("turn policy",)),
        ({"program_device": "x"}, ("audio",)),
        ({"chat_backend": "ollama"}, ("stack",)),
        ({"chat_backend": "ollama", "tts_timeout_s": 1.0}, ("stack",)),
    ],
)
def test_what_a_settings_change_rebuilds(change, parts):
    old = load_settings()
    assert plan_reload(old, old.model_copy(update=change)).rebuilt() == parts


def test_the_models_load_without_the_collector_and_are_frozen_out_of_it_until_the_show_ends():
    import gc

    collector_on: list[bool] = []
    factory = CountingStackFactory()

    async def watched(settings, progress):
        collector_on.append(gc.isenabled())
        return await factory(settings, progress)

    async def main() -> int:
        async with Show(load_settings(), VOICE, stack_factory=watched, output=InstantOutput(24_000)):
            return gc.get_freeze_count()

    frozen = asyncio.run(main())
    assert collector_on == [False] and gc.isenabled()
    assert frozen > 1_000  # everything alive once the stack loaded: a full collection skips it
    assert gc.get_freeze_count() == 0  # the show closed: its models are the collector's again
