"""The show's broadcast-safety commands: DUMP, the broadcast delay, and the producer's approval.

DUMP silences the anchor (a barge-in) and drops the delayed program not aired yet; ProgramDumped
follows (the captions come down, the session log keeps a `dump` record). The delay wraps the
program output when `broadcast_delay_s` > 0 (studio.audio.delay); a new value mid-show is reached
over the next pauses. Approve / edit / drop settle the reply waiting for the producer.
Threading: `a…` commands on the show's loop; their plain twins and the status reads on any thread.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from studio.audio.delay import DelayedOutput
from studio.audio.outputs import AudioOutput
from studio.config import Settings
from studio.engine.approval import Decision
from studio.engine.engine import StudioEngine

NO_REPLY_WAITING = "no reply is waiting for approval"


@dataclass(frozen=True, slots=True)
class ProgramDumped:
    """DUMP: the program audio not aired yet was dropped (`seconds` of it); the delay restarts at 0."""

    seconds: float
    reason: str = "dump"


@dataclass(frozen=True, slots=True)
class DelayStatus:
    """The broadcast delay now and what it is building towards."""

    delay_s: float
    target_s: float


class SafetyCommands:
    """DUMP, the broadcast delay and approval; the Show supplies the parts they act on."""

    engine: StudioEngine | None
    _output: AudioOutput
    _publish: Callable[[Any], None]
    _hop: Callable[..., concurrent.futures.Future[Any]]
    note: Callable[..., bool]

    # ----- the delay ----------------------------------------------------------------------------
    @staticmethod
    def _delayed(output: AudioOutput, settings: Settings) -> AudioOutput:
        """The program output behind the broadcast delay (unchanged when there is none); the host's
        monitor, if the output has one, leaves the delayed bus and is fed live."""
        if settings.broadcast_delay_s <= 0:
            return output
        split_monitor = getattr(output, "split_monitor", None)
        live = split_monitor() if split_monitor is not None else None
        return DelayedOutput(output, settings.broadcast_delay_s, live=live)

    @staticmethod
    def _close_delay(output: AudioOutput) -> None:
        """Stop the delay line of an output going out of use (what it still held is dropped)."""
        if isinstance(output, DelayedOutput):
            output.close()

    async def _retime_delay(self, settings: Settings) -> None:
        """A new broadcast_delay_s mid-show: reached over pauses; a first delay cuts the reply on air."""
        output = self._output
        if isinstance(output, DelayedOutput):
            output.set_target(settings.broadcast_delay_s)
        elif settings.broadcast_delay_s > 0 and self.engine is not None:
            self._output = self._delayed(output, settings)
            await self.engine.replace_output(self._output)

    def delay_status(self) -> DelayStatus | None:
        """The delay now and its target; None without one (any thread: reads two numbers)."""
        output = self._output
        if not isinstance(output, DelayedOutput):
            return None
        return DelayStatus(round(output.delay_s, 3), output.target_s)

    # ----- DUMP ---------------------------------------------------------------------------------
    async def adump(self) -> float:
        """Silence the anchor and drop the delayed audio not aired yet; the seconds dropped."""
        if self.engine is not None:
            self.engine.interrupt("dump")
        output = self._output
        seconds = output.dump() if isinstance(output, DelayedOutput) else 0.0
        self.note("dump", seconds=round(seconds, 3))
        self._publish(ProgramDumped(round(seconds, 3)))
        return seconds

    def dump(self) -> concurrent.futures.Future[float]:
        """DUMP from any thread (the window's button, a control surface, the web layer)."""
        return self._hop(self.adump)

    # ----- approval -----------------------------------------------------------------------------
    def pending_reply(self) -> tuple[int, str] | None:
        """(turn id, text) of the reply waiting for approval, or None (any thread)."""
        engine = self.engine
        return engine.approvals.pending if engine is not None else None

    async def adecide_reply(self, decision: Decision) -> bool:
        """Settle the waiting reply; False when none waits."""
        engine = self.engine
        return engine is not None and engine.approvals.decide(decision)

    def approve_reply(self) -> concurrent.futures.Future[bool]:
        """Air the waiting reply as written."""
        return self._decide(lambda: self.adecide_reply(Decision("approve")))

    def edit_reply(self, text: str) -> concurrent.futures.Future[bool]:
        """Air `text` instead of the waiting reply (the word filter still applies)."""
        return self._decide(lambda: self.adecide_reply(Decision("edit", text)))

    def drop_reply(self) -> concurrent.futures.Future[bool]:
        """Drop the waiting reply: nothing of it airs."""
        return self._decide(lambda: self.adecide_reply(Decision("drop")))

    def _decide(self, command: Callable[[], Coroutine[Any, Any, bool]]) -> concurrent.futures.Future[bool]:
        return self._hop(command)
