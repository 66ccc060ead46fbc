"""Broadcast safety on real audio: a blocked word is never heard on the program sink, DUMP drops the delay.

The chat model is the real OllamaChat against a local Ollama-protocol server; Piper speaks; the
program plays to the private PulseAudio's null sink; its monitor is recorded with parec and
transcribed with faster-whisper (the embedded stack's STT). Waits are on events and on the
recorder's byte count, never on the clock.
Threading: the show runs on a module-wide loop (the stack was built on it); parec's reader thread
collects the recording.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
import scipy.signal
import soxr

from studio.audio.delay import DelayedOutput
from studio.audio.io import AudioIO
from studio.audio.pulse import ANCHOR_SINK, PulseControl
from studio.backends.registry import build_stack
from studio.bench.queued_mic import QueuedMicrophone
from studio.config import load_settings
from studio.engine.events import ReplyClauseStarted, TurnCompleted
from studio.engine.safety import BLEEP_HZ, ClauseBlocked
from studio.show import Show
from studio.show.events import ShowReady
from studio.voices.catalog import VoiceCatalog
from tests.audio.recorder import MonitorRecording
from tests.fake_ollama import FakeOllama
from tests.show.test_show import Events
from tests.speech import normalise_words

WORD = "pineapple"
REPLY = (
    "Good evening.",
    " The storm brought pineapple rain",
    " to the whole coast tonight.",
    " Stay safe out there.",
)
REWRITE = ("The storm brought heavy rain to the whole coast tonight.",)
LONG_REPLY = tuple(
    f" {sentence}"
    for sentence in (
        "Good evening and welcome back.",
        "Tonight we look at the weather along the northern coast, where the wind has been strong all day.",
        "Fishermen stayed in the harbour, and the ferries to the islands did not sail this afternoon.",
        "Forecasters expect the wind to ease after midnight, with showers moving east by the morning.",
        "Tomorrow should bring brighter skies and a gentle breeze for most of the region.",
    )
)


@pytest.fixture(scope="module")
def on_air():
    """(fake chat server, embedded stack speaking with Piper, the loop it was built on)."""
    with FakeOllama(reply=REPLY) as server:
        settings = load_settings(
            stack="embedded", chat_backend="ollama", OLLAMA_HOST=server.url, OLLAMA_MODEL_NAME="llama3.2"
        )
        loop = asyncio.new_event_loop()
        stack = loop.run_until_complete(build_stack(settings))
        try:
            yield server, settings, stack, loop
        finally:
            loop.run_until_complete(stack.aclose())
            loop.close()


def _show(settings, stack) -> Show:
    return Show(
        settings,
        VoiceCatalog(None).get("Ava"),
        stack=stack,
        audio_factory=lambda s: AudioIO(s, program_device=ANCHOR_SINK, use_mic=False),
        frame_source=QueuedMicrophone().source,
    )


async def _until_recorded(recorder: MonitorRecording, since: float, margin: float = 0.5) -> None:
    """Until the monitor has recorded everything up to now and `margin` more (parec runs in real time)."""
    await asyncio.to_thread(recorder.wait_recorded, time.monotonic() - since + margin, 60)


async def _transcribe(stack, audio: np.ndarray, rate: int) -> str:
    audio16 = soxr.resample(_quiet_bleeps(audio, rate)[0], rate, 16_000).astype(np.float32)
    return (await stack.stt.transcribe(audio16, "en")).text


def _skip_if_starved(program: dict) -> None:
    """The word check above has passed; whether the rest aired cannot be judged on a device the
    machine starved (ALSA re-creates the stream and drops what it held: seen on a fresh-clone run,
    "Good evening." lost among 50 underruns). A visible skip, as in tests/audio/test_pulse_io.py."""
    if program["underruns"] or program["recreated"] or program.get("stalls"):
        pytest.skip(
            f"the machine starved the program device ({program['underruns']} underruns, "
            f"{program['recreated']} re-created streams, counted by the studio): what aired is not complete"
        )


def _quiet_bleeps(audio: np.ndarray, rate: int) -> tuple[np.ndarray, float]:
    """The recording with its bleep tones silenced: tiny.en often stops transcribing at a pure tone
    (seen under load: nothing after "the storm brought"), which would hide the words after it.
    A 10 ms block is a tone when nearly all its energy lies within 60 Hz of BLEEP_HZ; speech never is."""
    block = rate // 100
    blocks = audio[: len(audio) - len(audio) % block].reshape(-1, block).astype(np.float64)
    band = scipy.signal.sosfiltfilt(
        scipy.signal.butter(4, [BLEEP_HZ - 60, BLEEP_HZ + 60], "bandpass", fs=rate, output="sos"),
        audio.astype(np.float64),
    )[: blocks.size].reshape(-1, block)
    total = np.sum(np.square(blocks), axis=1)
    tone = np.sum(np.square(band), axis=1) > 0.8 * total + 1e-12
    quiet = audio.copy()
    quiet[: blocks.size].reshape(-1, block)[tone] = 0.0
    return quiet, float(np.count_nonzero(tone)) / 100


def _heard(text: str) -> str:
    return " ".join(normalise_words(text))


@pytest.mark.parametrize("action", ["none", "drop", "bleep", "regenerate"])
def test_a_blocked_word_is_never_heard_on_the_program_sink(
    anchor_sink: PulseControl, tmp_path, on_air, action
):
    server, settings, stack, loop = on_air
    blocked = [] if action == "none" else [WORD]
    settings = settings.model_copy(update={"blocked_words": blocked, "blocked_word_action": action})
    if action == "regenerate":
        server.next_replies = [list(REPLY), list(REWRITE)]  # the reply, then the rewritten clause
    show = _show(settings, stack)
    recorder = MonitorRecording(f"{ANCHOR_SINK}.monitor", tmp_path / "monitor.raw")
    recorder.wait_started()
    since = time.monotonic()  # the recording's time zero (as near as parec lets us know)

    async def scenario():
        events = Events(show)
        async with show:
            await show.asubmit_text("How was the weather today?")
            done = await events.nth(TurnCompleted, 1, timeout=120)
            await _until_recorded(recorder, since)
            program = show.audio.stats()["program"]
        return done, events, program

    try:
        done, events, program = loop.run_until_complete(scenario())
    finally:
        recorded = recorder.stop()
    heard = _heard(loop.run_until_complete(_transcribe(stack, recorded, recorder.rate)))
    captions = " ".join(e.clause for e in events.of(ReplyClauseStarted)).lower()
    print(f"\n{action}: heard {heard!r}; captions {captions!r}")
    if action == "none":  # the control: the word is there to be heard, and Whisper hears it
        if WORD not in heard.replace("pine apple", WORD):
            _skip_if_starved(program)  # seen: 3.6 s of the reply's ~6 s recorded, its start gone
        assert WORD in heard.replace("pine apple", WORD) and WORD in captions
        return
    assert WORD not in heard.replace(" ", "") and WORD not in captions and WORD not in done.heard.lower()
    if not ("evening" in heard and "safe" in heard):
        _skip_if_starved(program)
    assert "evening" in heard and "safe" in heard  # the rest of the reply aired
    hits = events.of(ClauseBlocked)
    assert hits and {hit.action for hit in hits} == {action}
    if action == "bleep":
        assert "coast" in heard and "[bleep]" in captions
        assert _quiet_bleeps(recorded, recorder.rate)[1] >= 0.2  # the tone aired in the word's place
    if action == "regenerate":
        assert "heavy" in heard and hits[0].outcome == "rewritten"
        assert len(server.chat_requests) >= 2 and WORD in server.chat_requests[-1]["messages"][0]["content"]


FOUND = 0.75  # a piece matching this well was on the sink (aired pieces: > 0.9; other speech: < 0.65)


def _found(recorded: np.ndarray, piece: np.ndarray) -> float:
    """How well `piece` matches somewhere in `recorded` (normalised correlation, 1 = identical)."""
    lag = int(np.argmax(scipy.signal.correlate(recorded, piece, mode="valid", method="fft")))
    segment = recorded[lag : lag + len(piece)]
    return float(np.dot(segment, piece)) / (float(np.linalg.norm(segment) * np.linalg.norm(piece)) + 1e-9)


def _voiced_pieces(audio: np.ndarray, rate: int, seconds: float = 0.5) -> list[np.ndarray]:
    size = int(seconds * rate)
    pieces = (audio[start : start + size] for start in range(0, len(audio) - size, size))
    return [piece for piece in pieces if np.abs(piece).max() > 0.05]


def test_dump_during_a_5_s_delay_never_airs_the_last_5_s_and_the_delay_rebuilds(
    anchor_sink: PulseControl, tmp_path, on_air
):
    server, settings, stack, loop = on_air
    server.next_replies = [list(LONG_REPLY), ["Thank you for staying with us."]]
    show = _show(settings.model_copy(update={"broadcast_delay_s": 5.0}), stack)
    recorder = MonitorRecording(f"{ANCHOR_SINK}.monitor", tmp_path / "monitor.raw")
    recorder.wait_started()
    since = time.monotonic()  # the recording's time zero (as near as parec lets us know)

    async def scenario():
        events = Events(show)
        async with show:
            await events.nth(ShowReady, 1)
            output = show.output
            assert isinstance(output, DelayedOutput) and output.delay_s == 5.0
            await show.asubmit_text("What is the weather like on the coast?")
            await events.nth(ReplyClauseStarted, 3, timeout=120)  # three clauses on air
            aired, live = output.aired_samples(), output.played_samples()
            held = output.scope.window(live - aired, end=live).copy()  # in the delay line: must never air
            went_out = output.scope.window(int(1.5 * output.sample_rate), end=aired).copy()  # aired: control
            dumped_at = time.monotonic()
            dumped = await show.adump()
            after = show.delay_status()
            await _until_recorded(recorder, since, margin=2.5)  # a pause of at least 2 s after the DUMP
            await show.asubmit_text("Anything else?")
            await events.nth(TurnCompleted, 2, timeout=120)
            rebuilt = show.delay_status()
            await events.nth(
                ReplyClauseStarted, 4, timeout=60
            )  # the next reply airs, behind the rebuilt delay
            await _until_recorded(recorder, since)
            program = show.audio.stats()["program"]
            return (
                (aired, live, held, went_out, dumped, after, rebuilt),
                (dumped_at - since, output.sample_rate, program),
            )

    try:
        (aired, live, held, went_out, dumped, after, rebuilt), (dumped_s, rate, program) = (
            loop.run_until_complete(scenario())
        )
    finally:
        recorded = recorder.stop()
    assert (live - aired) / rate >= 4.5 and dumped >= 4.5  # about the whole delay was in the line
    assert after is not None and after.delay_s == 0.0
    assert rebuilt is not None and 2.0 <= rebuilt.delay_s <= 5.0  # a pause of ≥ 2 s gave back ≥ 2 s
    held, went_out = (soxr.resample(audio, rate, recorder.rate) for audio in (held, went_out))
    matches = [_found(recorded, piece) for piece in _voiced_pieces(held, recorder.rate)]
    controls = [_found(recorded, piece) for piece in _voiced_pieces(went_out, recorder.rate)]
    _skip_if_starved(program)  # the control below needs everything that aired on the recording
    # Audio that aired is found almost exactly (the control); the dumped audio is not. Same-voice speech
    # with repeated words ("the wind") reaches ~0.6 by itself, so the line sits between the two.
    assert controls and min(controls) > 0.9, controls
    assert matches and max(matches) < FOUND, matches  # none of the dumped audio reached the sink
    loud = np.flatnonzero(np.abs(recorded[: int((dumped_s + 2.0) * recorder.rate)]) > 0.02)
    silence_ms = (loud[-1] / recorder.rate - dumped_s) * 1000 if len(loud) else float("nan")
    print(f"\ndumped pieces best match {max(matches):.2f}; aired pieces worst match {min(controls):.2f}")
    print(
        f"\nDUMP dropped {dumped:.2f} s; last sound on the sink {silence_ms:.0f} ms after the DUMP "
        f"(parec start offset included); delay after a pause of ≥ 2 s: {rebuilt.delay_s:.2f} s"
    )
