"""The show's rundown commands: NEXT / BACK, the segment status, and the brief the anchor gets.

The Show owns one SegmentClock (or none). A segment change switches the voice a segment asks for
(back to the show's voice when the next one asks for none) and is published as SegmentChanged,
so the session log, the window, the OBS bridge and the web layer all see it.
Threading: `a…` commands and `_rundown_brief` run on the show's loop; `next_segment`,
`back_segment` and `rundown_status` may be called from any thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from typing import Any

from studio.config import Settings
from studio.engine.engine import StudioEngine
from studio.rundown import SegmentChanged, SegmentClock, SegmentStatus, segment_brief
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
NO_RUNDOWN = "no rundown loaded (start with --rundown FILE or open one in the window)"


def installed_voice_named(name: str) -> VoiceProfile | None:
    """The host's voice profile called `name` (bundled or their own, read afresh), or None."""
    from studio.config import data_dir
    from studio.voices.catalog import VoiceCatalog

    return VoiceCatalog(data_dir() / "voices").find(name)


class RundownCommands:
    """NEXT / BACK and the rundown's status; the Show supplies the clock and the parts they act on."""

    # What the Show provides (see studio.show.show).
    engine: StudioEngine | None
    _rundown: SegmentClock | None
    _settings: Settings
    _voice: VoiceProfile
    _publish: Callable[[Any], None]
    _hop: Callable[..., concurrent.futures.Future[Any]]
    #: Finds a segment's voice by name (tests replace it); runs in a worker thread.
    voice_named: Callable[[str], VoiceProfile | None] = staticmethod(installed_voice_named)

    @property
    def rundown(self) -> SegmentClock | None:
        """The show's segment clock (None: the show runs without a rundown)."""
        return self._rundown

    def rundown_status(self) -> SegmentStatus | None:
        """Where the show is in its rundown now (None: no rundown); any thread."""
        return self._rundown.status() if self._rundown is not None else None

    def _rundown_brief(self) -> str:
        """The anchor's paragraph about the segment and time left, read at each chat request."""
        status = self.rundown_status()
        return segment_brief(status, self._settings.rundown_wrap_up_s) if status is not None else ""

    # ----- on the loop --------------------------------------------------------------------------
    async def anext_segment(self) -> SegmentChanged | None:
        """Start the rundown, or go to the next segment (past the last: the rundown ends)."""
        return await self._change_segment(lambda clock: clock.next())

    async def aback_segment(self) -> SegmentChanged | None:
        """Back to the previous segment (it starts afresh)."""
        return await self._change_segment(lambda clock: clock.back())

    async def _change_segment(
        self, step: Callable[[SegmentClock], SegmentChanged | None]
    ) -> SegmentChanged | None:
        """Apply one clock step: switch the voice the segment asks for, then publish the change."""
        clock = self._rundown
        if clock is None:
            raise RuntimeError(NO_RUNDOWN)
        async with self._segment_lock():  # changes publish in the order pressed (a voice lookup awaits)
            change = step(clock)
            if change is None:
                return None
            await self._segment_voice(change)
            self._publish(change)
            return change

    def _segment_lock(self) -> asyncio.Lock:
        """One change at a time; a lock per loop (a show restarted after a failed start gets a new one)."""
        loop = asyncio.get_running_loop()
        held: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = getattr(self, "_segment_changes", None)
        if held is None or held[0] is not loop:
            held = self._segment_changes = (loop, asyncio.Lock())
        return held[1]

    async def _segment_voice(self, change: SegmentChanged) -> None:
        """The voice the segment asks for, else the show's own; an unknown name is logged, not fatal."""
        engine = self.engine
        if engine is None:
            return
        wanted = self._voice
        if change.voice:
            found = await asyncio.to_thread(self.voice_named, change.voice)
            if found is None:
                log.warning(
                    "segment %r asks for voice %r, which is not installed", change.title, change.voice
                )
            else:
                wanted = found
        if engine.voice.name != wanted.name:
            engine.set_voice(wanted)

    # ----- from any thread ----------------------------------------------------------------------
    def set_rundown(self, clock: SegmentClock | None) -> None:
        """A new rundown (not started: NEXT starts it), or None; the anchor's brief follows at once."""
        self._rundown = clock

    def next_segment(self) -> concurrent.futures.Future[SegmentChanged | None]:
        """NEXT: start the rundown or go to the next segment."""
        return self._hop(self.anext_segment)

    def back_segment(self) -> concurrent.futures.Future[SegmentChanged | None]:
        """BACK: the previous segment, started afresh."""
        return self._hop(self.aback_segment)
