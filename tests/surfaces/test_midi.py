"""MIDI mapping and learn mode, driven with mido messages as rtmidi's callback would hand them over.

The mapping → action logic and the mute light are tested without a MIDI system; a virtual port
round trip runs where the machine has an ALSA sequencer (skipped, and said so, where it has none).
"""

from __future__ import annotations

import concurrent.futures
import socket
import threading
from typing import Any

import mido
import pytest

from studio.config import load_settings
from studio.engine.events import EventBus
from studio.show.events import MicMuteChanged
from studio.surfaces import MidiMapError, MidiSurface, Surfaces, start_surfaces
from studio.surfaces.midi import VIRTUAL_PORT, parse_spec


class RecordingShow:
    """The show's controls as a surface sees them, recording each command; mute publishes its change."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.mic_muted = False
        self.bus = EventBus()  # the show's own bus: subscribing and leaving are the real ones
        self.called = threading.Event()

    def _done(self, name: str, value: Any = None) -> concurrent.futures.Future[Any]:
        self.calls.append((name, value))
        self.called.set()
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_result(None)
        return future

    def push_to_talk(self, pressed: bool):
        return self._done("talk", pressed)

    def interrupt(self):
        return self._done("dump")

    def next_segment(self):
        return self._done("next")

    def back_segment(self):
        return self._done("back")

    def dump(self):
        return self._done("delay_dump")

    def approve_reply(self):
        return self._done("approve")

    def drop_reply(self):
        return self._done("drop_reply")

    def set_mic_muted(self, muted: bool) -> None:
        changed, self.mic_muted = self.mic_muted != muted, muted
        self._done("mute", muted)
        if changed:
            self.bus.publish(MicMuteChanged(muted))

    def subscribe(self, subscriber) -> None:
        self.bus.subscribe(subscriber)

    def unsubscribe(self, subscriber) -> None:
        self.bus.unsubscribe(subscriber)


class FakePort:
    """An output port that keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[mido.Message] = []

    def send(self, message: mido.Message) -> None:
        self.sent.append(message)


MAPPING = {
    "talk": "note:1:36",
    "dump": "note:1:37",
    "mute": "note:10:38",
    "next": "cc:1:20",
    "back": "cc:1:21",
}


def test_mapped_notes_and_ccs_become_show_actions_and_mute_is_lit():
    show, port = RecordingShow(), FakePort()
    surface = MidiSurface(show, MAPPING, port)
    for message in (
        mido.Message("note_on", channel=0, note=36, velocity=100),  # talk pressed
        mido.Message("note_off", channel=0, note=36),  # released
        mido.Message("note_on", channel=0, note=37, velocity=90),  # dump
        mido.Message("note_off", channel=0, note=37),  # a trigger's release does nothing
        mido.Message("note_on", channel=9, note=38, velocity=127),  # mute pad: toggles on
        mido.Message("note_off", channel=9, note=38),
        mido.Message("note_on", channel=9, note=38, velocity=127),  # and off
        mido.Message("control_change", channel=0, control=20, value=127),  # next
        mido.Message("control_change", channel=0, control=20, value=0),
        mido.Message("control_change", channel=0, control=21, value=127),  # back
        mido.Message("note_on", channel=1, note=36, velocity=100),  # another channel: not mapped
        mido.Message("pitchwheel", channel=0, pitch=100),  # not mappable
    ):
        surface.handle(message)
    assert show.calls == [
        ("talk", True),
        ("talk", False),
        ("dump", None),
        ("mute", True),
        ("mute", False),
        ("next", None),
        ("back", None),
    ]
    assert port.sent == [
        mido.Message("note_on", channel=9, note=38, velocity=127),
        mido.Message("note_on", channel=9, note=38, velocity=0),
    ]


def test_a_mute_cc_sets_the_state_and_is_lit_as_a_cc():
    show, port = RecordingShow(), FakePort()
    surface = MidiSurface(show, {"mute": "cc:2:64"}, port)
    surface.handle(mido.Message("control_change", channel=1, control=64, value=127))
    surface.handle(mido.Message("control_change", channel=1, control=64, value=127))  # already on
    surface.handle(mido.Message("control_change", channel=1, control=64, value=0))
    assert show.calls == [("mute", True), ("mute", True), ("mute", False)]
    assert [m.value for m in port.sent] == [127, 0] and {m.control for m in port.sent} == {64}


