"""Routing variables while streams open: always present, one opener at a time, a hung one taken over."""

from __future__ import annotations

import os
import threading

from studio.audio.pulse_env import DEFAULT_NAMES, RoutingTurns, ensure_present


def test_routing_variables_always_exist_so_setting_one_never_grows_the_environment():
    ensure_present()
    assert os.environ["PULSE_SINK"] and os.environ["PULSE_SOURCE"]
    turns = RoutingTurns()
    before = os.environ["PULSE_SINK"]
    with turns.hold() as turn:
        turn.route("PULSE_SINK", "ai_anchor_out")
        assert os.environ["PULSE_SINK"] == "ai_anchor_out"
        turn.put_back()
        assert os.environ["PULSE_SINK"] == before
    assert set(DEFAULT_NAMES) <= set(os.environ)


def test_a_hung_opener_is_taken_over_and_cannot_undo_the_next_ones_routing():
    turns = RoutingTurns(max_hold_s=0.3)
    before = os.environ["PULSE_SINK"]
    routed, release_hung = threading.Event(), threading.Event()
    outcome: dict[str, bool] = {}

    def hung_opener() -> None:
        with turns.hold() as turn:
            turn.route("PULSE_SINK", "sink_that_hangs")
            routed.set()
            release_hung.wait()  # the driver call that never returns (until the test lets it)
            outcome["still_held"] = turn.held
            turn.put_back()  # late: must not touch the next opener's routing

    hung = threading.Thread(target=hung_opener)
    hung.start()
    assert routed.wait(10)
    with turns.hold() as turn:  # waits out the hung turn, then takes it over
        assert os.environ["PULSE_SINK"] == before, "the taken-over routing was put back first"
        turn.route("PULSE_SINK", "next_sink")
        release_hung.set()
        hung.join(10)
        assert os.environ["PULSE_SINK"] == "next_sink"
    assert outcome == {"still_held": False}
    assert turns.taken_over == 1
    assert os.environ["PULSE_SINK"] == before


def test_openers_take_turns_in_order_when_none_hangs():
    turns = RoutingTurns(max_hold_s=60)
    inside: list[int] = []
    overlap = threading.Event()
    first_in, second_waiting = threading.Event(), threading.Event()

    def opener(number: int, entered: threading.Event, go_on: threading.Event) -> None:
        with turns.hold():
            if inside:
                overlap.set()
            inside.append(number)
            entered.set()
            go_on.wait(10)
            inside.remove(number)

    release_first, second_in = threading.Event(), threading.Event()
    first = threading.Thread(target=opener, args=(1, first_in, release_first))
    first.start()
    assert first_in.wait(10)
    second = threading.Thread(target=opener, args=(2, second_in, second_waiting))
    second.start()
    assert not second_in.wait(0.2), "the second opener waits while the first holds the turn"
    release_first.set()
    assert second_in.wait(10)
    second_waiting.set()
    first.join(10)
    second.join(10)
    assert not overlap.is_set() and turns.taken_over == 0
