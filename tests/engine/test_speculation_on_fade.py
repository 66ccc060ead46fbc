"""The reply begun where the host's voice fades, before the VAD calls the frame quiet.

Silero keeps saying "speech" ~110 ms past the last word; the line's own level falls at once. The
first frame far under the line's level starts the speculative reply there, when the recogniser is
free (and again where a soft last word's voice falls further).
It airs only if the words of the whole line ask the same: soft words after the fade get a reply of
their own, and the host going on drops it unheard. The energy VAD makes the fade exact: a tone at
-17 dBFS is the voice, one at -39 dBFS is still "speech" to it but 22 dB under the line's level.
"""

from __future__ import annotations

import asyncio

import numpy as np

from studio.backends.contracts import INPUT_SAMPLE_RATE, Transcript
from studio.bench.fixed_delay import EnergyVoiceActivity
from studio.engine.events import TurnCompleted
from tests.engine.measuring_stt import MeasuringSpeechToText
from tests.engine.test_speculation import make_engine, quiet, tone, until

FRAME = 512
FADE = 2 * FRAME / INPUT_SAMPLE_RATE  # ~64 ms of the fading end of a word
SPOKEN = 32 * FRAME / INPUT_SAMPLE_RATE  # ~1 s of voice, whole frames (no frame mixes voice and fade)


def fading(seconds: float) -> np.ndarray:
    """Still voiced to the energy VAD (RMS 0.011 >= 0.01), 22 dB under the tone."""
    return tone(seconds) * 0.08


async def play(engine, *parts: np.ndarray, settle: bool = True) -> None:
    """Frame by frame; with `settle`, a recognition a frame started ends before the next frame
    (the stand-in answers at once; 32 ms apart, a real one is often done too)."""
    audio = np.concatenate(parts)
    for start in range(0, len(audio) - FRAME + 1, FRAME):
        engine.process_frame(audio[start : start + FRAME])
        await asyncio.sleep(0)
        async with asyncio.timeout(30):
            while settle and engine._utterance is not None and engine._utterance.recognising:
                await asyncio.sleep(0)


async def decided(engine, turn, events) -> TurnCompleted:
    turn.release.set()
    await until(events, TurnCompleted)
    await engine.wait_anchor_idle()
    await engine.aclose()
    (completed,) = [e for e in events if isinstance(e, TurnCompleted)]
    return completed


def test_the_reply_begins_at_the_fade_and_airs_when_the_whole_line_asks_the_same():
    async def scenario():
        engine, _stt, turn, chat, events = make_engine()
        await play(engine, tone(SPOKEN), fading(FADE))
        async with asyncio.timeout(30):
            await chat.requested.wait()  # before any frame the VAD calls quiet
        await play(engine, quiet(0.4))
        async with asyncio.timeout(30):
            await turn.asked.wait()
        return chat, await decided(engine, turn, events)

    chat, completed = asyncio.run(scenario())
    assert [r[-1].content for r in chat.requests] == ["speech 1.0 s"], "one reply, begun at the fade"
    assert chat.cancelled == 0
    assert completed.transcript == "speech 1.0 s" and not completed.interrupted


def test_soft_words_after_the_fade_get_a_reply_of_their_own():
    async def scenario():
        engine, _stt, turn, chat, events = make_engine()
        await play(engine, tone(SPOKEN), fading(FADE))
        async with asyncio.timeout(30):
            await chat.requested.wait()
        await play(engine, fading(0.5), quiet(0.4))  # the host goes on, softly: never loud again
        async with asyncio.timeout(30):
            await turn.asked.wait()
        return chat, await decided(engine, turn, events)

    chat, completed = asyncio.run(scenario())
    assert [r[-1].content for r in chat.requests] == ["speech 1.0 s", "speech 1.5 s"]
    assert chat.cancelled == 1, "the reply to the first second was dropped unheard"
    assert completed.transcript == "speech 1.5 s" and completed.reply


def test_the_host_going_on_after_the_fade_drops_the_reply_begun_there():
    async def scenario():
        engine, _stt, turn, chat, events = make_engine()
        await play(engine, tone(SPOKEN), fading(FADE))
        async with asyncio.timeout(30):
            await chat.requested.wait()
        await play(engine, tone(0.5), quiet(0.4))
        async with asyncio.timeout(30):
            await turn.asked.wait()
        return chat, await decided(engine, turn, events)

    chat, completed = asyncio.run(scenario())
    assert chat.cancelled >= 1 and chat.requests[-1][-1].content == "speech 1.5 s"
    assert completed.transcript == "speech 1.5 s"


class _HeldPartialSession:
    """A recogniser still busy with a partial: partials wait for `free`."""

    def __init__(self, free: asyncio.Event) -> None:
        self._free = free

    def append(self, audio: np.ndarray) -> None:
        return None

    async def partial(self) -> Transcript:
        await self._free.wait()
        return Transcript("words", False, "en")

    async def finalize(self) -> Transcript:
        return Transcript("words", True, "en")

    async def aclose(self) -> None:
        return None


def test_a_busy_recogniser_is_not_asked_again_at_the_fade():
    """A recognition begun at the fade would hold up the final behind the one already running."""

    async def scenario():
        engine, stt, _turn, chat, _events = make_engine()
        free = asyncio.Event()
        stt.start_session = lambda language=None: _HeldPartialSession(free)  # type: ignore[method-assign]
        await play(engine, tone(0.704), settle=False)  # a partial falls due at 0.5 s and keeps running
        busy = engine._utterance is not None and engine._utterance.recognising
        await play(engine, fading(FADE), settle=False)
        preparing = engine._speculating is not None
        free.set()
        engine.process_frame(quiet(0.032))  # the first quiet frame still speculates, as before
        speculating_at_quiet = engine._speculating is not None
        await engine.aclose()
        return busy, preparing, speculating_at_quiet, chat

    busy, preparing, speculating_at_quiet, _chat = asyncio.run(scenario())
    assert busy, "the partial was still running at the fade"
    assert not preparing
    assert speculating_at_quiet


