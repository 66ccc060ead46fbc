"""The anchor's reply: chat stream → clauses → speech → program output, and what was really heard.

The chat model and the synthesizer run concurrently: clause N plays while clause N+1 is being
synthesized and the model is still writing; only while the first clause is synthesized does the
model step aside (studio.backends.priority), since that clause is what the host is waiting for.
Cancelling `speak` (barge-in) cancels both; the caller flushes the output, and `heard_text` says
what the audience got. Between the two, each clause is screened (studio.engine.screening: the
word filter, the producer's approval) before anything of it is synthesized.
Threading: engine loop only; backends do their heavy work in their own workers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import soxr

from studio.audio.outputs import AudioOutput
from studio.backends.contracts import ChatMessage, ChatModel, ChatOptions, SpeechSynthesizer
from studio.backends.priority import FOREGROUND
from studio.engine.clauses import ClauseSplitter
from studio.engine.safety import Bleep, ClauseGuard, ScreenedClause, bleep_tone
from studio.engine.screening import ClauseScreen, Review
from studio.engine.trace import LatencyTrace, now
from studio.voices.profile import VoiceProfile

DUE_SLACK_DIVISOR = 100  # a clause counts as started when within 10 ms of its first sample playing
HELD_RECHECK_S = 0.01  # a clause held back by a barge-in hold is looked at again this often


@dataclass(slots=True)
class SpokenSpan:
    """Where one clause sits on the output's sample timeline."""

    text: str
    start: int
    end: int


@dataclass(slots=True)
class _Voicing:
    """Where the clause being voiced starts and where its next sample goes."""

    start: int | None
    position: int


@dataclass(slots=True)
class ReplyPlayout:
    """Everything queued for one reply, to tell later what was played and what was cut."""

    sample_rate: int
    spans: list[SpokenSpan] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)
    screened: list[str] | None = None  # what was cleared to air, when screening may change the text

    @property
    def reply_text(self) -> str:
        if self.screened is not None:
            return " ".join(self.screened).strip()
        return "".join(self.text_parts).strip()

    def heard_text(self, played: int) -> str:
        """The words the audience heard, given the output's played-sample position."""
        words: list[str] = []
        for span in self.spans:
            if played >= span.end:
                words.extend(span.text.split())
            elif played > span.start:
                clause_words = span.text.split()
                fraction = (played - span.start) / max(1, span.end - span.start)
                words.extend(clause_words[: int(len(clause_words) * fraction)])
                break
            else:
                break
        return " ".join(words)

    def played_seconds(self, played: int) -> float:
        if not self.spans:
            return 0.0
        first, last = self.spans[0].start, self.spans[-1].end
        return max(0, min(played, last) - first) / self.sample_rate

    @property
    def end(self) -> int:
        return self.spans[-1].end if self.spans else 0


