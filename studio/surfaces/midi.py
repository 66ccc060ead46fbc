"""MIDI control surface (mido + python-rtmidi): pads, keys and knobs drive the show; mute is lit back.

A mapping ties an action to a control: "note:CH:N" (a pad or key) or "cc:CH:N" (a button or knob
sending a control change), channel 1-16 as the controller's manual counts them. Learn mode maps the
next pad pressed or knob moved to an action. Mute state goes back out as note on/off (velocity
127/0) or CC 127/0 on the mute control, so the pad is lit while the host is muted.
Threading: `handle` runs on mido's callback thread (rtmidi's); feedback is sent from the show's
loop; a lock keeps the mapping and learn state consistent between them and the window.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import mido

from studio.show.events import MicMuteChanged
from studio.surfaces.actions import ACTIONS, ShowControls, perform

log = logging.getLogger(__name__)
VIRTUAL_PORT = "AI Anchor Studio"
_SPEC = re.compile(r"^(note|cc):(\d{1,2}):(\d{1,3})$")
Learned = Callable[[str, str], None]


class MidiMapError(ValueError):
    """A mapping in the settings cannot be used; the message names the action and the spec."""


def parse_spec(spec: str) -> tuple[str, int, int]:
    """'note:1:36' → ('note', 0, 36) (mido's 0-based channel); MidiMapError when malformed."""
    found = _SPEC.match(spec.strip().lower())
    if not found or not 1 <= int(found[2]) <= 16 or int(found[3]) > 127:
        raise MidiMapError(
            f"MIDI control {spec!r} is not 'note:CHANNEL:NOTE' or 'cc:CHANNEL:NUMBER' (1-16, 0-127)"
        )
    return found[1], int(found[2]) - 1, int(found[3])


def spec_of(message: mido.Message) -> str | None:
    """The mapping spec a message comes from ('note:1:36'), or None for what cannot be mapped."""
    if message.type in ("note_on", "note_off"):
        return f"note:{message.channel + 1}:{message.note}"
    if message.type == "control_change":
        return f"cc:{message.channel + 1}:{message.control}"
    return None


def check_map(mapping: Mapping[str, str]) -> dict[str, str]:
    """The settings' mapping, validated (known actions, well-formed specs), as spec → action."""
    controls: dict[str, str] = {}
    for action, spec in mapping.items():
        if action not in ACTIONS:
            raise MidiMapError(f"midi_map: unknown action {action!r} (known: {', '.join(ACTIONS)})")
        kind, channel, number = parse_spec(spec)
        controls[f"{kind}:{channel + 1}:{number}"] = action
    return controls


class MidiSurface:
    """Turns MIDI messages into show actions through a mapping; learns new mappings; lights mute."""

    def __init__(
        self,
        show: ShowControls,
        mapping: Mapping[str, str],
        output: Any = None,
    ) -> None:
        """`mapping`: action → spec (the `midi_map` setting); `output`: a mido output port, or None.
        It hears the show's events (mute) until close()."""
        self._show, self.output = show, output  # output: where mute is lit (None: nowhere)
        self._lock = threading.Lock()
        self._controls = check_map(mapping)
        self._learning: tuple[str, Learned | None] | None = None
        show.subscribe(self._on_event)

    def close(self) -> None:
        """Stop listening to the show and lighting mute (idempotent); the ports are the owner's."""
        self._show.unsubscribe(self._on_event)
        self.output = None

    @property
    def mapping(self) -> dict[str, str]:
        """action → spec, as the settings keep it."""
        with self._lock:
            return {action: spec for spec, action in self._controls.items()}

    def learn(self, action: str, learned: Learned | None = None) -> None:
        """The next pad or knob pressed is mapped to `action` (its old control is dropped); then `learned`."""
        if action not in ACTIONS:
            raise MidiMapError(f"unknown action {action!r} (known: {', '.join(ACTIONS)})")
        with self._lock:
            self._learning = (action, learned)

    def remap(self, mapping: Mapping[str, str]) -> None:
        """Use `mapping` (action → spec) from now on, e.g. once the window saved it; learning stops.

        MidiMapError (the old mapping stays) when a spec is malformed or an action unknown.
        """
        controls = check_map(mapping)
        with self._lock:
            self._controls, self._learning = controls, None

    @property
    def learning(self) -> str | None:
        """The action waiting for a pad or knob (None: not learning)."""
        with self._lock:
            return self._learning[0] if self._learning else None

    def handle(self, message: mido.Message) -> None:
        """One incoming message (mido's callback): learn it, or perform its action."""
        spec = spec_of(message)
        if spec is None:
            return
        pressed = _pressed(message)
        with self._lock:
            learning = self._learning
            if learning is not None and pressed:
                self._learning = None
                action = learning[0]
                self._controls = {s: a for s, a in self._controls.items() if a != action}
                self._controls[spec] = action
            action = self._controls.get(spec) if learning is None else None
        if learning is not None:
            if pressed and learning[1] is not None:
                learning[1](learning[0], spec)
            return
        if action == "mute" and message.type != "control_change":
            if pressed:
                perform(self._show, "mute", None)  # a pad toggles; its release does nothing
        elif action is not None:
            perform(self._show, action, pressed)  # talk holds; a CC at >= 64 is on / pressed

    def show_mute(self, muted: bool) -> None:
        """Light (or darken) the mute control on the output port."""
        spec = self.mapping.get("mute")
        if self.output is None or spec is None:
            return
        kind, channel, number = parse_spec(spec)
        if kind == "note":
            message = mido.Message("note_on", channel=channel, note=number, velocity=127 if muted else 0)
        else:
            message = mido.Message(
                "control_change", channel=channel, control=number, value=127 if muted else 0
            )
        try:
            self.output.send(message)
        except Exception as exc:  # a controller unplugged mid-show: the show goes on
            log.warning("MIDI feedback failed: %s", exc)

    def _on_event(self, event: Any) -> None:
        """Show events (on its loop): a mute change lights the mute control."""
        if isinstance(event, MicMuteChanged):
            self.show_mute(event.muted)


def _pressed(message: mido.Message) -> bool:
    """Note on with velocity, or a CC at 64 or more."""
    if message.type == "note_on":
        return message.velocity > 0
    if message.type == "control_change":
        return message.value >= 64
    return False
