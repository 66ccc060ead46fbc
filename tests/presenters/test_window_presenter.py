"""The studio window's decisions without Qt: show events in, what the view shows and the show is told out."""

from __future__ import annotations

import subprocess
import sys

import pytest

from studio.engine.events import HostLineResumed, ReplyCaptioned, TurnCompleted
from studio.ui.stage_board import STAGES
from studio.ui.window_presenter import StudioPresenter
from studio.voices.catalog import VoiceCatalog
from tests.presenters.fakes import FakeShow, FakeView, Memory, settings


@pytest.fixture
def voices():
    return VoiceCatalog(None).profiles()  # Ava, Max


@pytest.fixture
def make(voices):
    def make(memory: Memory | None = None, **changes):
        view, show = FakeView(), FakeShow(voices[0])
        presenter = StudioPresenter(view, show, memory or Memory(), settings(**changes), voices)
        return presenter, view, show

    return make


def _turn(turn_id: int, transcript: str, reply: str, *, heard: str | None = None) -> TurnCompleted:
    return TurnCompleted(
        turn_id=turn_id,
        transcript=transcript,
        reply=reply,
        heard=reply if heard is None else heard,
        interrupted=heard is not None,
        latency_ms={"voice_to_voice": 900.0},
        audio_seconds=2.0,
    )


def test_the_presenters_never_import_qt():
    modules = "window_presenter, device_presenter, device_choices, stage_board, stall_sampler, window_ports"
    code = f"import sys; from studio.ui import {modules}; assert not [m for m in sys.modules if 'Qt' in m]"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_a_troubled_stage_lights_up_notes_it_and_the_banner_goes_when_it_recovers(make):
    presenter, view, _show = make()
    presenter.on_stage_status_changed("chat", "ollama", "down", "connection refused")
    assert view.lights["chat"] == ("ollama", "down", "connection refused")
    assert view.banner is not None and view.banner.severity == "down"
    assert "prepared lines" in view.banner.text and "connection refused" in view.banner.text
    assert presenter.log.entries[-1].text == "chat down: connection refused"
    presenter.on_stage_status_changed("tts", "piper", "degraded", "")
    assert view.banner.severity == "down" and "captions" in view.banner.text
    presenter.on_stage_status_changed("chat", "ollama", "ready", "")
    assert view.banner.severity == "degraded" and "LLM" not in view.banner.text
    presenter.on_stage_status_changed("tts", "piper", "ready", "")
    assert view.banner is None


def test_choices_made_while_loading_reach_the_show_when_it_is_ready(make, voices):
    presenter, view, show = make(turn_mode="auto")
    presenter.set_mode("push_to_talk")
    presenter.choose_voice(1)
    presenter.on_stage_status_changed("vad", "silero", "ready", "")
    presenter.on_engine_ready({"preset": "cpu", "vad": "silero", "stt": "whisper", "chat": "smollm2"})
    assert presenter.ready
    assert show.named("set_mode")[-1] == ("push_to_talk",) and show.voice is voices[1]
    assert view.lights["stt"] == ("whisper", "ready", "") and "preset" not in view.lights
    assert "turn" not in view.lights  # a stage the ready signal does not name keeps its light
    assert view.statuses[-1] == "On air — vad: silero, stt: whisper, chat: smollm2"


def test_a_failed_stack_turns_every_light_red_and_says_the_window_stays_up(make):
    presenter, view, _show = make()
    presenter.on_engine_failed("out of memory")
    assert not presenter.ready
    assert {stage: light[1] for stage, light in view.lights.items()} == dict.fromkeys(STAGES, "down")
    assert view.banner is not None and view.banner.severity == "down"
    assert view.banner.text.startswith("The model stack stopped: out of memory.")


def test_talk_only_counts_in_push_to_talk_and_the_key_lights_the_button(make):
    presenter, view, show = make(turn_mode="auto")
    presenter.talk(True)
    presenter.hotkey_talk(True)
    assert show.named("push_to_talk") == [] and view.held == []
    presenter.set_mode("push_to_talk")
    presenter.hotkey_talk(True)
    presenter.talk(False)
    assert show.named("push_to_talk") == [(True,), (False,)] and view.held == [True]
    assert presenter.memory["mode"] == "push_to_talk"


