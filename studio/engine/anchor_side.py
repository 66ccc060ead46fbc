"""The anchor's side of the engine: answering a decided host line, barge-in, what was heard.

Split from the host's side (`engine.py`: frames, lines, turn decisions) so each reads alone;
`StudioEngine` is both. Threading: everything here runs on the engine's asyncio loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from studio.audio.outputs import AudioOutput
from studio.backends.contracts import ChatOptions
from studio.backends.registry import BackendStack
from studio.config import Settings
from studio.engine.approval import ApprovalDesk, Decision
from studio.engine.conversation import Conversation
from studio.engine.events import (
    AnchorHeld,
    AnchorInterrupted,
    AnchorLineQueued,
    EventBus,
    HostLineResumed,
    ReplyCaptioned,
    ReplyClauseStarted,
    TranscriptUpdated,
    TurnCompleted,
    TurnDecided,
    TurnDiscarded,
)
from studio.engine.hold import BargeInHold
from studio.engine.reply import ReplySpeaker
from studio.engine.safety import WordFilter, clause_guard
from studio.engine.speculation import SpeculativeReply
from studio.engine.supervisor_stack import StackSupervisor
from studio.engine.trace import LatencyTrace
from studio.engine.utterance import Utterance
from studio.heap import release_free_heap
from studio.logs import turn_context
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
RESUMED_REASON = "host went on before the anchor spoke: the line continues, its pending reply is dropped"


@dataclass(slots=True)
class _Answer:
    """The turn being answered: the host line it answers and, once it talks, the anchor's speaker."""

    turn_id: int
    line: Utterance | None = None  # None for a typed line
    speaker: ReplySpeaker | None = None
    resumed: bool = False  # the host went on: the line continues, this answer is dropped unheard
    speculation: SpeculativeReply | None = None  # prepared while the turn was decided; adopted if it fits


