"""The voice manager's preview player and reference recorder on a real (private) PulseAudio server."""

from __future__ import annotations

import concurrent.futures
import time

import numpy as np
import soxr

from studio.audio.pulse import ANCHOR_SINK, PulseControl
from studio.ui.clip_player import ClipPlayer
from studio.ui.reference_recorder import MicRecorderFactory, TakeBuffer, trim_silence
from tests.audio.recorder import MonitorRecording
from tests.audio.test_pulse_io import align
from tests.speech import piper_speech, silence

LINE = "This is the voice the anchor will speak with tonight."


def test_preview_plays_the_clip_on_the_chosen_output(anchor_sink: PulseControl, tmp_path) -> None:
    clip = piper_speech(LINE)
    recorder = MonitorRecording(f"{ANCHOR_SINK}.monitor", tmp_path / "monitor.raw")
    recorder.wait_started()
    recording_since = time.monotonic()
    player = ClipPlayer(ANCHOR_SINK)
    try:
        player.play(clip, 16_000).result(timeout=30)  # resolves when the clip has played out
        recorder.wait_recorded(time.monotonic() - recording_since + 0.3)
    finally:
        player.shutdown()
        recorded = recorder.stop()
    _segment, similarity = align(recorded, soxr.resample(clip, 16_000, recorder.rate))
    assert similarity > 0.9


def test_reference_recorder_takes_what_the_mic_hears(anchor_sink: PulseControl) -> None:
    """The sink's monitor is the 'mic'; the preview player speaks into the sink."""
    factory = MicRecorderFactory(f"{ANCHOR_SINK}.monitor")
    assert factory.problem() is None
    mic = factory.open()
    player = ClipPlayer(ANCHOR_SINK)
    clip = np.concatenate([silence(0.5), piper_speech(LINE), silence(0.5)])
    take = TakeBuffer(mic.rate)
    take.armed = True  # the countdown is over
    try:
        done = player.play(clip, 16_000)
        while not concurrent.futures.wait([done], timeout=0.05).done:  # drained as the dialog's timer
            take.drain(mic.ring)
        done.result()
        take.drain(mic.ring)
    finally:
        player.shutdown()
        mic.close()
    audio = trim_silence(take.take(), mic.rate)
    speech = soxr.resample(piper_speech(LINE), 16_000, mic.rate)
    assert abs(len(audio) - len(speech)) < 0.6 * mic.rate  # silence trimmed to about the speech
    _segment, similarity = align(take.take(), speech)
    assert similarity > 0.9


def test_unknown_input_device_is_a_message_not_an_exception(anchor_sink: PulseControl) -> None:
    problem = MicRecorderFactory("No Such Mic").problem()
    assert problem is not None and "No Such Mic" in problem