def test_learn_mode_maps_the_next_pad_and_replaces_the_old_control():
    show, learned = RecordingShow(), []
    surface = MidiSurface(show, {"mute": "note:1:40"})
    surface.learn("mute", lambda action, spec: learned.append((action, spec)))
    assert surface.learning == "mute"
    surface.handle(mido.Message("note_off", channel=2, note=50))  # a release is not a press: still learning
    surface.handle(mido.Message("note_on", channel=2, note=50, velocity=80))  # learned, not performed
    assert learned == [("mute", "note:3:50")] and surface.learning is None and show.calls == []
    assert surface.mapping == {"mute": "note:3:50"}
    surface.handle(mido.Message("note_on", channel=0, note=40, velocity=80))  # the old pad: unmapped now
    surface.handle(mido.Message("note_on", channel=2, note=50, velocity=80))
    assert show.calls == [("mute", True)]
    surface.learn("next")
    surface.handle(mido.Message("control_change", channel=0, control=7, value=100))
    assert surface.mapping == {"mute": "note:3:50", "next": "cc:1:7"}


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({"mute": "note:0:38"}, "not 'note:CHANNEL:NOTE'"),
        ({"mute": "pad:1:38"}, "not 'note:CHANNEL:NOTE'"),
        ({"mute": "cc:1:128"}, "not 'note:CHANNEL:NOTE'"),
        ({"applause": "note:1:38"}, "unknown action 'applause'"),
    ],
)
def test_a_bad_mapping_is_named(mapping, expected):
    with pytest.raises(MidiMapError, match=expected):
        MidiSurface(RecordingShow(), mapping)
    with pytest.raises(MidiMapError, match="unknown action"):
        MidiSurface(RecordingShow(), {}).learn("applause")


def test_specs_parse_to_mido_channels():
    assert parse_spec("note:10:38") == ("note", 9, 38) and parse_spec(" CC:1:0 ") == ("cc", 0, 0)


def _virtual_ports_work() -> str | None:
    """None where ALSA's sequencer lets rtmidi open a virtual port; else why not."""
    try:
        mido.open_output("studio-probe", virtual=True).close()
    except Exception as exc:  # rtmidi's SystemError without /dev/snd/seq
        return f"no MIDI system here ({exc}); mapping and learn are tested with mido messages directly"
    return None


def test_settings_with_midi_report_a_missing_midi_system_instead_of_failing():
    reason = _virtual_ports_work()
    show = RecordingShow()
    surfaces = start_surfaces(show, load_settings(osc_enabled=False, midi_enabled=True, midi_map=MAPPING))
    try:
        if reason is None:
            assert surfaces.midi is not None and not surfaces.problems
        else:
            assert surfaces.midi is None and surfaces.problems[0].startswith("MIDI off: ")
    finally:
        surfaces.close()
    bad = start_surfaces(
        show, load_settings(osc_enabled=False, midi_enabled=True, midi_map={"x": "note:1:1"})
    )
    assert bad.midi is None and "unknown action 'x'" in bad.problems[0] and "fix midi_map" in bad.problems[0]


def test_a_virtual_port_round_trip():
    reason = _virtual_ports_work()
    if reason is not None:
        pytest.skip(reason)
    show = RecordingShow()
    surfaces = start_surfaces(show, load_settings(osc_enabled=False, midi_enabled=True, midi_map=MAPPING))
    try:
        with mido.open_output(VIRTUAL_PORT) as pads, mido.open_input(VIRTUAL_PORT) as lights:
            pads.send(mido.Message("note_on", channel=9, note=38, velocity=127))
            assert show.called.wait(10) and show.calls == [("mute", True)]
            assert lights.receive() == mido.Message("note_on", channel=9, note=38, velocity=127)
    finally:
        surfaces.close()


def test_approval_and_the_delay_dump_are_mappable_and_fire_on_the_press():
    show = RecordingShow()
    mapping = {"approve": "note:1:40", "drop_reply": "note:1:41", "delay_dump": "cc:1:22"}
    surface = MidiSurface(show, mapping)
    assert surface.mapping == mapping
    for message in (
        mido.Message("note_on", note=40, velocity=100),
        mido.Message("note_off", note=40),  # a release does nothing
        mido.Message("note_on", note=41, velocity=90),
        mido.Message("control_change", control=22, value=127),
        mido.Message("control_change", control=22, value=0),
    ):
        surface.handle(message)
    assert show.calls == [("approve", None), ("drop_reply", None), ("delay_dump", None)]


def test_a_closed_surface_leaves_the_show():
    show, old_port, new_port = RecordingShow(), FakePort(), FakePort()
    surfaces = Surfaces()
    old = MidiSurface(show, {"mute": "note:1:40"}, old_port)
    surfaces.midi = old
    surfaces.close()
    assert old.output is None and show.bus.subscribers == 0
    new = MidiSurface(show, {"mute": "note:1:40"}, new_port)
    show.set_mic_muted(True)
    assert old_port.sent == [] and [m.velocity for m in new_port.sent] == [127]
    assert show.bus.subscribers == 1
    new.close()
    new.close()  # idempotent
    show.set_mic_muted(False)
    assert [m.velocity for m in new_port.sent] == [127] and show.bus.subscribers == 0


def test_restarting_the_surfaces_leaves_only_the_running_ones_on_the_show():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    show = RecordingShow()
    settings = load_settings(osc_port=port, midi_enabled=True, midi_map=MAPPING)
    surfaces = start_surfaces(show, settings)  # MIDI too where there is an ALSA sequencer
    try:
        for _ in range(5):
            surfaces.restart(show, settings)
        assert surfaces.osc is not None and show.bus.subscribers == 1 + (surfaces.midi is not None)
    finally:
        surfaces.close()
    assert show.bus.subscribers == 0