def test_a_turn_fills_the_transcript_and_the_latency_plot(make):
    presenter, view, _show = make()
    presenter.on_host_speech_started(1)
    presenter.on_transcript_updated(1, "what is the", False)
    presenter.on_reply_clause_started(1, "Good evening,")
    presenter.on_turn_completed(_turn(1, "What is the news?", "Good evening, the news."))
    host, anchor = presenter.log.entries
    assert (host.text, host.final) == ("What is the news?", True)  # the final came with the turn
    assert (anchor.text, anchor.final) == ("Good evening, the news.", True)
    assert view.latencies == [{"voice_to_voice": 900.0}] and view.refreshed == 4


def test_an_empty_discarded_line_leaves_the_transcript_and_captions_are_shown(make):
    presenter, view, _show = make()
    presenter.on_host_speech_started(1)
    presenter.on_turn_discarded(1, "too short")
    assert presenter.log.entries == [] and view.rebuilt == 1 and view.statuses[-1] == "No turn: too short"
    presenter.on_event_emitted(ReplyCaptioned(2, "Here is the news.", "tts down"))
    presenter.on_event_emitted(HostLineResumed(3, "pause"))
    assert [e.text for e in presenter.log.entries] == ["Here is the news.", ""]
    assert view.statuses[-1] == "Caption only: tts down"


def test_a_voice_pick_is_spoken_next_remembered_and_kept_across_a_reload(make, voices):
    presenter, view, show = make()
    presenter.choose_voice(1)
    assert show.voice is voices[1] and presenter.memory["voice"] == "Max"
    assert view.statuses[-1] == "Voice Max from the next reply"
    presenter.set_voices(list(reversed(voices)))
    assert view.voices == (["Max", "Ava"], 0) and presenter.current_voice() is voices[1]
    presenter.set_voices([voices[0]])  # the voice on show was deleted: the first one speaks
    assert view.voices == (["Ava"], 0) and show.voice is voices[0]
    assert presenter.on_voice_renamed("Ava", "Ava Late") and not presenter.on_voice_renamed("Max", "M")


def test_devices_are_remembered_and_reopened_only_when_they_change(make):
    presenter, view, show = make()
    presenter.choose_devices("", "", "")
    assert show.named("set_devices") == [] and presenter.memory["devices/program"] == ""
    presenter.choose_devices("USB mic", "ai_anchor_out", "")
    assert show.named("set_devices") == [("USB mic", "ai_anchor_out", None)]
    assert presenter.settings.program_device == "ai_anchor_out" and presenter.settings.monitor_device is None
    assert view.statuses[-1] == "Opening mic USB mic, program ai_anchor_out, monitor off…"
    presenter.choose_devices("USB mic", "ai_anchor_out", "")
    assert len(show.named("set_devices")) == 1


def test_saved_settings_apply_keys_and_alert_at_once_and_keep_the_devices(make):
    presenter, view, show = make()
    presenter.choose_devices("", "ai_anchor_out", "")
    saved = settings(ptt_hotkey="F9", max_latency_ms=1500, vad_threshold=0.7)
    presenter.apply_settings(saved)
    assert view.keys == ("F9", saved.interrupt_hotkey) and view.alert_ms == 1500
    (reloaded,) = show.named("reload_settings")[-1]
    assert reloaded.vad_threshold == 0.7 and reloaded.program_device == "ai_anchor_out"
    assert presenter.settings is reloaded and view.statuses[-1] == "Settings saved"
    presenter.on_settings_applied(())
    presenter.on_settings_applied(("stack",))
    assert view.statuses[-1] == "Settings applied (rebuilt: stack)"
    presenter.on_reload_failed("no such model")
    assert presenter.log.entries[-1].text == "New settings not applied: no such model"


def test_last_times_mode_and_voice_come_back(make, voices):
    presenter, view, show = make(Memory(mode="push_to_talk", voice="Max"), turn_mode="auto")
    presenter.restore()
    assert view.mode == "push_to_talk"  # the controls report it back through set_mode
    assert view.voices == (["Ava", "Max"], 1) and show.voice is voices[1]
    presenter, view, show = make(Memory(mode="sideways", voice="Nobody"))
    presenter.restore()
    assert view.mode is None and view.voices is None and show.commands == []
