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
from dataclasses import dataclass
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
    HostLineResumed,
    HostSpeechStarted,
    ReplyCaptioned,
    ReplyClauseStarted,
    TranscriptUpdated,
    TurnCompleted,
    TurnDecided,
    TurnDiscarded,
)
from studio.engine.policies import POLICY_SETTINGS, AutoTurnPolicy
from studio.engine.reply import ReplySpeaker
from studio.engine.speculation import SpeculativeReply
from studio.engine.supervisor_stack import StackSupervisor
from studio.engine.trace import LatencyTrace, now
from studio.engine.utterance import Utterance
from studio.heap import release_free_heap
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
TurnMode = Literal["auto", "push_to_talk"]
RESUMED_REASON = "host went on before the anchor spoke: the line continues, its pending reply is dropped"


@dataclass(slots=True)
class _Answer:
    """The turn being answered: the host line it answers and, once it talks, the anchor's speaker."""

    turn_id: int
    line: Utterance | None = None  # None for a typed line
    speaker: ReplySpeaker | None = None
    resumed: bool = False  # the host went on: the line continues, this answer is dropped unheard
    speculation: SpeculativeReply | None = None  # prepared while the turn was decided; adopted if it fits


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
        *,
        echo_filter: Callable[[np.ndarray], bool] | None = None,
        air_gate: Callable[[], Awaitable[None]] | None = None,
        voice_for_language: Callable[[str], VoiceProfile | None] | None = None,
    ) -> None:
        """The hooks come from whoever assembles the show (studio.show), never set from outside."""
        self.settings, self.output = settings, output
        self.bus = bus or EventBus()
        self.mode: TurnMode = settings.turn_mode
        self._voice = voice
        # Every backend call is bounded and checked; a failing stage degrades to its fallback.
        self.supervisor = StackSupervisor(settings, self.bus.publish, lambda: self._voice)
        self.stack = self.supervisor.wrap(stack)
        # Awaited before a clause's first sample airs (the session log makes its line durable).
        self.air_gate = air_gate
        self._answer: _Answer | None = None  # the turn being answered (silenced on barge-in)
        # True for a mic frame that holds only the anchor's own voice (speaker leaking into the
        # mic): such a frame never starts a line or a barge-in. The audio I/O's echo gate; called
        # once per frame, in order.
        self.echo_filter = echo_filter
        # The voice profile to answer with when the STT detects the host speaking another language
        # (the GPU stack's Voxtral detects 8); None keeps the current voice.
        self.voice_for_language = voice_for_language
        self.conversation = Conversation(
            self._system_prompt(voice), settings.history_turns, settings.history_max_chars
        )
        self._policy = AutoTurnPolicy(settings, stack.vad.frame_samples)
        self._partial_interval = int(settings.partial_interval_ms * INPUT_SAMPLE_RATE / 1000)
        self._utterance: Utterance | None = None
        self._evaluation: asyncio.Task[None] | None = None
        # The reply prepared on the speculative final while the end of turn is decided (and the
        # task waiting for that text).
        self._speculation: SpeculativeReply | None = None
        self._speculating: asyncio.Task[None] | None = None
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
            self._drop_line("turn mode switched during the line")

    def push_to_talk(self, pressed: bool) -> None:
        """Host pressed or released the talk key. Pressing while the anchor talks is a barge-in."""
        if self.mode != "push_to_talk" or pressed == self._ptt_held:
            return
        self._ptt_held = pressed
        if pressed:
            self._start_line("host pressed talk")
        elif self._utterance is not None:
            self._decide_turn("talk key released", speech_end=now())

    def submit_text(self, text: str) -> None:
        """A typed host line (no mic, or STT down): answered like a spoken one."""
        text = text.strip()
        if not text:
            return
        previous = self._resumable_line()
        if previous is not None:  # the host's spoken line is still unanswered: the typed words end it
            self._drop_answer_for_resume()
            line = Utterance.continuing(previous, self.stack.stt)
            self._answer_line(line, LatencyTrace(), "typed after a pause", typed=text)
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
        if self._answer is not None and self._answer.speaker is not None:
            self._answer.speaker.silence()  # before the flush: nothing may be queued behind it
        self.output.flush()
        task.cancel(reason)
        return True

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
        """The anchor's answer has aired: a new host line is a barge-in (and echo may reach the mic)."""
        return self.anchor_busy and self._resumable_line() is None

    def _drop_answer_for_resume(self) -> None:
        """The host went on: cancel the unaired answer; its line continues under the same turn id."""
        assert self._answer is not None and self._answer.line is not None
        self._answer.resumed = True
        self.interrupt("host went on")
        self.bus.publish(HostLineResumed(self._answer.line.turn_id, RESUMED_REASON))

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

    # ----- reconfiguration mid-show (engine loop; called by the show) --------------------------
    def apply_settings(self, settings: Settings) -> None:
        """New settings mid-show, read from the next frame on; the policy is rebuilt if its timing changed."""
        old, self.settings = self.settings, settings
        self.conversation.system_prompt = self._system_prompt(self._voice)
        self.conversation.set_limits(settings.history_turns, settings.history_max_chars)
        self._partial_interval = int(settings.partial_interval_ms * INPUT_SAMPLE_RATE / 1000)
        if any(getattr(old, key) != getattr(settings, key) for key in POLICY_SETTINGS):
            self._drop_line("turn settings changed during the line")
            self._policy = AutoTurnPolicy(settings, self.stack.vad.frame_samples)

    async def replace_stack(self, stack: BackendStack) -> None:
        """New backends mid-show (models or supervision changed): conversation, turn ids and voice stay."""
        self.interrupt("the models are being replaced")
        await self.wait_anchor_idle()
        await self.supervisor.aclose()
        self.interrupt("the models are being replaced")  # a reply that began meanwhile
        self._drop_line("the models are being replaced")
        self.supervisor = StackSupervisor(self.settings, self.bus.publish, lambda: self._voice)
        self.stack = self.supervisor.wrap(stack)
        self._policy = AutoTurnPolicy(self.settings, stack.vad.frame_samples)

    async def replace_output(self, output: AudioOutput) -> None:
        """A new program device mid-show: the reply on air is cut (its audio went to the old one)."""
        self.interrupt("the audio devices changed")
        await self.wait_anchor_idle()
        self.output = output

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
        verdict = self._policy.on_frame(frame, voiced, self._anchor_audible())
        if verdict.start_line:
            self._start_line("host barge-in")
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
            self._drop_speculation()  # the host goes on: what was prepared answers too little
            line.maybe_start_partial(self._partial_interval, self._publish_partial)
        if verdict.speculate:
            line.maybe_start_partial(0, self._publish_partial)  # likely the final text
            self._speculate(line)
        if verdict.evaluate:
            self._evaluation = asyncio.get_running_loop().create_task(self._evaluate(line))
        if verdict.end_turn:
            self._decide_turn(verdict.end_turn, speech_end=line.last_voiced_at)

    def _start_line(self, barge_in_reason: str) -> None:
        """The host starts talking: a new line, or, if the anchor has not aired yet, the same one again.

        A host who pauses between two sentences may be taken as done; when they go on before the
        anchor said anything, the pending answer is dropped and its audio starts the new line.
        """
        self._discard_utterance("a new line started over it")
        previous = self._resumable_line()
        if previous is not None:
            self._drop_answer_for_resume()
            self._utterance = Utterance.continuing(previous, self.stack.stt)
            return
        self.interrupt(barge_in_reason)
        fixed = self.settings.stt_language
        self._utterance = Utterance(self._take_turn_id(), self.stack.stt, None if fixed == "auto" else fixed)
        self.bus.publish(HostSpeechStarted(self._utterance.turn_id))

    def _drop_line(self, reason: str) -> None:
        self._discard_utterance(reason)
        self._policy.line_ended()

    def _discard_utterance(self, reason: str) -> None:
        """Drop the line in progress; what the host said in it still reaches the transcript and log."""
        self._cancel_evaluation()
        self._drop_speculation()
        if self._utterance is not None:
            line, self._utterance = self._utterance, None
            asyncio.get_running_loop().create_task(self._log_discarded(line, reason))

    async def _log_discarded(self, line: Utterance, reason: str) -> None:
        """Transcribe a dropped line so its words are kept, then log the discard with its reason."""
        text = ""
        try:
            if line.voiced_samples:
                text = (await line.finalize()).text.strip()
        except Exception:  # the STT failed: the partial text is the best record there is
            log.exception("final transcript of a discarded line failed")
            text = line.latest_text
        finally:
            await line.discard()
        if text:
            self.bus.publish(TranscriptUpdated(line.turn_id, text, True))
        self.bus.publish(TurnDiscarded(line.turn_id, reason))

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
        speculation = self._take_speculation()
        self._utterance = None
        self._policy.line_ended()
        trace = LatencyTrace()
        trace.mark("host_speech_end", speech_end if speech_end is not None else line.last_voiced_at)
        trace.mark("turn_decided")
        if line.voiced_samples == 0:
            if speculation is not None:
                speculation.discard()
            asyncio.get_running_loop().create_task(line.discard())
            self.bus.publish(TurnDiscarded(line.turn_id, "no speech in the line"))
            return
        self._answer_line(line, trace, reason, speculation=speculation)

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
        task = asyncio.get_running_loop().create_task(self._finish_line(answer, trace, reason, typed))
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

    # ----- the output side --------------------------------------------------------------------
    def _take_turn_id(self) -> int:
        turn_id, self._next_turn_id = self._next_turn_id, self._next_turn_id + 1
        return turn_id

    def _start_reply(self, turn_id: int, text: str, trace: LatencyTrace, reason: str) -> None:
        self._anchor_idle.clear()
        answer = _Answer(turn_id)
        task = asyncio.get_running_loop().create_task(self._reply(answer, text, trace, reason))
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
        )

    # ----- speculation (engine loop) -----------------------------------------------------------
    def _speculate(self, line: Utterance) -> None:
        """The host paused: once the speculative final is in, start preparing the reply to it."""
        if not self.settings.speculative_reply or self.mode != "auto":
            return
        self._drop_speculation()
        self._speculating = asyncio.get_running_loop().create_task(self._prepare_reply(line))

    async def _prepare_reply(self, line: Utterance) -> None:
        text = (await line.settled_text()).strip()
        if not text or line is not self._utterance:
            return
        voice = self._voice
        options = self._chat_options(voice, line.language)
        speculation = SpeculativeReply(line.turn_id, self.conversation.messages_for(text), options, voice)
        speculation.start(self._speaker(line.turn_id, voice, options, speculation.trace, speculation))
        self._speculation = speculation

    def _take_speculation(self) -> SpeculativeReply | None:
        """The prepared reply, handed to the decided turn (a preparation still waiting is dropped)."""
        if self._speculating is not None and not self._speculating.done():
            self._speculating.cancel()
        self._speculating = None
        speculation, self._speculation = self._speculation, None
        return speculation

    def _drop_speculation(self) -> None:
        speculation = self._take_speculation()
        if speculation is not None:
            speculation.discard()

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

    async def aclose(self) -> None:
        """Stop any turn in flight and release the line."""
        self.interrupt("studio closing")
        if self._reply_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reply_task
        self._cancel_evaluation()
        self._drop_speculation()
        self._policy.line_ended()
        line, self._utterance = self._utterance, None
        if line is not None:  # the host was mid-line: keep their words before the models close
            await self._log_discarded(line, "studio closed during the line")
        await self.supervisor.aclose()
