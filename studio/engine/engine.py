"""The studio engine: mic frames in, the anchor's voice out, one asyncio loop running the show.

Threading: everything here runs on the engine's asyncio loop. Commands from another thread (the
Qt adapter) must arrive through `loop.call_soon_threadsafe`. Backends do heavy work in their
own workers, so a frame is handled in well under a millisecond.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Literal

import numpy as np

from studio.audio.outputs import AudioOutput
from studio.audio.realtime import shorten_gil_switch_interval
from studio.backends.contracts import INPUT_SAMPLE_RATE, ChatOptions
from studio.backends.registry import BackendStack
from studio.config import Settings
from studio.engine.conversation import Conversation
from studio.engine.events import (
    AnchorInterrupted,
    AnchorLineQueued,
    EventBus,
    HostSpeechStarted,
    ReplyCaptioned,
    ReplyClauseStarted,
    TranscriptUpdated,
    TurnCompleted,
    TurnDecided,
    TurnDiscarded,
)
from studio.engine.policies import AutoTurnPolicy
from studio.engine.reply import ReplySpeaker
from studio.engine.supervisor_stack import StackSupervisor
from studio.engine.trace import LatencyTrace, now
from studio.engine.utterance import Utterance
from studio.heap import release_free_heap
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
TurnMode = Literal["auto", "push_to_talk"]


def _ends_sentence(text: str) -> bool:
    """A transcript that ends like a finished sentence (not a trailing-off '...')."""
    text = text.rstrip(" \"')")
    return text.endswith((".", "?", "!")) and not text.endswith("..")


class StudioEngine:
    """Runs the turn loop of DESIGN.md over a backend stack and a program output."""

    def __init__(
        self,
        settings: Settings,
        stack: BackendStack,
        output: AudioOutput,
        voice: VoiceProfile,
        bus: EventBus | None = None,
    ) -> None:
        self.settings, self.output = settings, output
        self.bus = bus or EventBus()
        self.mode: TurnMode = settings.turn_mode
        self._voice = voice
        # Every backend call is bounded and checked; a failing stage degrades to its fallback.
        self.supervisor = StackSupervisor(settings, self.bus.publish, lambda: self._voice)
        self.stack = self.supervisor.wrap(stack)
        # Awaited before a clause's first sample airs (the session log makes its line durable).
        self.air_gate: Callable[[], Awaitable[None]] | None = None
        self._speaker: ReplySpeaker | None = None  # the reply in progress (silenced on barge-in)
        # True for a mic frame that holds only the anchor's own voice (speaker leaking into the
        # mic): such a frame never starts a line or a barge-in. Set by the audio I/O; called once
        # per frame, in order.
        self.echo_filter: Callable[[np.ndarray], bool] | None = None
        # The voice profile to answer with when the STT detects the host speaking another language
        # (the GPU stack's Voxtral detects 8); None keeps the current voice.
        self.voice_for_language: Callable[[str], VoiceProfile | None] | None = None
        self.conversation = Conversation(
            self._system_prompt(voice), settings.history_turns, settings.history_max_chars
        )
        self._policy = AutoTurnPolicy(settings, stack.vad.frame_samples)
        self._partial_interval = int(settings.partial_interval_ms * INPUT_SAMPLE_RATE / 1000)
        self._utterance: Utterance | None = None
        self._evaluation: asyncio.Task[None] | None = None
        self._reply_task: asyncio.Task[None] | None = None
        self._ptt_held = False
        self._next_turn_id = 1
        self._anchor_idle = asyncio.Event()
        self._anchor_idle.set()
        self.completed: list[TurnCompleted] = []
        shorten_gil_switch_interval()  # the engine loop gets the GIL back from model threads fast

    # ----- commands (engine loop) -------------------------------------------------------------
    @property
    def voice(self) -> VoiceProfile:
        return self._voice

    def set_voice(self, voice: VoiceProfile) -> None:
        """Switch the anchor's voice and persona; the reply in progress keeps the old one."""
        self._voice = voice
        self.conversation.system_prompt = self._system_prompt(voice)

    def _system_prompt(self, voice: VoiceProfile) -> str:
        """The voice's persona plus the show-wide instructions from the settings."""
        extra = self.settings.persona_prompt.strip()
        return f"{voice.system_prompt()}\n\n{extra}" if extra else voice.system_prompt()

    def set_mode(self, mode: TurnMode) -> None:
        """Switch between auto-turn and push-to-talk; a line in progress is dropped."""
        if mode != self.mode:
            self.mode = mode
            self._drop_line()

    def push_to_talk(self, pressed: bool) -> None:
        """Host pressed or released the talk key. Pressing while the anchor talks is a barge-in."""
        if self.mode != "push_to_talk" or pressed == self._ptt_held:
            return
        self._ptt_held = pressed
        if pressed:
            self.interrupt("host pressed talk")
            self._start_line()
        elif self._utterance is not None:
            self._decide_turn("talk key released", speech_end=now())

    def submit_text(self, text: str) -> None:
        """A typed host line (no mic, or STT down): answered like a spoken one."""
        text = text.strip()
        if not text:
            return
        self.interrupt("host typed a line")
        turn_id = self._take_turn_id()
        trace = LatencyTrace()
        trace.mark("host_speech_end")
        trace.mark("turn_decided")
        trace.mark("stt_final")
        self.bus.publish(TranscriptUpdated(turn_id, text, True))
        self._start_reply(turn_id, text, trace, "typed")

    def interrupt(self, reason: str = "host interrupted") -> bool:
        """Barge-in: silence the anchor now, cancel its work; history keeps only what was heard."""
        task = self._reply_task
        if task is None or task.done():
            return False
        if self._speaker is not None:
            self._speaker.silence()  # before the flush: nothing may be queued behind it
        self.output.flush()
        task.cancel(reason)
        return True

    @property
    def anchor_busy(self) -> bool:
        return self._reply_task is not None and not self._reply_task.done()

    async def wait_anchor_idle(self) -> None:
        """Wait until no reply is being generated or played."""
        await self._anchor_idle.wait()

    async def wait_settled(self) -> None:
        """Wait until no end-of-turn question is pending and the anchor is idle.

        Offline replays (`run --fast`, tests) feed the next frame only then, so they take the
        same turn decisions a live mic would, however fast frames arrive.
        """
        while True:
            evaluation = self._evaluation
            if evaluation is not None and not evaluation.done():
                await asyncio.wait({evaluation})
            await self._anchor_idle.wait()
            if (self._evaluation is None or self._evaluation.done()) and self._anchor_idle.is_set():
                return

    # ----- the input side ---------------------------------------------------------------------
    async def run(self, frames: AsyncIterator[np.ndarray]) -> None:
        """Consume mic frames until they end, then let the last turn finish."""
        async for frame in frames:
            self.process_frame(frame)
        if self._utterance is not None and self.mode == "auto":
            self._decide_turn("input ended", speech_end=None)
        await self.wait_anchor_idle()

    def process_frame(self, frame: np.ndarray) -> None:
        """Handle one VAD frame of host audio (16 kHz float32, `vad.frame_samples` long)."""
        at = now()
        echo = self.echo_filter(frame) if self.echo_filter is not None else False
        voiced = self.stack.vad.speech_probability(frame) >= self.settings.vad_threshold and not echo
        if self.mode == "push_to_talk":
            if self._ptt_held and self._utterance is not None:
                self._utterance.append(frame, voiced, at)
                self._utterance.maybe_start_partial(self._partial_interval, self._publish_partial)
            return
        verdict = self._policy.on_frame(frame, voiced, self.anchor_busy)
        if verdict.start_line:
            if verdict.barge_in:
                self.interrupt("host barge-in")
            self._start_line()
            for early in self._policy.preroll:
                self._utterance.append(early, True, at)  # type: ignore[union-attr]
            return
        line = self._utterance
        if line is None:
            return
        if verdict.append:
            line.append(frame, voiced, at)
        if voiced:
            self._cancel_evaluation()
            line.maybe_start_partial(self._partial_interval, self._publish_partial)
        if verdict.speculate:
            line.maybe_start_partial(0, self._publish_partial)  # likely the final text
        if verdict.evaluate:
            self._evaluation = asyncio.get_running_loop().create_task(self._evaluate(line))
        if verdict.end_turn:
            self._decide_turn(verdict.end_turn, speech_end=line.last_voiced_at)

    def _start_line(self) -> None:
        self._discard_utterance()
        fixed = self.settings.stt_language
        self._utterance = Utterance(self._take_turn_id(), self.stack.stt, None if fixed == "auto" else fixed)
        self.bus.publish(HostSpeechStarted(self._utterance.turn_id))

    def _drop_line(self) -> None:
        self._discard_utterance()
        self._policy.line_ended()

    def _discard_utterance(self) -> None:
        self._cancel_evaluation()
        if self._utterance is not None:
            line, self._utterance = self._utterance, None
            asyncio.get_running_loop().create_task(line.discard())

    def _publish_partial(self, text: str) -> None:
        if self._utterance is not None:
            self.bus.publish(TranscriptUpdated(self._utterance.turn_id, text, False))

    async def _evaluate(self, line: Utterance) -> None:
        """Ask the end-of-turn model; end the turn if it says complete and the host is still quiet."""
        probability = await self.stack.turn.completion_probability(line.recent_audio(), line.latest_text)
        if probability >= self.settings.turn_completion_threshold:
            if self._still_quiet(line):
                self._decide_turn(f"end-of-turn model p={probability:.2f}", speech_end=line.last_voiced_at)
            return
        if probability < self.settings.turn_punctuation_min_probability:
            return
        # A second opinion from the words: Whisper's punctuation on the speculative final text.
        text = await line.settled_text()
        if self._still_quiet(line) and _ends_sentence(text):
            self._decide_turn(
                f"sentence end + end-of-turn model p={probability:.2f}", speech_end=line.last_voiced_at
            )

    def _still_quiet(self, line: Utterance) -> bool:
        return line is self._utterance and self._policy.silence_continues

    def _cancel_evaluation(self) -> None:
        if self._evaluation is not None and not self._evaluation.done():
            self._evaluation.cancel()
        self._evaluation = None

    def _decide_turn(self, reason: str, speech_end: float | None) -> None:
        line = self._utterance
        if line is None:
            return
        self._cancel_evaluation()
        self._utterance = None
        self._policy.line_ended()
        trace = LatencyTrace()
        trace.mark("host_speech_end", speech_end if speech_end is not None else line.last_voiced_at)
        trace.mark("turn_decided")
        if line.voiced_samples == 0:
            asyncio.get_running_loop().create_task(line.discard())
            self.bus.publish(TurnDiscarded(line.turn_id, "no speech in the line"))
            return
        self._anchor_idle.clear()
        task = asyncio.get_running_loop().create_task(self._finish_line(line, trace, reason))
        self._reply_task = task
        task.add_done_callback(self._on_reply_done)

    async def _finish_line(self, line: Utterance, trace: LatencyTrace, reason: str) -> None:
        transcript = await line.finalize()
        trace.mark("stt_final")
        await line.session.aclose()
        text = transcript.text.strip()
        self.bus.publish(TranscriptUpdated(line.turn_id, text, True))
        if not text:
            stt_down = self.supervisor.degraded("stt")
            reason = "speech-to-text unavailable; type the line" if stt_down else "empty transcript"
            self.bus.publish(TurnDiscarded(line.turn_id, reason))
            return
        await self._reply(line.turn_id, text, trace, reason, transcript.language)

    # ----- the output side --------------------------------------------------------------------
    def _take_turn_id(self) -> int:
        turn_id, self._next_turn_id = self._next_turn_id, self._next_turn_id + 1
        return turn_id

    def _start_reply(self, turn_id: int, text: str, trace: LatencyTrace, reason: str) -> None:
        self._anchor_idle.clear()
        task = asyncio.get_running_loop().create_task(self._reply(turn_id, text, trace, reason))
        self._reply_task = task
        task.add_done_callback(self._on_reply_done)

    def _on_reply_done(self, task: asyncio.Task[None]) -> None:
        if task is self._reply_task:
            self._reply_task = None
            self._anchor_idle.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("turn failed", exc_info=task.exception())

    def _follow_language(self, language: str | None) -> str | None:
        """The host speaks another language than the voice: switch to a voice profile of it, if any.

        Returns the language the reply must be in when that differs from what the persona implies.
        """
        if not language or language == self._voice.language:
            return None
        voice = self.voice_for_language(language) if self.voice_for_language is not None else None
        if voice is not None and voice.language == language:
            log.info("host speaks %s: voice %s", language, voice.name)
            self.set_voice(voice)
        return language

    async def _reply(
        self, turn_id: int, text: str, trace: LatencyTrace, reason: str, language: str | None = None
    ) -> None:
        self.bus.publish(TurnDecided(turn_id, text, reason))
        reply_language = self._follow_language(language)
        voice = self._voice
        options = ChatOptions(
            max_tokens=self.settings.max_reply_tokens,
            temperature=voice.synthesis.temperature,
            seed=voice.synthesis.seed,
            language=language or voice.language,
        )
        speaker = ReplySpeaker(
            self.stack.chat,
            self.stack.tts,
            self.output,
            voice,
            options,
            trace,
            lambda clause: self.bus.publish(ReplyClauseStarted(turn_id, clause)),
            first_clause_max_words=self.settings.first_clause_max_words,
            max_reply_chars=self.settings.max_reply_chars,
            on_clause_queued=lambda clause: self.bus.publish(
                AnchorLineQueued(
                    turn_id, clause, voice.name, self.supervisor.describe(self.stack), trace.report()
                )
            ),
            on_caption=lambda clause: self.bus.publish(
                ReplyCaptioned(turn_id, clause, self._caption_reason())
            ),
            air_gate=self.air_gate,
        )
        self._speaker = speaker
        messages = self.conversation.messages_for(text, reply_language=reply_language)
        interrupted = False
        try:
            await speaker.speak(messages)
        except asyncio.CancelledError:
            interrupted = True
            raise
        finally:
            played = self.output.played_samples()
            heard = speaker.playout.heard_text(played)
            self.conversation.record_turn(text, heard, interrupted)
            if interrupted:
                self.bus.publish(AnchorInterrupted(turn_id, heard, "barge-in"))
            completed = TurnCompleted(
                turn_id=turn_id,
                transcript=text,
                reply=speaker.playout.reply_text,
                heard=heard,
                interrupted=interrupted,
                audio_seconds=round(speaker.playout.played_seconds(played), 3),
                latency_ms=trace.report(),
                backends=self.supervisor.describe(self.stack),
            )
            self.completed.append(completed)
            self.bus.publish(completed)
            # The turn's buffers are garbage now: hand the pages back so a long show stays flat.
            asyncio.get_running_loop().run_in_executor(None, release_free_heap)

    def _caption_reason(self) -> str:
        if self.supervisor.degraded("tts"):
            return "speech synthesis unavailable"
        return "nothing speakable in it"

    async def aclose(self) -> None:
        """Stop any turn in flight and release the line."""
        self.interrupt("studio closing")
        if self._reply_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reply_task
        await self.supervisor.aclose()
        self._cancel_evaluation()
        self._policy.line_ended()
        line, self._utterance = self._utterance, None
        if line is not None:
            await line.discard()
