"""Alerts in the window's banner, without Qt: a slow turn or a full GPU joins it until cleared."""

from __future__ import annotations

from studio.show.alerts import AlertCleared, AlertRaised
from studio.ui.window_presenter import StudioPresenter
from studio.voices.catalog import VoiceCatalog
from tests.presenters.fakes import FakeShow, FakeView, Memory, settings


def _presenter() -> tuple[StudioPresenter, FakeView]:
    voices = VoiceCatalog(None).profiles()
    view = FakeView()
    return StudioPresenter(view, FakeShow(voices[0]), Memory(), settings(), voices), view


def test_a_slow_turn_is_on_the_banner_until_a_fast_one_clears_it() -> None:
    presenter, view = _presenter()
    presenter.on_event_emitted(
        AlertRaised("latency", "turn 3: voice-to-voice 2400 ms, over the 2000 ms limit")
    )
    assert view.banner is not None and view.banner.severity == "degraded"
    assert view.banner.text == "Alert: turn 3: voice-to-voice 2400 ms, over the 2000 ms limit"
    presenter.on_event_emitted(AlertCleared("latency", "back under"))
    assert view.banner is None


def test_alerts_join_a_stage_banner_and_a_stage_down_alert_is_not_said_twice() -> None:
    presenter, view = _presenter()
    presenter.on_stage_status_changed("chat", "ollama", "down", "connection refused")
    presenter.on_event_emitted(AlertRaised("stage_down", "chat is down: connection refused", subject="chat"))
    stage_only = view.banner.text
    assert "Alert" not in stage_only and view.banner.severity == "down"
    presenter.on_event_emitted(AlertRaised("gpu_memory", "GPU memory 95% used", 0.95, 0.9, "Fake GPU"))
    assert view.banner.text == stage_only + " · Alert: GPU memory 95% used"
    assert view.banner.severity == "down"
