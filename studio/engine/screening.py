"""Between the chat stream and the voice: the word filter, the producer's approval, the log hook.

Clauses come in as the model writes them and leave, screened, for synthesis: each one through the
word filter (studio.engine.safety); with approval on, the whole reply is held, shown to the
producer and released (as written, as edited, or not at all). A clause is reported as queued (the
session log's `anchor_line`) only once it is cleared, so neither the log nor the captions ever hold
a blocked word. Without a filter or approval a clause passes straight through.
Threading: engine loop only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from studio.engine.approval import Decision
from studio.engine.clauses import ClauseSplitter
from studio.engine.safety import BLEEP_TEXT, MIN_BLEEP_S, Bleep, ClauseGuard, ClausePart, ScreenedClause

Review = Callable[[str], Awaitable[Decision]]
EDIT_BLEEP_S = 2 * MIN_BLEEP_S  # a "[bleep]" the producer left in an edit stays a tone


def spoken_bleeps(clause: ScreenedClause) -> ScreenedClause:
    """A "[bleep]" written in a text part (an edited reply) becomes a tone, never the spoken word."""
    parts: list[ClausePart] = []
    for part in clause.parts:
        if isinstance(part, Bleep) or BLEEP_TEXT not in part:
            parts.append(part)
            continue
        pieces = part.split(BLEEP_TEXT)
        for index, piece in enumerate(pieces):
            if piece.strip():
                parts.append(piece.strip())
            if index < len(pieces) - 1:
                parts.append(Bleep(EDIT_BLEEP_S))
    return ScreenedClause(clause.text, tuple(parts))


class ClauseScreen:
    """Screens one reply's clauses in order; `texts` collects what may air (the reply's text)."""

    def __init__(
        self,
        guard: ClauseGuard | None,
        review: Review | None,
        on_queued: Callable[[str], None] | None,
        air_gate: Callable[[], Awaitable[None]] | None,
    ) -> None:
        self._guard, self._review = guard, review
        self._on_queued, self._air_gate = on_queued, air_gate
        self.texts: list[str] = []

    @property
    def rewrites_text(self) -> bool:
        """Whether the reply's text may differ from what the model wrote."""
        return self._guard is not None or self._review is not None

    async def run(self, raw: asyncio.Queue[str | None], out: asyncio.Queue[ScreenedClause | None]) -> None:
        """Move clauses from `raw` to `out` (None ends both)."""
        try:
            if self._review is None:
                while (clause := await raw.get()) is not None:
                    self._release(await self._screen(clause), out)
            else:
                await self._run_reviewed(raw, out)
        finally:
            out.put_nowait(None)

    async def _screen(self, clause: str) -> ScreenedClause | None:
        return ScreenedClause.plain(clause) if self._guard is None else await self._guard.screen(clause)

    def _release(self, clause: ScreenedClause | None, out: asyncio.Queue[ScreenedClause | None]) -> None:
        """Hand a cleared clause to the voice (reported as queued first)."""
        if clause is None or not clause.text.strip():
            return
        if self._on_queued is not None:
            self._on_queued(clause.text)
        self.texts.append(clause.text)
        out.put_nowait(spoken_bleeps(clause))

    async def _run_reviewed(
        self, raw: asyncio.Queue[str | None], out: asyncio.Queue[ScreenedClause | None]
    ) -> None:
        """Hold the whole reply, screened, for the producer; release what they decide."""
        held: list[ScreenedClause] = []
        while (clause := await raw.get()) is not None:
            screened = await self._screen(clause)
            if screened is not None:
                held.append(screened)
        text = " ".join(clause.text for clause in held).strip()
        if not text or self._review is None:
            return
        if self._air_gate is not None:  # a speculative reply is shown only once its turn is decided
            await self._air_gate()
        decision = await self._review(text)
        if decision.verdict == "approve":
            for screened in held:
                self._release(screened, out)
        elif decision.verdict == "edit":
            for clause in _clauses_of(decision.text):
                self._release(await self._screen(clause), out)


def _clauses_of(text: str) -> list[str]:
    """An edited reply cut into sentences again (each one goes through the filter)."""
    splitter = ClauseSplitter(first_clause_max_words=0)
    return [*splitter.feed(text), *splitter.flush()]
