"""A reply started on the speculative final transcript while the end of turn is still being decided.

When the host pauses, the engine transcribes what it has (the speculative final); when the
recogniser is free (or busy with a live partial that a cancel stops at once), already at the first
frame far under the line's level (or one fallen further within a soft last word), ~100 ms before
Silero calls a frame quiet (settings.speculate_on_fade), and the text at the quiet frame then checks
it: the same request keeps it, soft words after the fade start a new one. From then on the reply to
that text is prepared: the chat model writes and the first clause is synthesized, but nothing
reaches the program output, the session log or the faces before the turn is decided and the request
it would make then is the one this reply was started with. The host going on first, or a final
transcript that differs, drops it unheard, so the line simply continues.
Threading: engine loop only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from studio.backends.contracts import ChatMessage, ChatOptions
from studio.engine.reply import ReplySpeaker
from studio.engine.trace import LatencyTrace
from studio.voices.profile import VoiceProfile

#: The marks the turn decision supplies (a speculative reply records the rest itself).
DECISION_MARKS = ("host_speech_end", "turn_decided", "stt_final")


class SpeculativeReply:
    """One reply in preparation: its request, its speaker, what it may not publish yet."""

    def __init__(
        self, turn_id: int, messages: Sequence[ChatMessage], options: ChatOptions, voice: VoiceProfile
    ) -> None:
        self.turn_id = turn_id
        self.messages, self.options, self.voice = list(messages), options, voice
        self.trace = LatencyTrace()
        self.speaker: ReplySpeaker | None = None
        self.task: asyncio.Task[object] | None = None
        self._confirmed = asyncio.Event()
        self._held: list[Callable[[], None]] = []

    @property
    def confirmed(self) -> bool:
        return self._confirmed.is_set()

    def hold(self, publish: Callable[[], None]) -> None:
        """Publish now once confirmed; before that keep it, in order, for the confirmation."""
        if self._confirmed.is_set():
            publish()
        else:
            self._held.append(publish)

    def air_gate(self, then: Callable[[], Awaitable[None]] | None) -> Callable[[], Awaitable[None]]:
        """The speaker's air gate: nothing airs before confirmation, then the show's own gate."""

        async def gate() -> None:
            await self._confirmed.wait()
            if then is not None:
                await then()

        return gate

    def start(self, speaker: ReplySpeaker) -> None:
        """Begin generating and synthesizing (held at the air gate)."""
        self.speaker = speaker
        self.task = asyncio.get_running_loop().create_task(speaker.speak(self.messages))

    def matches(self, messages: Sequence[ChatMessage], options: ChatOptions, voice: VoiceProfile) -> bool:
        """Whether the decided turn would send exactly this request."""
        return list(messages) == self.messages and options == self.options and voice is self.voice

    def confirm(self, decision: LatencyTrace) -> LatencyTrace:
        """The turn is decided on this text: publish what was held, let it air; the merged trace."""
        for mark in DECISION_MARKS:
            if mark in decision.marks:
                self.trace.marks[mark] = decision.marks[mark]
        self._confirmed.set()
        held, self._held = self._held, []
        for publish in held:
            publish()
        return self.trace

    def discard(self) -> None:
        """Drop it unheard (safe to call at any time, also after it was adopted and finished)."""
        self._held.clear()
        if self.speaker is not None and not self.confirmed:
            self.speaker.silence()
        if self.task is not None and not self.task.done():
            self.task.cancel("speculative reply dropped")
