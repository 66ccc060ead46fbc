"""Control surfaces: OSC (Companion, TouchOSC) and MIDI pads drive the show where the host works.

Both turn their messages into the same actions (talk, dump, mute, next, back) on the show's
thread-safe commands and reflect mute back. Threading: each surface runs on its own thread.
"""

from studio.surfaces.actions import ACTIONS, DESCRIPTIONS, perform
from studio.surfaces.midi import MidiMapError, MidiSurface
from studio.surfaces.osc import OscSurface
from studio.surfaces.surfaces import Surfaces, start_surfaces

__all__ = [
    "ACTIONS",
    "DESCRIPTIONS",
    "MidiMapError",
    "MidiSurface",
    "OscSurface",
    "Surfaces",
    "perform",
    "start_surfaces",
]
