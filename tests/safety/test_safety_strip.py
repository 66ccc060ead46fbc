"""The safety strip's text: how far the delay has built, and the reply waiting for approval."""

from __future__ import annotations

from studio.show.safety import DelayStatus
from studio.ui.safety_strip import describe


def test_describe_says_how_far_the_delay_has_built() -> None:
    assert describe(None, None).delay == "No broadcast delay" and not describe(None, None).delayed
    building = describe(DelayStatus(1.25, 5.0), (3, "Hello there."))
    assert building.delay == "Delay 1.2 / 5.0 s (building)" and building.building
    assert (building.pending_turn, building.pending_text) == (3, "Hello there.")
    assert not describe(DelayStatus(5.0, 5.0), None).building and building.delayed
