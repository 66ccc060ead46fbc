"""Producer approval: with `approve_replies` on, a reply is shown as text and airs only once approved.

The reply is written in full and screened by the word filter first; then ReplyAwaitingApproval
puts it in front of the producer (the window's strip, the web layer, any subscriber). The Show's
approve / edit / drop commands settle it; with no decision in `approval_timeout_s` the setting's
`approval_timeout_action` does (drop, or air as written). ReplyApprovalSettled says how it ended.
Threading: engine loop only (the Show's commands hop onto it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["approve", "edit", "drop"]


@dataclass(frozen=True, slots=True)
class ReplyAwaitingApproval:
    """A reply waits for the producer: approve, edit or drop it (`timeout_s` 0: no timeout)."""

    turn_id: int
    text: str
    timeout_s: float
    on_timeout: str


@dataclass(frozen=True, slots=True)
class ReplyApprovalSettled:
    """The producer's decision (or the timeout's): `text` is what airs, empty when nothing does."""

    turn_id: int
    outcome: str  # approved | edited | dropped | timed out, dropped | timed out, aired | cancelled
    text: str


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with the pending reply; `text` is the edit for "edit"."""

    verdict: Verdict
    text: str = ""


@dataclass(slots=True)
class _Pending:
    turn_id: int
    text: str
    decided: asyncio.Future[Decision]


class ApprovalDesk:
    """The one reply waiting for the producer, and the decision that settles it."""

    def __init__(self, publish: Callable[[object], None]) -> None:
        self._publish = publish
        self._pending: _Pending | None = None

    @property
    def pending(self) -> tuple[int, str] | None:
        """(turn id, text) of the reply waiting now, or None (read from any thread: one reference)."""
        pending = self._pending
        return None if pending is None else (pending.turn_id, pending.text)

    def decide(self, decision: Decision) -> bool:
        """Settle the waiting reply; False when none waits (already settled, timed out, cut)."""
        pending = self._pending
        if pending is None or pending.decided.done():
            return False
        if decision.verdict == "edit" and not decision.text.strip():
            decision = Decision("drop")  # an emptied reply is a dropped one
        pending.decided.set_result(decision)
        return True

    async def review(
        self,
        turn_id: int,
        text: str,
        timeout_s: float,
        on_timeout: str,
        shown: Callable[[str], str] = str,
    ) -> Decision:
        """Show `text` to the producer and wait for the decision, or the timeout's; `shown` is how
        an edit is reported (the word filter's censored text: a typed blocked word never travels)."""
        decided: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._pending = _Pending(turn_id, text, decided)
        self._publish(ReplyAwaitingApproval(turn_id, text, timeout_s, on_timeout))
        outcome = "cancelled"
        try:
            async with asyncio.timeout(timeout_s if timeout_s > 0 else None):
                decision = await decided
            outcome = {"approve": "approved", "edit": "edited", "drop": "dropped"}[decision.verdict]
        except TimeoutError:
            decision = Decision("approve") if on_timeout == "air" else Decision("drop")
            outcome = "timed out, aired" if on_timeout == "air" else "timed out, dropped"
        finally:
            self._pending = None
            if outcome == "cancelled":  # the host barged in or went on: the strip must clear
                self._publish(ReplyApprovalSettled(turn_id, outcome, ""))
        aired = "" if decision.verdict == "drop" else decision.text or text
        self._publish(ReplyApprovalSettled(turn_id, outcome, shown(aired)))
        return Decision(decision.verdict, aired)
