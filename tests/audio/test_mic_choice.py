"""Choosing the host mic: a monitor of an output the anchor plays to is never the mic."""

from __future__ import annotations

import pytest

from studio.audio.devices import AudioDeviceError, DeviceInfo, find_mic


def device(name: str, kind, default: bool = False, monitor_of: str = "", description: str = "") -> DeviceInfo:
    virtual = bool(monitor_of)
    return DeviceInfo(name, kind, virtual, default, 2, 48_000, description or name, "pulse", monitor_of)


PROGRAM = device("anchor_out", "output", description="AI_Anchor_Out")
HEADPHONES = device("headphones", "output", default=True, description="Headphones")
PROGRAM_MONITOR = device("anchor_out.monitor", "input", monitor_of="anchor_out")
HEADPHONES_MONITOR = device("headphones.monitor", "input", monitor_of="headphones")
DESK_MIC = device("desk_mic", "input", description="Desk Mic")


def test_a_real_mic_is_taken_as_is() -> None:
    devices = [PROGRAM, HEADPHONES, PROGRAM_MONITOR, DESK_MIC]
    assert find_mic("desk_mic", devices, [PROGRAM]) == (DESK_MIC, "")
    assert find_mic(None, [*devices[:2], device("desk_mic", "input", default=True)], [PROGRAM])[1] == ""


def test_a_named_loop_is_refused_with_the_reason() -> None:
    mic, note = find_mic("anchor_out.monitor", [PROGRAM, PROGRAM_MONITOR, DESK_MIC], [PROGRAM])
    assert mic is None
    assert "monitor of 'AI_Anchor_Out'" in note and "pick your microphone" in note


def test_the_monitor_output_counts_as_a_loop_too() -> None:
    devices = [PROGRAM, HEADPHONES, HEADPHONES_MONITOR]
    mic, note = find_mic("headphones.monitor", devices, [PROGRAM, HEADPHONES])
    assert mic is None and "'Headphones'" in note


def test_a_monitor_of_an_output_the_studio_does_not_use_is_a_fine_input() -> None:
    """E.g. a guest's call routed through another virtual cable."""
    assert find_mic("headphones.monitor", [PROGRAM, HEADPHONES, HEADPHONES_MONITOR], [PROGRAM]) == (
        HEADPHONES_MONITOR,
        "",
    )


def test_a_default_loop_is_passed_over() -> None:
    loop_default = device("anchor_out.monitor", "input", default=True, monitor_of="anchor_out")
    mic, note = find_mic(None, [PROGRAM, loop_default, DESK_MIC], [PROGRAM])
    assert mic == DESK_MIC and "using 'Desk Mic'" in note


def test_no_input_but_the_loop_means_no_mic_not_an_error() -> None:
    mic, note = find_mic(None, [PROGRAM, PROGRAM_MONITOR], [PROGRAM])
    assert mic is None and note.startswith("no microphone") and "typed lines" in note
    mic, note = find_mic(None, [PROGRAM], [PROGRAM])
    assert mic is None and "no audio input devices" in note


def test_an_unknown_name_is_still_an_error() -> None:
    with pytest.raises(AudioDeviceError, match="choose one of"):
        find_mic("no such mic", [PROGRAM, DESK_MIC], [PROGRAM])
