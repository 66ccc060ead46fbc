"""A guest mixed with the host's mic: the remote's audio is added to the mic's frames, at the mic's
pace, once a cushion is buffered; the host is still heard while the guest is connected.

The mixer is driven with a live-paced mic stand-in and a real jitter buffer (values that add up
show the sum); over a real server, PUT /api/remote-input switches a running show between a remote
host (in the mic's place) and a guest (beside it).
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator

import numpy as np
import pytest

from studio.config import load_settings, settings_file
from studio.engine.events import TurnCompleted
from studio.session.export import read_session
from studio.web.jitter import JitterBuffer
from studio.web.remote_input import RemoteInput
from tests.show.doubles import QUESTION, quiet, tone
from tests.web.audioclient import frames_of, open_audio
from tests.web.conftest import WAIT_S, Studio

FRAME = 320


def constant_mic(level: float, frames: int) -> object:
    """A mic source that hears `level` in each of `frames` frames, then ends."""

    async def source(frame_samples: int) -> AsyncIterator[np.ndarray]:
        for _ in range(frames):
            await asyncio.sleep(0)
            yield np.full(frame_samples, level, np.float32)

    return source


def mixed_levels(remote_frames: int, mic_frames: int, slack_s: float = 0.04) -> list[float]:
    """The first sample of each mixed frame: mic at 0.1, the remote's `remote_frames` at 0.2."""
    buffer = JitterBuffer()
    for seq in range(remote_frames):
        buffer.push(seq, np.full(FRAME, 0.2, np.float32))
    remote = RemoteInput(buffer, slack_s)

    async def collect() -> list[float]:
        source = remote.mixed_with(constant_mic(0.1, mic_frames))  # type: ignore[arg-type]
        return [round(float(frame[0]), 3) async for frame in source(FRAME)]

    return asyncio.run(collect())


def test_the_remote_is_added_to_the_mic_once_its_cushion_is_buffered() -> None:
    assert mixed_levels(remote_frames=5, mic_frames=8) == [0.3] * 5 + [0.1] * 3


def test_too_little_remote_audio_waits_for_the_cushion_and_the_mic_goes_on() -> None:
    assert mixed_levels(remote_frames=2, mic_frames=4) == [0.1] * 4  # 2 frames < 1 + 40 ms cushion


def test_the_sum_is_clipped_not_wrapped() -> None:
    buffer = JitterBuffer()
    for seq in range(4):
        buffer.push(seq, np.full(FRAME, 0.9, np.float32))

    async def first() -> np.ndarray:
        source = RemoteInput(buffer, 0.0).mixed_with(constant_mic(0.9, 1))  # type: ignore[arg-type]
        frames = [frame async for frame in source(FRAME)]
        return frames[0]

    frame = asyncio.run(first())
    assert float(frame.max()) == 1.0 and frame.dtype == np.float32


def test_a_guest_is_heard_beside_the_host_and_the_host_still_is(studio: Studio) -> None:
    with studio.client() as client:
        answer = client.put("/api/remote-input", json={"mix": True})
        assert answer.status_code == 200 and answer.json() == {"mix": True}
        assert client.get("/api/status").json()["remote_audio_mix"] is True
    with open_audio(studio) as guest:
        for frame in frames_of(np.concatenate([tone(0.6), quiet(0.4)])):
            guest.send(frame)
        assert studio.seen.wait(TurnCompleted).transcript == QUESTION  # the guest, through the mix
        studio.speak()  # the host's own mic is still heard while the guest is connected
        assert studio.seen.wait(TurnCompleted, count=2).transcript == QUESTION


def test_the_remote_input_mode_refuses_anything_but_a_boolean(studio: Studio) -> None:
    with studio.client() as client:
        answer = client.put("/api/remote-input", json={"mix": "yes"})
        assert answer.status_code == 422
        assert client.get("/api/status").json()["remote_audio_mix"] is False


def test_the_setting_switches_a_running_show_and_the_session_log_says_so(studio: Studio) -> None:
    settings = studio.show.settings.model_copy(update={"remote_audio_mix": True})
    studio.show.reload_settings(settings).result(WAIT_S)
    assert studio.show.remote_mix is True
    records = [r for r in read_session(studio.ended()) if r["kind"] == "remote_input_mode"]
    assert [r["mix"] for r in records] == [True]


def test_the_settings_dialog_saves_the_remote_voice_mode(qtbot: object) -> None:
    pytest.importorskip("pytestqt")
    from studio.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)  # type: ignore[attr-defined]
    assert not dialog.remote_mix.isChecked()
    dialog.remote_mix.setChecked(True)
    dialog.save()
    assert dialog.saved is not None and dialog.saved.remote_audio_mix is True
    assert tomllib.loads(settings_file().read_text()) == {"remote_audio_mix": True}


def test_muting_the_host_leaves_a_mixed_guest_heard(studio: Studio) -> None:
    with studio.client() as client:
        client.put("/api/remote-input", json={"mix": True})
        assert client.post("/api/mute", json={"muted": True}).json() == {"muted": True}
    assert studio.show.settings.remote_audio_mix is True  # the settings in force say so (Settings dialog)
    with open_audio(studio) as guest:
        for frame in frames_of(np.concatenate([tone(0.6), quiet(0.4)])):
            guest.send(frame)
        assert studio.seen.wait(TurnCompleted).transcript == QUESTION  # mute is the host's mic only
