"""What the Control surfaces dialog shows and checks, without Qt: rows, validation, what changed, apply.

Per action (studio.surfaces.actions): its global hotkey, its MIDI control and the OSC addresses it
answers to; plus the OSC and MIDI switches and ports. `check` turns the dialog's values into
settings or one message naming the action or field and what to do; `apply_saved` hands the saved
settings to the window's show and global keys, and `apply_to_surfaces` restarts the running
surfaces when their ports changed, else remaps MIDI in place.
Threading: Qt main thread (called by the dialog); plain functions, no Qt, so testable on their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.config import Settings
from studio.surfaces import ACTIONS, MidiMapError, Surfaces
from studio.surfaces.actions import ShowControls
from studio.surfaces.hotkey_bindings import HotkeyError, parse_chord
from studio.surfaces.midi import parse_spec
from studio.surfaces.osc import ADDRESSES, PREFIX

#: The settings whose change needs the surfaces closed and started again (ports, switches).
PORT_KEYS = ("osc_enabled", "osc_host", "osc_port", "midi_enabled", "midi_input", "midi_output")
NOTHING_SAVED = "Nothing was saved."
#: Qt's reading of a chord the host typed: (the chord as the settings keep it, "") or ("", why not).
ChordReader = Callable[[str], tuple[str, str]]


def hotkey_key(action: str) -> str:
    """The setting that holds `action`'s global hotkey."""
    return f"global_hotkey_{action}"


def osc_addresses(action: str) -> list[str]:
    """The OSC addresses that do `action` (dump also answers to /studio/interrupt)."""
    return [f"{PREFIX}/{address}" for address, target in ADDRESSES.items() if target == action]


@dataclass
class SurfaceValues:
    """What the dialog holds: per action a hotkey and a MIDI spec (text), and the ports."""

    hotkeys: dict[str, str] = field(default_factory=dict)
    midi: dict[str, str] = field(default_factory=dict)
    osc_enabled: bool = True
    osc_host: str = "127.0.0.1"
    osc_port: int = 9010
    midi_enabled: bool = False
    midi_input: str = ""
    midi_output: str = ""


def values_of(settings: Settings) -> SurfaceValues:
    """The dialog's starting values: the settings as they are now."""
    return SurfaceValues(
        hotkeys={action: getattr(settings, hotkey_key(action)) for action in ACTIONS},
        midi={action: settings.midi_map.get(action, "") for action in ACTIONS},
        **{key: getattr(settings, key) for key in PORT_KEYS},
    )


def normal_spec(spec: str) -> str:
    """'NOTE:01:36 ' → 'note:1:36' (MidiMapError when malformed)."""
    kind, channel, number = parse_spec(spec)
    return f"{kind}:{channel + 1}:{number}"


