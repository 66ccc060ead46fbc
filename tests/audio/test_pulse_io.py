"""Real devices on a private PulseAudio: listing, a reply on the sink's monitor, loudness, device loss."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import numpy as np
import pyloudnorm
import pytest
import scipy.signal
import soxr

from studio.audio.devices import AudioDeviceError, list_devices
from studio.audio.io import AudioIO
from studio.audio.pulse import ANCHOR_SINK, PulseControl
from studio.config import load_settings
from tests.audio.recorder import MonitorRecording
from tests.speech import piper_speech

PROGRAM_RATE = 24_000
LATENCY_MS = 40
REPLY = "Good evening, and welcome to the late show. Tonight we talk about the weather, and the moon."


def reply_audio() -> np.ndarray:
    """The anchor's reply at the program rate, deliberately quiet (the program brings it up)."""
    return soxr.resample(np.asarray(piper_speech(REPLY)) * 0.5, 16_000, PROGRAM_RATE).astype(np.float32)


def align(recorded: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, float]:
    """The part of `recorded` that lines up with `expected`, and their normalised correlation."""
    corr = scipy.signal.correlate(recorded, expected, mode="valid", method="fft")
    lag = int(np.argmax(corr))
    segment = recorded[lag : lag + len(expected)]
    norm = float(np.linalg.norm(segment) * np.linalg.norm(expected) + 1e-9)
    return segment, float(np.dot(segment, expected)) / norm


def skip_if_the_device_starved(program: dict) -> None:
    """A machine too busy to feed the device loses audio, and the studio counts it: then what aired
    cannot be compared with what was played (a visible skip, not a failure of a loaded machine)."""
    if program["underruns"] or program["recreated"] or program.get("stalls"):
        pytest.skip(
            f"the machine starved the audio device: {program['underruns']} underruns, "
            f"reopened {program['recreated']}x (counted by the studio); fidelity not measurable"
        )


def open_io(**kwargs) -> AudioIO:
    return AudioIO(
        load_settings(output_latency_ms=LATENCY_MS), program_device=ANCHOR_SINK, use_mic=False, **kwargs
    )


def test_devices_list_marks_the_null_sink_and_its_monitor(anchor_sink: PulseControl) -> None:
    devices = {(d.name, d.kind): d for d in list_devices()}
    sink = devices[(ANCHOR_SINK, "output")]
    monitor = devices[(f"{ANCHOR_SINK}.monitor", "input")]
    assert sink.is_virtual and monitor.is_virtual
    assert sink.description == "AI_Anchor_Out" and sink.rate > 0