class AnchorSide:
    """The answering half of `StudioEngine`: one reply at a time, silenced on barge-in."""

    settings: Settings
    bus: EventBus
    output: AudioOutput
    stack: BackendStack
    supervisor: StackSupervisor
    conversation: Conversation
    air_gate: Callable[[], Awaitable[None]] | None
    voice_for_language: Callable[[str], VoiceProfile | None] | None
    completed: list[TurnCompleted]
    approvals: ApprovalDesk  # the reply waiting for the producer (approve_replies)
    _voice: VoiceProfile
    _answer: _Answer | None
    _reply_task: asyncio.Task[None] | None
    _anchor_idle: asyncio.Event
    _next_turn_id: int
    _hold: BargeInHold
    _held_turn: int = 0  # the answer a hold paused (its release names the same turn)

    # ----- voice and persona (engine loop) -----------------------------------------------------
    @property
    def voice(self) -> VoiceProfile:
        return self._voice

    def set_voice(self, voice: VoiceProfile) -> None:
        """Switch the anchor's voice and persona; the reply in progress keeps the old one."""
        changed = voice != self._voice
        self._voice = voice
        self.conversation.system_prompt = self._system_prompt(voice)
        if changed:  # the TTS server must hold the new voice before the stage stays green
            self.supervisor.voice_changed()

    def _system_prompt(self, voice: VoiceProfile) -> str:
        """The voice's persona plus the show-wide instructions from the settings."""
        extra = self.settings.persona_prompt.strip()
        return f"{voice.system_prompt()}\n\n{extra}" if extra else voice.system_prompt()

    # ----- barge-in and the line being answered (engine loop) ----------------------------------
    def interrupt(self, reason: str = "host interrupted") -> bool:
        """Barge-in: silence the anchor now, cancel its work; history keeps only what was heard."""
        task = self._reply_task
        if task is None or task.done():
            self._set_hold(self._hold.release(reason))
            return False
        if self._answer is not None and self._answer.speaker is not None:
            self._answer.speaker.silence()  # before the flush: nothing may be queued behind it
        self.output.flush()
        self._set_hold(self._hold.release(reason))  # after the flush: what was held is gone
        task.cancel(reason)
        return True

    def _set_hold(self, change: bool | None) -> None:
        """Pause (True) or resume (False) the output for a possible barge-in; None leaves it."""
        if change is None:
            return
        if change:
            self._held_turn = self._answer.turn_id if self._answer is not None else 0
        self.output.hold(change)
        self.bus.publish(AnchorHeld(self._held_turn, change, self._hold.reason))

    @property
    def anchor_busy(self) -> bool:
        return self._reply_task is not None and not self._reply_task.done()

    def _resumable_line(self) -> Utterance | None:
        """The host's spoken line being answered, while no sample or caption of the answer has aired."""
        answer = self._answer
        if not self.anchor_busy or answer is None or answer.line is None or answer.resumed:
            return None
        if answer.speaker is not None and answer.speaker.has_aired(self.output.played_samples()):
            return None
        return answer.line

    def _anchor_audible(self) -> bool:
        """The anchor's answer has aired and is not being cut: a new host line is a barge-in."""
        task = self._reply_task
        if task is None or task.done() or task.cancelling():
            return False
        return self._resumable_line() is None

    def _drop_answer_for_resume(self) -> None:
        """The host went on: cancel the unaired answer; its line continues under the same turn id."""
        assert self._answer is not None and self._answer.line is not None
        self._answer.resumed = True
        self.interrupt("host went on")
        self.bus.publish(HostLineResumed(self._answer.line.turn_id, RESUMED_REASON))

    async def wait_anchor_idle(self) -> None:
        """Wait until no reply is being generated or played."""
        await self._anchor_idle.wait()

    # ----- answering a turn (engine loop) ------------------------------------------------------
    def _take_turn_id(self) -> int:
        turn_id, self._next_turn_id = self._next_turn_id, self._next_turn_id + 1
        return turn_id

    def _answer_line(
        self,
        line: Utterance,
        trace: LatencyTrace,
        reason: str,
        typed: str = "",
        speculation: SpeculativeReply | None = None,
    ) -> None:
        """Start answering a finished host line (its final transcript first, then the reply)."""
        self._anchor_idle.clear()
        answer = _Answer(line.turn_id, line, speculation=speculation)
        task = asyncio.get_running_loop().create_task(
            self._finish_line(answer, trace, reason, typed), context=turn_context(line.turn_id)
        )  # every line logged while answering carries the turn id (studio.logs)
        self._answer, self._reply_task = answer, task
        task.add_done_callback(self._on_reply_done)
        if speculation is not None:  # not adopted, or adopted and over: its task ends with this one
            task.add_done_callback(lambda _: speculation.discard())

    async def _finish_line(self, answer: _Answer, trace: LatencyTrace, reason: str, typed: str) -> None:
        line = answer.line
        assert line is not None
        try:
            transcript = await line.finalize()
        finally:
            await line.discard()  # close its session, also when the host went on during the final
        trace.mark("stt_final")
        text = f"{transcript.text.strip()} {typed}".strip()
        self.bus.publish(TranscriptUpdated(line.turn_id, text, True))
        if not text:
            stt_down = self.supervisor.degraded("stt")
            reason = "speech-to-text unavailable; type the line" if stt_down else "empty transcript"
            self.bus.publish(TurnDiscarded(line.turn_id, reason))
            return
        await self._reply(answer, text, trace, reason, transcript.language)

    def _start_reply(self, turn_id: int, text: str, trace: LatencyTrace, reason: str) -> None:
        self._anchor_idle.clear()
        answer = _Answer(turn_id)
        task = asyncio.get_running_loop().create_task(
            self._reply(answer, text, trace, reason), context=turn_context(turn_id)
        )
        self._answer, self._reply_task = answer, task
        task.add_done_callback(self._on_reply_done)

    def _on_reply_done(self, task: asyncio.Task[None]) -> None:
        if task is self._reply_task:
            self._reply_task, self._answer = None, None
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
        self, answer: _Answer, text: str, trace: LatencyTrace, reason: str, language: str | None = None
    ) -> None:
        turn_id = answer.turn_id
        self.bus.publish(TurnDecided(turn_id, text, reason))
        reply_language = self._follow_language(language)
        voice = self._voice
        options = self._chat_options(voice, language)
        messages = self.conversation.messages_for(text, reply_language=reply_language)
        speculation, answer.speculation = answer.speculation, None
        if speculation is not None and speculation.matches(messages, options, voice):
            trace = speculation.confirm(trace)  # its held events go out now, its audio may air
            answer.speaker = speculation.speaker
            assert speculation.task is not None
            run: Awaitable[object] = speculation.task  # cancelling this task cancels that one too
        else:
            if speculation is not None:
                speculation.discard()
            answer.speaker = self._speaker(turn_id, voice, options, trace)
            run = answer.speaker.speak(messages)
        interrupted = False
        try:
            await run
        except asyncio.CancelledError:
            interrupted = True
            raise
        finally:
            self._close_answer(answer, text, trace, interrupted)

    def _chat_options(self, voice: VoiceProfile, language: str | None) -> ChatOptions:
        return ChatOptions(
            max_tokens=self.settings.max_reply_tokens,
            temperature=voice.synthesis.temperature,
            seed=voice.synthesis.seed,
            language=language or voice.language,
        )

    def _speaker(
        self,
        turn_id: int,
        voice: VoiceProfile,
        options: ChatOptions,
        trace: LatencyTrace,
        speculation: SpeculativeReply | None = None,
    ) -> ReplySpeaker:
        """The speaker of one reply; a speculative one holds its events and audio until confirmed."""

        def publish(event: object) -> None:
            if speculation is None:
                self.bus.publish(event)  # type: ignore[arg-type]
            else:
                speculation.hold(lambda: self.bus.publish(event))  # type: ignore[arg-type]

        def queued(clause: str) -> None:
            def event() -> None:  # built when published: the trace then holds the decision's marks
                backends = self.supervisor.describe(self.stack)
                self.bus.publish(AnchorLineQueued(turn_id, clause, voice.name, backends, trace.report()))

            if speculation is None:
                event()
            else:
                speculation.hold(event)

        return ReplySpeaker(
            self.stack.chat,
            self.stack.tts,
            self.output,
            voice,
            options,
            trace,
            lambda clause: self.bus.publish(ReplyClauseStarted(turn_id, clause)),
            first_clause_max_words=self.settings.first_clause_max_words,
            max_reply_chars=self.settings.max_reply_chars,
            on_clause_queued=queued,
            on_caption=lambda clause: publish(ReplyCaptioned(turn_id, clause, self._caption_reason())),
            air_gate=self.air_gate if speculation is None else speculation.air_gate(self.air_gate),
            first_clause_priority=self.settings.first_clause_priority,
            guard=clause_guard(self.settings, turn_id, self.stack.chat, options, publish),
            review=self._review(turn_id) if self.settings.approve_replies else None,
        )

    def _review(self, turn_id: int) -> Callable[[str], Awaitable[Decision]]:
        """The producer's review of one reply, with the timeout the settings give."""
        settings = self.settings
        censored = WordFilter(settings.blocked_words).censored
        return lambda text: self.approvals.review(
            turn_id, text, settings.approval_timeout_s, settings.approval_timeout_action, censored
        )

    def _close_answer(self, answer: _Answer, text: str, trace: LatencyTrace, interrupted: bool) -> None:
        """Record what the audience heard of a finished or cut answer (nothing if the host went on)."""
        speaker = answer.speaker
        assert speaker is not None
        if answer.resumed:  # the line continues: it is answered (and recorded) once it ends
            return
        played = self.output.played_samples()
        heard = speaker.playout.heard_text(played)
        self.conversation.record_turn(text, heard, interrupted)
        if interrupted:
            self.bus.publish(AnchorInterrupted(answer.turn_id, heard, "barge-in"))
        completed = TurnCompleted(
            turn_id=answer.turn_id,
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