class _ServerSession:
    """A recogniser on a server: a cancelled partial frees it at once (the request is aborted).
    The first partial is a long one, still running at the fade; later ones answer at once."""

    stops_on_cancel = True

    def __init__(self) -> None:
        self.samples = 0
        self.cancelled_partials = 0
        self.heard: list[int] = []  # the samples each answered recognition heard
        self._partials = 0

    def append(self, audio: np.ndarray) -> None:
        self.samples += len(audio)

    async def partial(self) -> Transcript:
        self._partials += 1
        if self._partials == 1:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled_partials += 1
                raise
        return await self.finalize()

    async def finalize(self) -> Transcript:
        self.heard.append(self.samples)
        return Transcript(f"heard {self.samples}", True, "en")

    async def aclose(self) -> None:
        return None


def test_a_live_partial_on_a_server_gives_way_to_the_final_at_the_fade():
    """Cancelling the partial frees a server recogniser at once: the final starts at the fade."""

    async def scenario():
        engine, stt, turn, chat, events = make_engine()
        session = _ServerSession()
        stt.start_session = lambda language=None: session  # type: ignore[method-assign]
        await play(engine, tone(0.704), settle=False)  # a partial falls due at 0.5 s and keeps running
        busy = engine._utterance is not None and engine._utterance.recognising
        await play(engine, fading(FRAME / INPUT_SAMPLE_RATE), settle=False)  # the first fading frame
        async with asyncio.timeout(30):
            await chat.requested.wait()  # before any frame the VAD calls quiet
        at_fade = list(session.heard)
        await play(engine, fading(FRAME / INPUT_SAMPLE_RATE), quiet(0.4))
        async with asyncio.timeout(30):
            await turn.asked.wait()
        return busy, session, at_fade, await decided(engine, turn, events)

    busy, session, at_fade, completed = asyncio.run(scenario())
    spoken = int(0.704 * INPUT_SAMPLE_RATE) // FRAME * FRAME
    assert busy and session.cancelled_partials == 1
    assert at_fade == [spoken + FRAME], "the final began at the first fading frame"
    assert completed.transcript.startswith("heard ")


def test_without_speculative_replies_a_live_partial_is_left_to_finish():
    """Nothing would start in its place, so the fade does not cancel the partial."""

    async def scenario():
        engine, stt, _turn, _chat, _events = make_engine(speculative_reply=False)
        session = _ServerSession()
        stt.start_session = lambda language=None: session  # type: ignore[method-assign]
        await play(engine, tone(0.704), fading(FADE), settle=False)
        await asyncio.sleep(0)  # a cancel of the partial, had there been one, lands here
        running = engine._utterance is not None and engine._utterance.recognising
        cancelled, heard = session.cancelled_partials, list(session.heard)
        await engine.aclose()
        return running, cancelled, heard

    running, cancelled, heard = asyncio.run(scenario())
    assert running and cancelled == 0 and heard == []


def test_off_it_waits_for_the_quiet_frame():
    async def scenario():
        engine, _stt, turn, chat, events = make_engine(speculate_on_fade=False)
        await play(engine, tone(SPOKEN), fading(FADE))
        asked_at_fade = len(chat.requests) + (engine._speculating is not None)
        await play(engine, quiet(0.4))
        async with asyncio.timeout(30):
            await turn.asked.wait()
        return asked_at_fade, await decided(engine, turn, events)

    asked_at_fade, completed = asyncio.run(scenario())
    assert asked_at_fade == 0 and completed.transcript == "speech 1.0 s"


def test_measuring_stt_counts_the_fading_tone_as_voice():
    """The premise of the tests above: the fade frames are heard as speech, not as quiet."""
    session = MeasuringSpeechToText(gated=False).start_session()
    session.append(fading(0.5))
    assert asyncio.run(session.partial()).text == "speech 0.5 s"


def test_a_soft_last_word_gets_its_reply_begun_where_it_ends():
    """The fade began inside the last word (spoken 20 dB under the line): where the voice falls
    further still, before the VAD calls anything quiet, the reply to the whole line begins."""

    async def scenario():
        engine, _stt, turn, chat, events = make_engine()
        engine.stack.vad = EnergyVoiceActivity(threshold_rms=0.003)  # hears the breath after the word
        soft_word = tone(8 * FRAME / INPUT_SAMPLE_RATE) * 0.1  # -37 dBFS: still speech to the STT
        breath = tone(2 * FRAME / INPUT_SAMPLE_RATE) * 0.035  # -46 dBFS: voiced, not speech to the STT
        await play(engine, tone(SPOKEN), soft_word, breath)
        async with asyncio.timeout(30):
            while engine._speculating is not None and not engine._speculating.done():
                await asyncio.sleep(0)
        begun_before_quiet = engine._speculation.messages[-1].content if engine._speculation else None
        await play(engine, quiet(0.4))
        async with asyncio.timeout(30):
            await turn.asked.wait()
        return begun_before_quiet, chat, await decided(engine, turn, events)

    begun_before_quiet, chat, completed = asyncio.run(scenario())
    assert begun_before_quiet == "speech 1.5 s", "the whole line's reply began in the breath, not later"
    assert [r[-1].content for r in chat.requests] == ["speech 1.0 s", "speech 1.5 s"]
    assert chat.cancelled == 1, "the reply begun inside the soft word was dropped unheard"
    assert completed.transcript == "speech 1.5 s" and completed.reply