def test_devices_command_json(anchor_sink: PulseControl, capsys: pytest.CaptureFixture[str]) -> None:
    from studio.cli import main

    assert main(["devices", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert any(d["name"] == ANCHOR_SINK and d["is_virtual"] for d in listed["devices"])
    assert "Monitor of AI_Anchor_Out" in listed["obs"]


def test_no_server_is_an_error_not_an_empty_list(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/nothing-here")
    with pytest.raises(AudioDeviceError, match="no audio devices"):
        list_devices()
    from studio.cli import main

    assert main(["devices"]) != 0
    assert "error: no audio devices" in capsys.readouterr().err


def test_unknown_device_name_says_which_exist(anchor_sink: PulseControl) -> None:
    with pytest.raises(AudioDeviceError, match="ai_anchor_out"):
        AudioIO(load_settings(), program_device="No Such Speaker", use_mic=False)


def test_the_program_sinks_monitor_is_never_the_host_mic(anchor_sink: PulseControl) -> None:
    """The only source here is the anchor's own monitor: the mic stays off and says why."""
    monitor = devices_by_name()[(f"{ANCHOR_SINK}.monitor", "input")]
    assert monitor.monitor_of == ANCHOR_SINK
    for named in (None, f"{ANCHOR_SINK}.monitor"):
        io = AudioIO(load_settings(), program_device=ANCHOR_SINK, mic_device=named)
        try:
            stats = io.stats()
        finally:
            io.close()
        assert io.mic is None and stats["mic"] is None
        assert "monitor of 'AI_Anchor_Out'" in stats["mic_note"] and "answer itself" in stats["mic_note"]


def test_a_default_loop_is_passed_over_for_a_real_input(anchor_sink: PulseControl) -> None:
    """Default source = the program's monitor, another input exists: that one is the mic."""
    anchor_sink.create_anchor_sink("studio_desk_mic", "Desk_Mic")
    try:
        anchor_sink._call(lambda pulse: pulse.source_default_set(f"{ANCHOR_SINK}.monitor"))
        assert devices_by_name()[(f"{ANCHOR_SINK}.monitor", "input")].default
        io = AudioIO(load_settings(), program_device=ANCHOR_SINK)
        try:
            stats = io.stats()
        finally:
            io.close()
        assert stats["mic"]["device"] == "studio_desk_mic.monitor"
        assert "using 'Monitor of Desk_Mic'" in stats["mic_note"]
    finally:
        anchor_sink.remove_anchor_sink("studio_desk_mic")


def devices_by_name() -> dict:
    return {(d.name, d.kind): d for d in list_devices()}


def test_reply_arrives_on_the_monitor_at_the_target_loudness(anchor_sink: PulseControl, tmp_path) -> None:
    recorder = MonitorRecording(f"{ANCHOR_SINK}.monitor", tmp_path / "monitor.raw")
    recorder.wait_started()
    recording_since = time.monotonic()  # the monitor records from here on, while the device opens too
    io = open_io()
    try:
        audio = reply_audio()

        async def play() -> None:
            for start in range(0, len(audio), 4800):  # TTS-sized chunks
                io.program.write(audio[start : start + 4800])
            await io.program.wait_played(len(audio))

        asyncio.run(play())
        aired = io.program.scope.window(len(audio), end=len(audio))
        stats = io.stats()
        recorder.wait_recorded(time.monotonic() - recording_since + 0.3)  # all of it, and a margin
    finally:
        io.close()
    recorded = recorder.stop()
    assert stats["program"]["state"] == "playing"
    skip_if_the_device_starved(stats["program"])
    expected = soxr.resample(aired, PROGRAM_RATE, recorder.rate)
    segment, similarity = align(recorded, expected)
    assert similarity > 0.95
    loudness = pyloudnorm.Meter(recorder.rate).integrated_loudness(segment.astype(np.float64))
    assert abs(loudness - (-16.0)) <= 1.0
    true_peak = np.abs(soxr.resample(segment, recorder.rate, recorder.rate * 4)).max()
    assert 20 * np.log10(true_peak) <= -1.0 + 0.1


def test_flush_fades_out_instead_of_clicking(anchor_sink: PulseControl, tmp_path) -> None:
    recorder = MonitorRecording(f"{ANCHOR_SINK}.monitor", tmp_path / "monitor.raw")
    recorder.wait_started()
    recording_since = time.monotonic()
    io = open_io()
    try:
        t = np.arange(PROGRAM_RATE * 3) / PROGRAM_RATE
        tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)

        async def play_and_cut() -> int:
            io.program.write(tone)
            await io.program.wait_played(PROGRAM_RATE)  # a second in (later on a busy machine): barge-in
            return io.program.flush()

        dropped = asyncio.run(play_and_cut())
        recorder.wait_recorded(time.monotonic() - recording_since + 0.3)  # the fade, then silence
        program = io.stats()["program"]
    finally:
        io.close()
    recorded = recorder.stop()
    assert dropped > 0
    skip_if_the_device_starved(program)
    played_seconds = (len(tone) - dropped) / PROGRAM_RATE  # handed to the device before the cut
    loud = np.flatnonzero(np.abs(recorded) > 0.01)
    aired_seconds = (loud[-1] - loud[0]) / recorder.rate
    # what was dropped never aired (measured from the cut, which a busy machine makes late)
    assert played_seconds - 0.1 < aired_seconds < played_seconds + 0.2
    tail = recorded[loud[-1] - int(0.004 * recorder.rate) : loud[-1] + 1]
    assert np.abs(tail).max() < 0.5 * np.abs(recorded[loud[0] : loud[-1]]).max()  # faded, not cut


def test_sink_unloaded_mid_reply_then_reloaded(anchor_sink: PulseControl, tmp_path) -> None:
    events: list = []
    changed = threading.Condition()

    def on_event(event) -> None:
        with changed:
            events.append(event)
            changed.notify_all()

    def wait_for(kind: str) -> None:
        with changed:
            assert changed.wait_for(lambda: any(e.kind == kind for e in events), timeout=30), events

    io = open_io(on_event=on_event)
    try:
        audio = np.tile(reply_audio(), 3)

        async def lose_and_recover() -> tuple[int, int]:
            io.program.write(audio)
            await io.program.wait_played(PROGRAM_RATE // 2)
            anchor_sink.remove_anchor_sink()
            await asyncio.to_thread(wait_for, "lost")
            before = io.program.played_samples()
            # the engine's clock must keep going meanwhile (waited for, however busy the machine)
            await asyncio.wait_for(io.program.wait_played(before + int(PROGRAM_RATE * 0.3)), 30.0)
            during = io.program.played_samples()
            anchor_sink.create_anchor_sink()
            await asyncio.to_thread(wait_for, "reconnected")
            return before, during

        before, during = asyncio.run(lose_and_recover())
        assert during - before > PROGRAM_RATE * 0.3
        assert io.stats()["program"]["state"] == "playing"
        assert "lost" in " ".join(e.message() for e in events)
        # After the reconnection the anchor is heard on the sink again.
        recorder = MonitorRecording(f"{ANCHOR_SINK}.monitor", tmp_path / "after.raw")
        recorder.wait_started()

        async def play_more() -> None:
            io.program.flush()
            start = io.program.played_samples()
            io.program.write(reply_audio())
            await io.program.wait_played(start + len(reply_audio()))

        asyncio.run(play_more())
        recorded = recorder.stop()
        assert np.abs(recorded).max() > 0.05
    finally:
        io.close()
        anchor_sink.create_anchor_sink()
