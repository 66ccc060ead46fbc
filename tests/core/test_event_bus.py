"""The event bus: every subscriber sees every event in order; a raising one is loud, never fatal."""

from __future__ import annotations

import logging

import pytest

from studio.engine.events import SUBSCRIBER_FAILED, EventBus, HostSpeechStarted, TurnDiscarded


@pytest.mark.subscriber_failure_expected
def test_a_raising_subscriber_is_logged_with_its_traceback_and_the_others_still_get_the_event(caplog):
    bus, seen = EventBus(), []

    def broken(event):
        raise ValueError("consumer bug")

    bus.subscribe(seen.append)
    bus.subscribe(broken)
    bus.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger="studio.engine.events"):
        events = [HostSpeechStarted(1), TurnDiscarded(1, "noise")]
        for event in events:
            bus.publish(event)
    assert seen == [events[0], events[0], events[1], events[1]]
    failures = [r for r in caplog.records if r.getMessage().startswith(SUBSCRIBER_FAILED)]
    assert len(failures) == 2 and failures[0].exc_info[0] is ValueError
    assert "HostSpeechStarted" in failures[0].getMessage()