def _midi_map(midi: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """action → spec for the rows that have one, or a message naming the action and what to do."""
    mapping: dict[str, str] = {}
    owner: dict[str, str] = {}
    for action in ACTIONS:
        text = midi.get(action, "").strip()
        if not text:
            continue
        try:
            spec = normal_spec(text)
        except MidiMapError:
            return {}, (
                f"MIDI for {action}: {text!r} is not note:CHANNEL:NOTE or cc:CHANNEL:NUMBER (channel 1-16, "
                f"number 0-127), e.g. note:1:36; fix it, press Learn, or clear it. {NOTHING_SAVED}"
            )
        if spec in owner:
            return {}, (
                f"MIDI: {spec} is on both {owner[spec]} and {action}; one pad or knob does one action: "
                f"change or clear one of them. {NOTHING_SAVED}"
            )
        owner[spec], mapping[action] = action, spec
    return mapping, ""


def _hotkeys(values: SurfaceValues, original: Settings, read: ChordReader) -> tuple[dict[str, str], str]:
    """setting → chord for every action, or a message naming the action and what to do.

    A chord the host left as it was is kept as is (an X keysym name Qt does not know still works).
    """
    chords: dict[str, str] = {}
    taken: dict[tuple[frozenset[str], str], str] = {}
    for action in ACTIONS:
        text = values.hotkeys.get(action, "").strip()
        if text and text != getattr(original, hotkey_key(action)).strip():
            text, problem = read(text)
            if problem:
                return {}, f"Global hotkey for {action}: {problem}; or clear it (no key). {NOTHING_SAVED}"
        if text:
            try:
                chord = parse_chord(text)
            except HotkeyError as exc:
                return {}, f"Global hotkey for {action}: {exc}; fix or clear it. {NOTHING_SAVED}"
            key = (chord.modifiers, chord.keysym.lower())
            if key in taken:
                return {}, (
                    f"Global hotkey {text} is on both {taken[key]} and {action}; one key does one "
                    f"action: change or clear one of them. {NOTHING_SAVED}"
                )
            taken[key] = action
        chords[hotkey_key(action)] = text
    return chords, ""


def _ports(values: SurfaceValues) -> tuple[dict[str, Any], str]:
    """The OSC and MIDI switches and ports as settings, or a message naming the field."""
    low, high = _bounds("osc_port")
    if not low <= values.osc_port <= high:
        return (
            {},
            f"OSC port {values.osc_port} is out of range: pick one from {low} to {high}. {NOTHING_SAVED}",
        )
    host = values.osc_host.strip()
    if not host:
        return {}, (
            "OSC host is empty (that would listen on every network): write 127.0.0.1 for this machine "
            f"only. {NOTHING_SAVED}"
        )
    return {
        "osc_enabled": values.osc_enabled,
        "osc_host": host,
        "osc_port": values.osc_port,
        "midi_enabled": values.midi_enabled,
        "midi_input": values.midi_input.strip(),
        "midi_output": values.midi_output.strip(),
    }, ""


def _bounds(name: str) -> tuple[int, int]:
    """A numeric setting's allowed range, as config.py declares it."""
    low, high = 0, 65535
    for rule in Settings.model_fields[name].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high


def check(values: SurfaceValues, original: Settings, read: ChordReader) -> tuple[dict[str, Any], str]:
    """The dialog's values as settings, or ({}, the first problem: which action or field, what to do)."""
    mapping, problem = _midi_map(values.midi)
    if problem:
        return {}, problem
    chords, problem = _hotkeys(values, original, read)
    if problem:
        return {}, problem
    ports, problem = _ports(values)
    if problem:
        return {}, problem
    return {**chords, "midi_map": mapping, **ports}, ""


def changed(original: Settings, checked: Mapping[str, Any]) -> dict[str, Any]:
    """Only the settings that differ from those the dialog opened with."""
    return {key: value for key, value in checked.items() if getattr(original, key) != value}


def apply_to_surfaces(
    surfaces: Surfaces, show: ShowControls, settings: Settings, changes: Mapping[str, Any]
) -> list[str]:
    """Ports or switches changed (or MIDI was off for a bad map): restart; a new map alone: remap.

    Returns what could not start (the surfaces' problems), for the status bar.
    """
    restart = any(key in changes for key in PORT_KEYS) or (
        "midi_map" in changes and settings.midi_enabled and surfaces.midi is None
    )
    if restart:
        surfaces.restart(show, settings)
        return list(surfaces.problems)
    if "midi_map" in changes and surfaces.midi is not None:
        surfaces.midi.remap(settings.midi_map)
    return []


def apply_saved(
    window: Any, surfaces: Surfaces, keys: Any, saved: Settings, changes: Mapping[str, Any]
) -> None:
    """The window's show takes the changed settings (as after the settings dialog), the global keys
    re-grab (`keys`: GlobalKeys, or None), the surfaces restart or remap; the status bar says how."""
    new = window.settings.model_copy(update={key: getattr(saved, key) for key in changes})
    window.presenter.apply_settings(new)  # the show applies; GlobalKeys also follows settings_applied
    if keys is not None:
        keys.settings_changed(window.settings)  # at once, even before the show is ready
    problems = apply_to_surfaces(surfaces, window.engine.show, window.settings, changes)
    window.console.show_status("; ".join(problems) or "Control surfaces saved", 15_000 if problems else 4000)


def midi_port_names() -> tuple[list[str], list[str]]:
    """mido's input and output port names ([] each where there is no MIDI system)."""
    import mido

    try:
        return list(mido.get_input_names()), list(mido.get_output_names())
    except Exception:  # rtmidi's SystemError without an ALSA sequencer, no backend at all
        return [], []


def learn_unavailable(settings: Settings, surfaces: Surfaces | None) -> str:
    """Why Learn cannot work now and what to do, or "" when a MIDI surface is running."""
    if surfaces is not None and surfaces.midi is not None:
        return ""
    typed = "Meanwhile type the control as note:CHANNEL:NOTE or cc:CHANNEL:NUMBER."
    if surfaces is None:
        return f"The control surfaces are not running in this window. {typed}"
    if not settings.midi_enabled:
        return f"MIDI is off: tick “MIDI on”, save, and open this dialog again to learn. {typed}"
    problem = next((p for p in surfaces.problems if p.startswith("MIDI")), "MIDI did not start")
    return (
        f"{problem}. Learn needs a running MIDI input: connect the controller or name its port (a "
        f"virtual port needs the ALSA sequencer: sudo modprobe snd-seq), then save to restart MIDI. {typed}"
    )
