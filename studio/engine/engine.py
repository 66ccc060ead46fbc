"""The studio engine: mic frames in, the anchor's voice out, one asyncio loop running the show.

This module is the host's side (frames, lines, turn decisions, the speculative reply);
`anchor_side.py` answers a decided line. Threading: everything here runs on the engine's asyncio
loop. Commands from another thread must arrive through `loop.call_soon_threadsafe` (the show's
commands do that). Backends do heavy work in their
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
from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.backends.registry import BackendStack
from studio.config import Settings
from studio.engine.anchor_side import AnchorSide
from studio.engine.approval import ApprovalDesk
from studio.engine.conversation import Conversation
from studio.engine.events import (
    EventBus,
    HostSpeechStarted,
    TranscriptUpdated,
    TurnCompleted,
    TurnDiscarded,
)
from studio.engine.hold import HOLD_SETTINGS, BargeInHold
from studio.engine.policies import POLICY_SETTINGS, AutoTurnPolicy
from studio.engine.speculation import SpeculativeReply
from studio.engine.supervisor_stack import StackSupervisor
from studio.engine.trace import LatencyTrace, now
from studio.engine.utterance import Utterance, ends_sentence
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
TurnMode = Literal["auto", "push_to_talk"]


class StudioEngine(AnchorSide):
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
        prompt_context: Callable[[], str] | None = None,
    ) -> None:
        """The hooks come from whoever assembles the show (studio.show), never set from outside.

        `prompt_context` is read at each chat request and sent with the host's line (the rundown)."""
        self.settings, self.output = settings, output
        self.bus = bus or EventBus()
        self.mode: TurnMode = settings.turn_mode
        self._voice = voice
        # Every backend call is bounded and checked; a failing stage degrades to its fallback.
        self.supervisor = StackSupervisor(settings, self.bus.publish, lambda: self._voice)
        self.stack = self.supervisor.wrap(stack)
        # Awaited before a clause's first sample airs (the session log makes its line durable).
        self.air_gate = air_gate
        self._answer = None  # the turn being answered (silenced on barge-in)
        # True for a mic frame that holds only the anchor's own voice (speaker leaking into the
        # mic): such a frame never starts a line or a barge-in. The audio I/O's echo gate; called
        # once per frame, in order.
        self.echo_filter = echo_filter
        # The voice profile to answer with when the STT detects the host speaking another language
        # (the GPU stack's Voxtral detects 8); None keeps the current voice.
        self.voice_for_language = voice_for_language
        self.conversation = Conversation(
            self._system_prompt(voice), settings.history_turns, settings.history_max_chars, prompt_context
        )
        self._policy = AutoTurnPolicy(settings, stack.vad.frame_samples)
        self._hold = BargeInHold(settings, stack.vad.frame_samples)
        self._partial_interval = int(settings.partial_interval_ms * INPUT_SAMPLE_RATE / 1000)
        self._utterance: Utterance | None = None
        self._evaluation: asyncio.Task[None] | None = None
        self._turn_end_due = ""  # a "complete" verdict that came before the pause was long enough
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
        self.approvals = ApprovalDesk(self.bus.publish)  # type: ignore[arg-type]
        shorten_gil_switch_interval()  # the engine loop gets the GIL back from model threads fast

    # ----- commands (engine loop) -------------------------------------------------------------
    def set_mode(self, mode: TurnMode) -> None:
        """Switch between auto-turn and push-to-talk; a line in progress is dropped."""
        if mode != self.mode:
            self.mode = mode
            self._drop_line("turn mode switched during the line")
            self._set_hold(self._hold.release("turn mode switched"))  # push-to-talk never holds

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
        if any(getattr(old, key) != getattr(settings, key) for key in HOLD_SETTINGS):
            self._set_hold(self._hold.release("barge-in settings changed"))
            self._hold = BargeInHold(settings, self.stack.vad.frame_samples)

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
        self._hold = BargeInHold(self.settings, stack.vad.frame_samples)

    async def replace_output(self, output: AudioOutput) -> None:
        """A new program device mid-show: the reply on air is cut (its audio went to the old one)."""
        self.interrupt("the audio devices changed")
        await self.wait_anchor_idle()
        self._set_hold(self._hold.release("the audio devices changed"))  # on the output it held
        self.output = output

    # ----- the input side ---------------------------------------------------------------------
    async def run(self, frames: AsyncIterator[np.ndarray]) -> None:
        """Consume mic frames until they end, then let the last turn finish."""
        async for frame in frames:
            self.process_frame(frame)
        self._set_hold(self._hold.release("the mic input ended"))  # no frame will end it now
        if self._utterance is not None and self.mode == "auto":
            self._decide_turn("input ended", speech_end=None)
        await self.wait_anchor_idle()

    def process_frame(self, frame: np.ndarray) -> None:
        """Handle one VAD frame of host audio (16 kHz float32, `vad.frame_samples` long)."""
        at = now()
        echo = self.echo_filter(frame) if self.echo_filter is not None else False
        probability = self.stack.vad.speech_probability(frame)
        voiced = probability >= self.settings.vad_threshold and not echo
        if self.mode == "push_to_talk":
            if self._ptt_held and self._utterance is not None:
                self._utterance.append(frame, voiced, at)
                if not self._utterance.fading:
                    self._utterance.maybe_start_partial(self._partial_interval, self._publish_partial)
            return
        anchor_audible = self._anchor_audible()
        self._set_hold(self._hold.on_frame(probability, echo, anchor_audible and not self._policy.in_line))
        verdict = self._policy.on_frame(frame, voiced, anchor_audible)
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
            if not line.fading:
                self._drop_speculation()  # the host goes on: what was prepared answers too little
                line.maybe_start_partial(self._partial_interval, self._publish_partial)
            elif line.faded and self.settings.speculate_on_fade:
                # The voice fell far under the line's level, or further within a soft last word:
                # maybe its end, ~100 ms before Silero says so: the recogniser reads the line now
                # if it is free, or busy with a live partial that gives way (`make_way_for_final`).
                self._speculate(line, early=True)
        if verdict.speculate:
            line.maybe_start_partial(0, self._publish_partial)  # likely the final text
            self._speculate(line)
        if verdict.evaluate:
            self._evaluation = asyncio.get_running_loop().create_task(self._evaluate(line))
        if self._turn_end_due and self._policy.silence_continues:
            self._decide_turn(self._turn_end_due, speech_end=line.last_voiced_at)
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
            self._end_turn_when_quiet(line, f"end-of-turn model p={probability:.2f}")
            return
        if probability < self.settings.turn_punctuation_min_probability:
            return
        # A second opinion from the words: Whisper's punctuation on the speculative final text.
        if ends_sentence(await line.settled_text()):
            self._end_turn_when_quiet(line, f"sentence end + end-of-turn model p={probability:.2f}")

    def _end_turn_when_quiet(self, line: Utterance, reason: str) -> None:
        """End the turn now if the pause is long enough, else at the frame that makes it so."""
        if line is not self._utterance:
            return
        if self._policy.silence_continues:
            self._decide_turn(reason, speech_end=line.last_voiced_at)
        else:
            self._turn_end_due = reason  # a voiced frame first cancels it (`_cancel_evaluation`)

    def _cancel_evaluation(self) -> None:
        if self._evaluation is not None and not self._evaluation.done():
            self._evaluation.cancel()
        self._evaluation, self._turn_end_due = None, ""

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

    # ----- speculation (engine loop) -----------------------------------------------------------
    def _speculate(self, line: Utterance, early: bool = False) -> None:
        """The host paused: once the speculative final is in, start preparing the reply to it.

        `early`: where the voice faded; the reply starts on the recognition begun there, and the
        line's newest text then checks it (soft words after the fade make it start again)."""
        if not self.settings.speculative_reply or self.mode != "auto":
            return
        if early:
            if not line.make_way_for_final():
                return  # a final is running: another queued behind it would only delay the line
            line.maybe_start_partial(0, self._publish_partial)  # the line's final, if it ends here
        if self._speculating is not None and not self._speculating.done():
            return  # a preparation under way checks the newest text before it ends
        self._speculating = asyncio.get_running_loop().create_task(self._prepare_reply(line, early))

    async def _prepare_reply(self, line: Utterance, early: bool) -> None:
        if early:
            self._start_speculation(line, await line.current_text())
        self._start_speculation(line, (await line.settled_text()).strip())

    def _start_speculation(self, line: Utterance, text: str) -> None:
        """Start the reply to `text`, unless the one already begun asks the same."""
        if not text or line is not self._utterance:
            return
        voice = self._voice
        options = self._chat_options(voice, line.language)
        messages = self.conversation.messages_for(text)
        if self._speculation is not None:
            if self._speculation.matches(messages, options, voice):
                return  # begun where the voice faded, on the same words: it stays ahead
            self._speculation.discard()  # it heard less than the line holds
        speculation = SpeculativeReply(line.turn_id, messages, options, voice)
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
