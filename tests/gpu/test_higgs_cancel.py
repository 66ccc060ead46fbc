"""Generation stops when the listener does: a cancelled synthesis ends the model's loop within one
audio frame, and the next request never overlaps a running generation.

The stand-in model (tests/gpu/boson_standin.py) takes one step per permit the test grants, like a
real model computing frame after frame, and counts the frames it produced.
"""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
import soundfile

from studio.backends.higgs_tts import HiggsSynthesizer
from studio.config import load_settings
from studio.hosts.higgs_engine import HiggsEngine, voices_from_profiles
from studio.hosts.speech_server import SpeechServer
from studio.voices.profile import VoiceProfile
from tests.gpu.boson_standin import Pacing, install
from tests.gpu.servers import ThreadedServer

LONG = 400  # frames the model would make if nobody stopped it (16 s of audio)


@pytest.fixture
def paced(monkeypatch, tmp_path):
    boson = install(monkeypatch)
    boson.frames, boson.pacing = LONG, Pacing()
    clip = tmp_path / "ava.wav"
    soundfile.write(clip, np.zeros(16_000, np.float32), 16_000)
    voices = voices_from_profiles(
        [VoiceProfile(name="Ava", reference_audio=clip, reference_transcript="Hi.")]
    )
    return boson, HiggsEngine("m", "t", voices, device="cpu")


def test_a_cancelled_synthesis_ends_the_models_loop_within_one_frame(paced):
    boson, engine = paced
    stop = threading.Event()
    text = "A long sentence that would keep the model busy for many seconds of audio. " * 3
    stream = engine.stream(text, "Ava", stop)
    boson.pacing.allow(30)
    first = next(stream)  # the first audio: the listener is there
    stop.set()  # the listener went away (barge-in)
    at_cancel = boson.produced
    boson.pacing.allow(LONG)  # the model could run on as fast as it likes now
    rest = list(stream)
    assert boson.ended.wait(10)
    after = boson.produced - at_cancel
    assert len(first) and rest == [] and after <= 1, f"{after} frames made after the cancel"
    assert boson.produced < 35 and boson.log == ["start 1", "end 1"]


def test_the_host_stops_a_hung_up_request_before_the_next_one_starts(paced):
    boson, engine = paced
    server = ThreadedServer(SpeechServer(engine).app)

    async def go(url: str) -> tuple[int, int]:
        tts = HiggsSynthesizer(load_settings(HIGGS_AUDIO_URL=url))
        try:
            boson.pacing.allow(30)
            first = tts.synthesize(
                "Good evening, and welcome to a very long show tonight.", VoiceProfile(name="Ava")
            )
            assert len((await anext(first)).samples)
            await first.aclose()  # barge-in: the client hangs up mid-reply
            assert await asyncio.to_thread(boson.ended.wait, 10)  # the host stopped the model itself
            stopped_at = boson.produced
            boson.pacing.allow(LONG * 2)
            second = [c async for c in tts.synthesize("Next.", VoiceProfile(name="Ava"))]
            return stopped_at, sum(len(c.samples) for c in second)
        finally:
            await tts.aclose()

    with server:
        stopped_at, second_samples = asyncio.run(go(server.url))
    assert stopped_at <= 31  # 30 permitted steps, at most one more: never the 400 it was asked for
    assert boson.log == ["start 1", "end 1", "start 2", "end 2"]  # no overlap
    assert second_samples > 0  # the next request speaks normally
