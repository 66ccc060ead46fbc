"""Puts a whole backend stack under supervision and says which fallbacks are in use right now.

The TTS stage of a backend whose server must hold the voice says "ready" only once the current
voice is there (studio.engine.supervisor_voice); `voice_changed` checks a newly chosen voice.
Threading: built and used on the engine loop (health re-checks are tasks on that loop).
"""

from __future__ import annotations

from collections.abc import Callable

from studio.backends.registry import STAGES, BackendStack
from studio.config import Settings
from studio.engine.events import StageStatusChanged
from studio.engine.supervisor import Publish, StageHealth
from studio.engine.supervisor_backends import (
    SupervisedChat,
    SupervisedSpeechToText,
    SupervisedSynthesizer,
    SupervisedTurnDetector,
    SupervisedVoiceActivity,
)
from studio.engine.supervisor_checks import probe_for
from studio.engine.supervisor_fallbacks import PersonaLines
from studio.engine.supervisor_voice import VoiceCheck, with_voice
from studio.voices.profile import VoiceProfile

#: What the audience gets while a stage is degraded (shown in the status detail and the session log).
FALLBACKS = {
    "stt": "typed lines still work",
    "vad": "speech detected by loudness",
    "turn": "turns end after the silence timeout",
    "chat": "the anchor uses pre-written persona lines",
    "tts": "replies are shown as captions only",
}
#: Backend names reported for a stage while its fallback stands in.
FALLBACK_NAMES = {
    "stt": "typed lines only",
    "vad": "loudness threshold",
    "turn": "silence timeout",
    "chat": "persona fallback lines",
    "tts": "captions only",
}


class StackSupervisor:
    """One StageHealth per stage and the supervised stack the engine drives."""

    def __init__(self, settings: Settings, publish: Publish, voice: Callable[[], VoiceProfile]) -> None:
        self._settings, self._publish, self._voice = settings, publish, voice
        self.health: dict[str, StageHealth] = {}
        self.persona_lines = PersonaLines(voice)
        self._problems: dict[str, object] = {}  # the wrapped stack's start problems, until each recovers
        self.voice_check: VoiceCheck | None = None  # the TTS server holds the current voice (set by wrap)

    def _published(self, event: StageStatusChanged) -> None:
        """Publish; a stage that is ready again no longer has a start problem (a re-wrap keeps it ready)."""
        if event.state == "ready":
            self._problems.pop(event.stage, None)
        self._publish(event)

    def _health(self, stage: str, backend: object, timeout: float) -> StageHealth:
        s = self._settings
        probe = probe_for(stage, backend, self._voice)
        health = StageHealth(
            stage,
            backend.info.name,  # type: ignore[attr-defined]
            FALLBACKS[stage],
            with_voice(probe, backend, self._voice) if stage == "tts" else probe,
            self._published,
            check_timeout=timeout,
            first_check_s=s.health_check_s,
            max_check_s=s.health_check_max_s,
        )
        self.health[stage] = health
        return health

    def wrap(self, stack: BackendStack) -> BackendStack:
        """The same stack with every backend supervised (names and `describe()` unchanged); stages
        in `stack.problems` start degraded or down with their reason, and re-check themselves."""
        self._problems = stack.problems
        wrapped = self._wrap(stack)
        for stage, problem in list(stack.problems.items()):
            self.health[stage].not_ready(problem.state, problem.reason, problem.action)
        self.voice_check = VoiceCheck(
            stack.tts, self.health["tts"], self._voice, self._published, self._settings.tts_timeout_s
        )
        if not self.health["tts"].bypassed:  # else its re-checks include the voice
            self.voice_check.start()
        return wrapped

    def voice_changed(self) -> None:
        """The anchor's voice changed: make sure the TTS server has the new one (loop only)."""
        if self.voice_check is not None:
            self.voice_check.start()

    def _wrap(self, stack: BackendStack) -> BackendStack:
        s = self._settings
        return BackendStack(
            preset=stack.preset,
            stt=SupervisedSpeechToText(
                stack.stt, self._health("stt", stack.stt, s.stt_timeout_s), s.stt_timeout_s
            ),
            vad=SupervisedVoiceActivity(stack.vad, self._health("vad", stack.vad, s.turn_timeout_s)),
            turn=SupervisedTurnDetector(
                stack.turn, self._health("turn", stack.turn, s.turn_timeout_s), s.turn_timeout_s
            ),
            chat=SupervisedChat(
                stack.chat,
                self._health("chat", stack.chat, s.chat_timeout_s),
                s.chat_timeout_s,
                self.persona_lines.next_line,
            ),
            tts=SupervisedSynthesizer(
                stack.tts, self._health("tts", stack.tts, s.tts_timeout_s), s.tts_timeout_s
            ),
            problems=stack.problems,
        )

    def degraded(self, stage: str) -> bool:
        """True while `stage` runs on its fallback."""
        health = self.health.get(stage)
        return health is not None and health.bypassed

    def describe(self, stack: BackendStack) -> dict[str, str]:
        """`stack.describe()` with each degraded stage named by the fallback standing in for it."""
        names = stack.describe()
        for stage in STAGES:
            if self.degraded(stage):
                names[stage] = f"{FALLBACK_NAMES[stage]} ({names[stage]} {self.health[stage].state})"
        return names

    def recheck_now(self) -> None:
        """Every stage that is not ready checks its backend at once (loop only)."""
        for health in self.health.values():
            if health.bypassed:
                health.check_now()

    async def aclose(self) -> None:
        """Stop every stage's background re-checks (and a voice check in flight)."""
        if self.voice_check is not None:
            await self.voice_check.aclose()
        for health in self.health.values():
            await health.aclose()
