"""Starts the control surfaces the settings ask for (OSC, MIDI) on a show, and stops them.

A surface that cannot start (port taken, no MIDI system) is reported in `problems` and the show
goes on without it: a missing controller must never stop a broadcast. Each surface subscribes to
the show's events and unsubscribes when it closes, so restarting never piles subscribers onto it.
Threading: `start_surfaces` and `close` run on the face's thread (window or `serve`); each surface
then runs on its own thread (see studio.surfaces.osc / .midi).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from studio.config import Settings
from studio.surfaces.actions import ShowControls
from studio.surfaces.midi import VIRTUAL_PORT, MidiMapError, MidiSurface
from studio.surfaces.osc import OscSurface

log = logging.getLogger(__name__)


@dataclass
class Surfaces:
    """The surfaces running on one show, and why any asked for did not start."""

    osc: OscSurface | None = None
    midi: MidiSurface | None = None
    problems: list[str] = field(default_factory=list)
    _ports: list[Any] = field(default_factory=list)

    def close(self) -> None:
        """Stop every surface (each leaves the show's events) and close its ports (idempotent)."""
        if self.osc is not None:
            self.osc.close()
            self.osc = None
        if self.midi is not None:
            self.midi.close()  # no more mute lights: its output port closes next
            self.midi = None
        for port in self._ports:
            with contextlib.suppress(Exception):  # a device already gone
                port.close()
        self._ports.clear()

    def restart(self, show: ShowControls, settings: Settings) -> None:
        """Close, then start again as `settings` ask, in place (whoever holds this object closes them)."""
        self.close()
        fresh = start_surfaces(show, settings)
        self.osc, self.midi, self.problems, self._ports = fresh.osc, fresh.midi, fresh.problems, fresh._ports


def start_surfaces(show: ShowControls, settings: Settings) -> Surfaces:
    """OSC and MIDI as the settings enable them; what failed is in `problems` (and logged)."""
    surfaces = Surfaces()
    if settings.osc_enabled:
        try:
            surfaces.osc = OscSurface(show, settings.osc_host, settings.osc_port).start()
        except OSError as exc:
            surfaces.problems.append(
                f"OSC off: cannot listen on udp://{settings.osc_host}:{settings.osc_port} ({exc})"
            )
    if settings.midi_enabled:
        _start_midi(show, settings, surfaces)
    for problem in surfaces.problems:
        log.warning("%s", problem)
    return surfaces


def _start_midi(show: ShowControls, settings: Settings, surfaces: Surfaces) -> None:
    """The MIDI ports (named, or virtual ones called "AI Anchor Studio") and the surface on them."""
    import mido

    try:  # a bad mapping is named before any port opens
        surface = MidiSurface(show, settings.midi_map)
    except MidiMapError as exc:
        surfaces.problems.append(f"MIDI off: {exc}; fix midi_map in the settings")
        return
    try:
        surface.output = _open(mido.open_output, settings.midi_output)
        surfaces._ports.append(surface.output)
        surfaces._ports.append(_open(mido.open_input, settings.midi_input, callback=surface.handle))
        surfaces.midi = surface
    except Exception as exc:  # rtmidi's SystemError (no ALSA sequencer), a port that is gone, IOError
        surface.close()  # it leaves the show's events; the output port, if it opened, is in _ports
        known = ", ".join(_names()) or "none"
        surfaces.problems.append(f"MIDI off: {exc} (ports: {known}); check the controller or midi_input")


def _open(opener: Any, name: str, **options: Any) -> Any:
    """A named port, or a virtual one other programs and controllers can connect to."""
    return opener(name, **options) if name else opener(VIRTUAL_PORT, virtual=True, **options)


def _names() -> list[str]:
    """The MIDI input ports there are, for the message that says none opened."""
    import mido

    try:
        return list(mido.get_input_names())
    except Exception:  # no MIDI system at all
        return []