class ReplySpeaker:
    """Runs one reply from chat request to the last played sample."""

    def __init__(
        self,
        chat: ChatModel,
        tts: SpeechSynthesizer,
        output: AudioOutput,
        voice: VoiceProfile,
        options: ChatOptions,
        trace: LatencyTrace,
        on_clause_started: Callable[[str], None],
        first_clause_max_words: int = 0,
        max_reply_chars: int = 0,
        on_clause_queued: Callable[[str], None] | None = None,
        on_caption: Callable[[str], None] | None = None,
        air_gate: Callable[[], Awaitable[None]] | None = None,
        first_clause_priority: bool = True,
        guard: ClauseGuard | None = None,
        review: Review | None = None,
    ) -> None:
        self._chat, self._tts, self._output = chat, tts, output
        self._first_clause_priority = first_clause_priority
        self._voice, self._options, self._trace = voice, options, trace
        self._on_clause_started = on_clause_started
        # Session log hooks: a clause is reported before synthesis, shown as a caption when it
        # yields no audio, and `air_gate` is awaited before its first sample is played.
        self._on_clause_queued, self._on_caption, self._air_gate = on_clause_queued, on_caption, air_gate
        self._first_clause_max_words = first_clause_max_words
        self._max_reply_chars = max_reply_chars
        self.playout = ReplyPlayout(output.sample_rate)
        self._screen = ClauseScreen(guard, review, on_clause_queued, air_gate)
        if self._screen.rewrites_text:
            self.playout.screened = self._screen.texts
        self._timers: list[asyncio.TimerHandle] = []
        self._silenced = False
        self._first_sample: int | None = None  # output position of the reply's first queued sample
        self._captioned = False

    def has_aired(self, played: int) -> bool:
        """Whether the audience got anything of this reply yet: a played sample or a shown caption."""
        return self._captioned or (self._first_sample is not None and played > self._first_sample)

    def silence(self) -> None:
        """Barge-in: from now on nothing more reaches the output, even from a task not yet cancelled.

        Cancelling `speak` reaches its TaskGroup's children only on their next step; a voicing task
        whose TTS chunk is already ready would otherwise queue it after the output was flushed.
        """
        self._silenced = True
        for timer in self._timers:
            timer.cancel()

    async def speak(self, messages: Sequence[ChatMessage]) -> ReplyPlayout:
        """Generate and play the reply; returns once its last sample has been played."""
        written: asyncio.Queue[str | None] = asyncio.Queue()
        clauses: asyncio.Queue[ScreenedClause | None] = asyncio.Queue()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._generate(messages, written))
                group.create_task(self._screen.run(written, clauses))
                group.create_task(self._voice_clauses(clauses))
            await self._output.wait_played(self.playout.end)
        finally:
            for timer in self._timers:
                timer.cancel()
        return self.playout

    async def _generate(self, messages: Sequence[ChatMessage], clauses: asyncio.Queue[str | None]) -> None:
        """Stream the chat reply into clauses; an absurdly long reply ends at a sentence boundary."""
        splitter = ClauseSplitter(first_clause_max_words=self._first_clause_max_words)
        queued: list[str] = []
        self._trace.mark("llm_request_sent")
        try:
            async with contextlib.aclosing(self._chat.stream_reply(messages, self._options)) as stream:
                async for piece in stream:
                    if not piece:
                        continue
                    self._trace.mark("llm_first_token")
                    self.playout.text_parts.append(piece)
                    if self._queue_clauses(splitter.feed(piece), queued, clauses):
                        self.playout.text_parts[:] = [" ".join(queued)]  # what will be said
                        return  # leaving the `async with` closes the stream: the model stops
            self._queue_clauses(splitter.flush(), queued, clauses)
        finally:
            clauses.put_nowait(None)

    def _queue_clauses(self, new: list[str], queued: list[str], clauses: asyncio.Queue[str | None]) -> bool:
        """Queue clauses for speech; True once the reply is long enough to stop at this sentence end."""
        for clause in new:
            self._trace.mark("first_clause")
            clauses.put_nowait(clause)
            queued.append(clause)
            long_enough = self._max_reply_chars and sum(map(len, queued)) >= self._max_reply_chars
            if long_enough and clause.rstrip("\"')]").endswith((".", "!", "?", "…")):
                return True
        return False

    async def _voice_clauses(self, clauses: asyncio.Queue[ScreenedClause | None]) -> None:
        while (clause := await clauses.get()) is not None:
            self._trace.mark("tts_request_sent")
            await self._voice_one(clause)

    async def _voice_one(self, clause: ScreenedClause) -> None:
        """Voice a clause part by part (speech, or a bleep's tone); no audio: it is captioned."""
        voicing = _Voicing(None, self.playout.end)
        for part in clause.parts:
            if isinstance(part, Bleep):
                await self._emit(bleep_tone(part.seconds, self._output.sample_rate), clause.text, voicing)
            else:
                await self._synthesize(part, clause.text, voicing)
        if voicing.start is not None:
            self.playout.spans.append(SpokenSpan(clause.text, voicing.start, voicing.position))
        else:
            await self._caption(clause.text)

    async def _synthesize(self, text: str, clause: str, voicing: _Voicing) -> None:
        """Speak `text` (all or part of `clause`) onto the output as its audio arrives."""
        resampler: soxr.ResampleStream | None = None
        source_rate = 0
        # The first clause, which the host is waiting for: the chat model steps aside meanwhile.
        holding = self._first_clause_priority and not self.playout.spans
        if holding:
            FOREGROUND.hold()
        async with contextlib.aclosing(self._tts.synthesize(text, self._voice)) as audio:
            try:
                async for chunk in audio:
                    if not len(chunk.samples):
                        continue
                    if holding:
                        FOREGROUND.release()
                        holding = False
                    self._trace.mark("tts_first_chunk")
                    if resampler is None or chunk.sample_rate != source_rate:
                        source_rate = chunk.sample_rate
                        resampler = self._resampler(source_rate)
                    await self._emit(self._convert(chunk.samples, resampler, last=False), clause, voicing)
            finally:
                if holding:  # released before the stream's close, which may wait for the backend
                    FOREGROUND.release()
        if resampler is not None:
            await self._emit(self._convert(np.zeros(0, np.float32), resampler, last=True), clause, voicing)

    async def _emit(self, samples: np.ndarray, clause: str, voicing: _Voicing) -> None:
        """Play samples of `clause`; its first sample waits for the air gate."""
        if voicing.start is None and self._air_gate is not None and len(samples):
            await self._air_gate()
        voicing.start, voicing.position = self._play(samples, clause, voicing.start, voicing.position)

    async def _caption(self, clause: str) -> None:
        """No audio for `clause` (TTS down, or nothing speakable): show it; it counts as heard in turn."""
        position = max(self.playout.end, self._output.played_samples())
        self.playout.spans.append(SpokenSpan(clause, position, position))
        if self._air_gate is not None:
            await self._air_gate()
        if self._silenced:
            return
        self._captioned = True
        if self._on_caption is not None:
            self._on_caption(clause)

    def _resampler(self, source_rate: int) -> soxr.ResampleStream | None:
        if source_rate == self._output.sample_rate:
            return None
        return soxr.ResampleStream(source_rate, self._output.sample_rate, 1, dtype="float32")

    @staticmethod
    def _convert(samples: np.ndarray, resampler: soxr.ResampleStream | None, last: bool) -> np.ndarray:
        samples = np.nan_to_num(np.asarray(samples, dtype=np.float32))
        return samples if resampler is None else resampler.resample_chunk(samples, last=last)

    def _play(
        self, samples: np.ndarray, clause: str, start: int | None, position: int
    ) -> tuple[int | None, int]:
        """Queue samples on the output; the clause's first sample schedules its 'started' event."""
        if not len(samples) or self._silenced:
            return start, position
        if start is None:
            position = max(position, self._output.played_samples())
        play_at = self._output.write(samples)
        self._trace.mark("first_output_sample", play_at)
        if start is None:
            start = position
            if self._first_sample is None:
                self._first_sample = position
            when_aired = getattr(self._output, "when_aired", None)
            if when_aired is not None:  # a delayed program knows when it airs (or that it never will)
                when_aired(start, lambda: self._on_clause_started(clause))
            else:
                delay = max(0.0, play_at - now())
                loop = asyncio.get_running_loop()
                self._timers.append(loop.call_later(delay, self._clause_due, clause, start))
        return start, position + len(samples)

    def _clause_due(self, clause: str, start: int) -> None:
        """A clause's first sample is due: announce it once it has played (a barge-in hold pauses it)."""
        behind = start - self._output.played_samples() - self._output.sample_rate // DUE_SLACK_DIVISOR
        if behind > 0 and not self._silenced:
            wait = max(HELD_RECHECK_S, behind / self._output.sample_rate)
            self._timers.append(asyncio.get_running_loop().call_later(wait, self._clause_due, clause, start))
            return
        self._on_clause_started(clause)
