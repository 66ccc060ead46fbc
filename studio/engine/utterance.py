"""One host utterance while it grows: its audio, its live transcription session, its partials.

Threading: engine loop only; recognition itself runs in the STT backend (its worker or server).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

import numpy as np

from studio.audio.scope import level_dbfs
from studio.backends.contracts import INPUT_SAMPLE_RATE, SpeechToText, Transcript, TranscriptionSession

MAX_TURN_AUDIO_SECONDS = 8.0  # what the end-of-turn model looks at
# A voiced frame this far under the line's speech level is the fading end of a word (Silero still
# calls ~100 ms of it speech) or a closure inside one: no partial recognition starts there, since
# one started as the host stops would hold up the final by up to its whole length (~300 ms).
# Nothing is dropped: the frame is in the line; a due partial just waits for the next loud frame.
# The first such frame may end the line, though (and, within the run, a further fall of
# REFADE_DB): there the engine starts the final early, when the recogniser is free or busy only
# with a live partial that a cancel stops at once (studio.engine.speculation).
FADE_DB = 18.0
LEVEL_FRAMES = 64  # the line's speech level: the 90th percentile of its last ~2 s of voiced frames
SPEECH_LEVEL_PERCENTILE = 90.0  # its loud frames: the quiet frames before the onset barely move it
MIN_LEVEL_FRAMES = 8  # before this many, no frame counts as fading
# Fading frames in a row after which the line may be over. One: the recognition begun there is
# checked against the line's text at the quiet frame, so one begun a frame too soon costs only a
# re-read; waiting for a second frame cost every line a frame (fixed-delay pass: 348 -> 317 ms).
FADED_FRAMES = 1
# A line often ends on a soft word (sentence-final lowering): the fade then starts inside that word,
# before its end. Within a fading run, a frame this far under the run's loudest since the last
# "maybe over" is one again: a soft last word's own end (the bench questions: 4 of 12 lines).
# Only when the recogniser is free: queued behind the one begun inside the word, a re-read would
# start before the quiet frame, whose one more frame of audio then needs a third recognition.
REFADE_DB = 8.0


def ends_sentence(text: str) -> bool:
    """A transcript that ends like a finished sentence (not a trailing-off '...')."""
    text = text.rstrip(" \"')")
    return text.endswith((".", "?", "!")) and not text.endswith("..")


class Utterance:
    """Audio and transcription state of the host's current line."""

    def __init__(self, turn_id: int, stt: SpeechToText, language: str | None) -> None:
        self.turn_id = turn_id
        self.language = language
        self.session: TranscriptionSession = stt.start_session(language)
        self.samples = 0
        self.voiced_samples = 0
        self.last_voiced_at: float | None = None
        self.latest_text = ""
        self._line_frames: list[np.ndarray] = []  # the whole line, so a resumed line can carry it
        self._frames: deque[np.ndarray] = deque()
        self._kept_samples = 0
        self._max_kept_samples = int(MAX_TURN_AUDIO_SECONDS * INPUT_SAMPLE_RATE)
        self._partial_task: asyncio.Task[Transcript] | None = None
        self._partial_is_live = False  # the running recognition is a live partial, not a final
        self._partial_at_samples = 0
        self._rerun_when_free = False
        self._voiced_levels: deque[float] = deque(maxlen=LEVEL_FRAMES)
        self.fading = False  # the last frame was voiced but far under the line's speech level
        self.fading_frames = 0  # voiced frames in a row that were fading
        self.faded = False  # the last frame may have ended the line (see `_fade_deepens`)
        self._fade_peak = -np.inf  # the loudest fading frame since the run began or last `faded`

    @classmethod
    def continuing(cls, previous: Utterance, stt: SpeechToText) -> Utterance:
        """The host went on after a pause: a new line with the same turn id that starts with `previous`.

        The new recognition session hears the whole line again, so the final text holds both parts
        (Whisper transcribes a pause between sentences well; joining two texts would not).
        """
        line = cls(previous.turn_id, stt, previous.language)
        for frame in previous._line_frames:
            line.append(frame, voiced=False, at=0.0)
        line.voiced_samples = previous.voiced_samples
        line.last_voiced_at = previous.last_voiced_at
        line.latest_text = previous.latest_text
        line._voiced_levels.extend(previous._voiced_levels)
        return line

    def append(self, frame: np.ndarray, voiced: bool, at: float) -> None:
        """Add a frame of the host's voice (or of a pause inside the line)."""
        self.session.append(frame)
        self._line_frames.append(frame)
        self._frames.append(frame)
        self._kept_samples += len(frame)
        self.samples += len(frame)
        self.fading = self.faded = False
        if voiced:
            self.voiced_samples += len(frame)
            self.last_voiced_at = at
            level = level_dbfs(frame)[0]
            if len(self._voiced_levels) >= MIN_LEVEL_FRAMES:
                speech_level = float(np.percentile(self._voiced_levels, SPEECH_LEVEL_PERCENTILE))
                self.fading = level < speech_level - FADE_DB
            if not self.fading:
                self._voiced_levels.append(level)
        self.fading_frames = self.fading_frames + 1 if self.fading else 0
        if self.fading:
            self.faded = self._fade_deepens(level)
        else:
            self._fade_peak = -np.inf
        while self._frames and self._kept_samples - len(self._frames[0]) >= self._max_kept_samples:
            self._kept_samples -= len(self._frames.popleft())

    def recent_audio(self) -> np.ndarray:
        """The last few seconds of the line, for the end-of-turn model."""
        return np.concatenate(self._frames) if self._frames else np.zeros(0, np.float32)

    def _fade_deepens(self, level: float) -> bool:
        """Whether this fading frame may end the line: the FADED_FRAMES-th of its run, or one
        REFADE_DB under the run's loudest since the last such frame (a soft last word ending)."""
        self._fade_peak = max(self._fade_peak, level)
        if self.fading_frames == FADED_FRAMES or (
            self.fading_frames > FADED_FRAMES and level <= self._fade_peak - REFADE_DB
        ):
            self._fade_peak = level
            return True
        return False

    @property
    def recognising(self) -> bool:
        """Whether a recognition of this line is running now."""
        return self._partial_task is not None and not self._partial_task.done()

    def make_way_for_final(self) -> bool:
        """Whether a final can start now, cancelling a live partial where that frees the recogniser.

        A server request (`stops_on_cancel`) ends at once, and its text is about to be outdone; a
        recognition in a worker thread would keep computing, so a final would only queue behind it.
        """
        if self.recognising and self._partial_is_live and getattr(self.session, "stops_on_cancel", False):
            self._partial_task.cancel()  # type: ignore[union-attr]
            self._partial_task, self._rerun_when_free = None, False
        return not self.recognising

    def maybe_start_partial(self, interval_samples: int, on_text: Callable[[str], None]) -> None:
        """Start a partial recognition if enough new audio arrived and none is running.

        With `interval_samples == 0` (the host just paused) a busy recogniser is asked to run
        once more as soon as it is free, so the final text is ready as early as possible.
        """
        if self._partial_task is not None and not self._partial_task.done():
            self._rerun_when_free = self._rerun_when_free or interval_samples == 0
            return
        if self.samples - self._partial_at_samples < max(1, interval_samples):
            return
        self._partial_at_samples = self.samples
        self._partial_is_live = interval_samples > 0
        # The host just paused: a recogniser that can (Voxtral) runs its final now and keeps it,
        # so the final after the end of turn costs nothing when no audio came since.
        speculate = getattr(self.session, "speculate", None) if interval_samples == 0 else None
        recognition = speculate() if speculate is not None else self.session.partial()
        self._partial_task = asyncio.get_running_loop().create_task(recognition)

        def deliver(task: asyncio.Task[Transcript]) -> None:
            if task.cancelled() or task.exception() is not None:
                return
            text = task.result().text.strip()
            if text and text != self.latest_text:
                self.latest_text = text
                on_text(text)
            if self._rerun_when_free:
                self._rerun_when_free = False
                self.maybe_start_partial(0, on_text)

        self._partial_task.add_done_callback(deliver)

    async def current_text(self) -> str:
        """The text of the recognition running now, once it is in (the latest text if none runs)."""
        task = self._partial_task
        if task is not None:
            await asyncio.wait([task])  # its failure is its own; a cancel of this waiter propagates
            if not task.cancelled() and task.exception() is None:
                return task.result().text.strip()
        return self.latest_text

    async def settled_text(self) -> str:
        """The latest text once no recognition is running (the speculative final, usually)."""
        while self._partial_task is not None and not self._partial_task.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(self._partial_task)
            await asyncio.sleep(0)
        return self.latest_text

    async def finalize(self) -> Transcript:
        """The final transcript; reuses the recogniser's cached result when it covers all audio."""
        while self._partial_task is not None and not self._partial_task.done():
            with contextlib.suppress(Exception):
                await self._partial_task
            await asyncio.sleep(0)  # let its done-callback start the queued re-run, if any
        return await self.session.finalize()

    async def discard(self) -> None:
        """Drop the line (noise, barge-in that was not speech): stop work, close the session."""
        if self._partial_task is not None:
            self._partial_task.cancel()
            with contextlib.suppress(BaseException):
                await self._partial_task
        await self.session.aclose()
