"""The OBS bridge: a subscriber of the show that puts what airs into OBS (captions, chapters, cues).

Threading: the bridge runs its own asyncio loop in a daemon thread named "obs"; the client, the
caption delivery and the chapter file all live there. The show's loop only calls `on_event`,
which stamps the event and hands it over with `call_soon_threadsafe` — it never waits for OBS,
so OBS slow, closed, killed or restarted cannot delay the show. `status`, `test` and `close` may be
called from any thread; status listeners are called on the "obs" thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.config import Settings
from studio.engine.events import (
    AnchorInterrupted,
    AnchorLineQueued,
    ReplyCaptioned,
    ReplyClauseStarted,
    TurnCompleted,
    TurnDecided,
)
from studio.obs.air_timeline import Aired, AirTimeline
from studio.obs.captions import CaptionPlanner, ClearCaption, MarkChapter, ShowCaption
from studio.obs.client import DEFAULT_BACKOFF, Backoff, ClientState, ObsClient
from studio.obs.cues import CueAction, CuePlanner, CueSettings, OffAirAfterDelay, ShowSources, SwitchScene
from studio.obs.delivery import ObsOutputs
from studio.obs.scenes import ObsScenes
from studio.rundown.events import SegmentChanged
from studio.session.chapters import ChapterFile
from studio.show.events import ShowReady
from studio.show.safety import ProgramDumped

log = logging.getLogger(__name__)
WANTED = (
    ReplyClauseStarted,
    ReplyCaptioned,
    AnchorInterrupted,
    AnchorLineQueued,
    TurnDecided,
    TurnCompleted,
    ProgramDumped,
    SegmentChanged,
    ShowReady,
)
TEST_CAPTION = "AI Anchor Studio: caption test"


@dataclass(frozen=True, slots=True)
class BridgeStatus:
    """What the window's OBS panel shows: the light, its words, and the last error."""

    state: ClientState | str
    message: str
    last_error: str
    url: str


class _IdleClear:
    """The caption has been up for the idle time with nothing new: take it down."""


@dataclass(frozen=True, slots=True)
class _OffAir:
    """The broadcast delay has played out the anchor's last audio: its cues come off.

    `airtime`: which stretch of airtime it ends; a clause that aired since makes it stale."""

    airtime: int


class ObsBridge:
    """Attached to one show: its events become OBS captions and chapter markers."""

    def __init__(
        self,
        url: str,
        password: str = "",
        caption_source: str = "",
        *,
        clear_after_s: float = 4.0,
        markers: bool = True,
        session_log: Path | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        anchor_label: Callable[[], str] | None = None,
        cues: CueSettings | None = None,
        air_delay_s: Callable[[], float] | None = None,
    ) -> None:
        """`clear_after_s`: idle time before the caption clears (0: never); `anchor_label()`: on-air name;
        `cues`: sources and scenes that follow the anchor; `air_delay_s()`: the broadcast delay now."""
        self.url, self._password, self._source = url, password, caption_source
        self._clear_after_s, self._markers, self._backoff = clear_after_s, markers, backoff
        self._chapters = ChapterFile(session_log) if session_log is not None else None
        self._planner = CaptionPlanner(anchor_label=anchor_label)
        self._cues = CuePlanner(cues)
        self._air_delay_s = air_delay_s or (lambda: 0.0)
        self._timeline = AirTimeline(self._air_delay_s, self._post)  # host line, segment: delayed
        self._off_air: asyncio.TimerHandle | None = None
        self._airtime = 0  # counts the anchor's clauses aired, so a stale _OffAir is ignored
        self.scenes: ObsScenes | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[float, Any] | None] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._synced = threading.Event()  # OBS answered its status queries (tests and benches wait)
        self._attempted = threading.Event()  # the first connection attempt has ended
        self._listeners: list[Callable[[BridgeStatus], None]] = []
        self._idle: asyncio.TimerHandle | None = None
        self._client: ObsClient | None = None
        self.outputs: ObsOutputs | None = None
        self.status = BridgeStatus("connecting", "", "", url)
        self.latencies_ms: list[float] = []  # first sample aired → caption source updated
        self.captions: list[str] = []  # caption texts OBS accepted, in order
        self._captions_changed = threading.Condition()
        self.handled = 0  # events handled so far (tests and benches wait on it)

    @classmethod
    def from_settings(cls, settings: Settings, session_log: Path | None, **options: Any) -> ObsBridge:
        """A bridge configured by the obs_* settings (`options`: backoff, anchor_label)."""
        return cls(
            settings.obs_websocket_url,
            settings.obs_websocket_password,
            settings.obs_caption_source,
            clear_after_s=settings.obs_caption_clear_s,
            markers=settings.obs_chapter_markers,
            session_log=session_log,
            cues=CueSettings.from_settings(settings),
            **options,
        )

    # ----- any thread ---------------------------------------------------------------------------
    def start(self, first_attempt_s: float = 0.0) -> ObsBridge:
        """Start the "obs" thread; returns once it takes events, and the first connection attempt
        has ended (connected or not) or `first_attempt_s` passed, so a show's first line is captioned."""
        self._thread = threading.Thread(target=self._main, name="obs", daemon=True)
        self._thread.start()
        self._ready.wait()
        self._attempted.wait(first_attempt_s)
        return self

    def on_event(self, event: Any) -> None:
        """The show's subscriber (show loop): stamp and hand over; never waits."""
        if not isinstance(event, WANTED):
            return
        self._post((time.perf_counter(), event))

    def add_listener(self, listener: Callable[[BridgeStatus], None]) -> None:
        """`listener(status)` on every change of state or error (called on the "obs" thread)."""
        self._listeners.append(listener)

    def test(self) -> concurrent.futures.Future[str]:
        """Connect now if needed, ask OBS its version and flash a test caption; resolves to a summary."""
        if self._loop is None or self._loop.is_closed():
            future: concurrent.futures.Future[str] = concurrent.futures.Future()
            future.set_exception(RuntimeError("the OBS bridge is not running"))
            return future
        return asyncio.run_coroutine_threadsafe(self._test(), self._loop)

    def close(self, timeout: float = 5.0) -> None:
        """Take the caption down, finish the chapters, disconnect, end the thread."""
        self._post(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _post(self, item: tuple[float, Any] | None) -> None:
        """Queue an item on the bridge's loop from any thread (dropped once the bridge has ended)."""
        loop, queue = self._loop, self._queue
        if loop is None or queue is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
            loop.call_soon_threadsafe(queue.put_nowait, item)

    # ----- the "obs" thread ---------------------------------------------------------------------
    def _main(self) -> None:
        """The obs thread: its own asyncio loop, so OBS never shares the show's."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._queue = asyncio.Queue()
        self._loop = loop
        self._ready.set()
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()

    async def _serve(self) -> None:
        """Keep the client connected and handle show events in order until closed; then tidy up."""
        outputs = self.outputs = ObsOutputs(self._new_client(), self._source, self._chapters, self._problem)
        client = self._client
        assert client is not None and self._queue is not None
        self.scenes = ObsScenes(client, self._problem)
        runner = asyncio.get_running_loop().create_task(client.run())
        try:
            while (item := await self._queue.get()) is not None:
                await self._handle(*item)
                self.handled += 1
        finally:
            for held in self._timeline.take_all():  # the host's last line and chapter still go out
                await self._handle(time.perf_counter(), held)
            self._cancel_idle()
            self._cancel_off_air()
            for action in self._cues.off_air():  # the show ended: the anchor's cues come off
                await self._cue(time.perf_counter(), action)
            await outputs.clear()
            outputs.finish()
            await client.close()
            await runner

    def _new_client(self) -> ObsClient:
        """The client, reporting OBS's events and state to the outputs and the status."""
        self._client = ObsClient(
            self.url,
            self._password,
            on_event=lambda kind, data: self.outputs.on_obs_event(kind, data) if self.outputs else None,
            on_state=self._state_changed,
            on_connected=self._connected,
            backoff=self._backoff,
        )
        return self._client

    async def _connected(self) -> None:
        """Each new connection: forget OBS's scene item ids, ask what it offers and what it does."""
        if self.scenes is not None:
            self.scenes.on_connected()
        if self.outputs is not None:
            await self.outputs.on_connected()
            if self.outputs.synced.is_set():
                self._synced.set()

    async def _handle(self, at: float, event: Any) -> None:
        """Carry out what one show event calls for, in the order the show published them."""
        assert self.outputs is not None
        if isinstance(event, Aired):
            event = event.event  # its moment on the delayed air timeline has come
        elif self._timeline.hold(event):
            return
        if isinstance(event, _IdleClear):
            self._idle = None
            await self.outputs.clear()
            return
        if isinstance(event, ShowReady):
            self.outputs.show_started()
        for action in self._planner.actions(event):
            if isinstance(action, ShowCaption):
                await self._caption(at, action)
            elif isinstance(action, ClearCaption):
                self._cancel_idle()
                await self.outputs.clear()
            elif isinstance(action, MarkChapter) and self._markers:
                await self.outputs.chapter(action.title, at)
        await self._handle_cues(at, event)  # after the caption, which must not wait for the cues

    async def _handle_cues(self, at: float, event: Any) -> None:
        """Chapters and scenes of the rundown, and the anchor's on-air cues, for one event."""
        if isinstance(event, ReplyClauseStarted):
            self._airtime += 1
            self._cancel_off_air()  # the anchor airs again before the last turn's cues came off
        if isinstance(event, _OffAir):
            actions = self._cues.off_air() if event.airtime == self._airtime else []
        else:
            actions = self._cues.actions(event)
        for action in actions:
            await self._cue(at, action)

    async def _cue(self, at: float, action: CueAction) -> None:
        """Carry out one cue: a scene, sources on or off, a chapter, or the delayed end of airtime."""
        assert self.outputs is not None and self.scenes is not None
        if isinstance(action, SwitchScene):
            await self.scenes.switch(action.scene, action.why)
        elif isinstance(action, ShowSources):
            await self.scenes.show_sources(action.sources, action.enabled)
        elif isinstance(action, MarkChapter) and self._markers:
            await self.outputs.chapter(action.title, at)
        elif isinstance(action, OffAirAfterDelay):
            self._cancel_off_air()
            loop = asyncio.get_running_loop()
            delay = max(0.0, self._air_delay_s())
            off = _OffAir(self._airtime)
            self._off_air = loop.call_later(delay, lambda: self._post((time.perf_counter(), off)))

    def _cancel_off_air(self) -> None:
        """A new clause aired (or the bridge closes): the pending end of airtime no longer holds."""
        if self._off_air is not None:
            self._off_air.cancel()
            self._off_air = None

    async def _caption(self, at: float, action: ShowCaption) -> None:
        """Deliver one caption, time it when it aired, and re-arm the idle clear."""
        assert self.outputs is not None
        self._cancel_idle()
        if await self.outputs.caption(action.text):
            if action.aired:
                self.latencies_ms.append((time.perf_counter() - at) * 1000)
            with self._captions_changed:
                self.captions.append(action.text)
                self._captions_changed.notify_all()
        if self._clear_after_s > 0:
            loop = asyncio.get_running_loop()
            self._idle = loop.call_later(self._clear_after_s, self._post, (time.perf_counter(), _IdleClear()))

    def wait_synced(self, timeout: float) -> bool:
        """Block until OBS has told the bridge what it offers and whether it records (any thread)."""
        return self._synced.wait(timeout)

    def wait_for_captions(self, count: int, timeout: float) -> bool:
        """Block until OBS has accepted `count` captions in all (any thread but the bridge's own)."""
        with self._captions_changed:
            return self._captions_changed.wait_for(lambda: len(self.captions) >= count, timeout)

    def _cancel_idle(self) -> None:
        """A new caption or a take-down supersedes the pending idle clear."""
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    async def _test(self) -> str:
        """The test button: connect, GetVersion, a test caption; raises with the reason otherwise."""
        client, outputs = self._client, self.outputs
        assert client is not None and outputs is not None
        client.retry_now()
        if not await client.wait_connected(5.0):
            raise RuntimeError(client.message or f"cannot reach OBS at {self.url}")
        version = await client.request("GetVersion")
        summary = (
            f"OBS {version.get('obsVersion', '?')}, obs-websocket {version.get('obsWebSocketVersion', '?')}"
        )
        if self._source:
            if not await outputs.caption(TEST_CAPTION):
                raise RuntimeError(self.status.last_error or "the caption source did not take the text")
            summary += f"; caption source {self._source!r} took a test line"
        return summary

    # ----- status -------------------------------------------------------------------------------
    def _state_changed(self, state: ClientState, message: str) -> None:
        """Log each change of connection state once and publish the new status."""
        if state != "connecting":
            self._attempted.set()
        last_error = message if state == "failed" else self.status.last_error
        if state == "failed":
            log.error("OBS: %s", message)
        elif state == "connected":
            log.info("OBS: connected to %s", self.url)
        elif message:
            log.info("OBS: %s", message)
        self._set_status(BridgeStatus(state, message, last_error, self.url))

    def _problem(self, message: str) -> None:
        """A problem OBS reported (missing source...): logged once, kept as the last error."""
        log.warning("OBS: %s", message)
        self._set_status(BridgeStatus(self.status.state, self.status.message, message, self.url))

    def _set_status(self, status: BridgeStatus) -> None:
        """Store and announce the status; a failing listener never stops the captions."""
        self.status = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:  # a panel bug must not stop the captions
                log.exception("OBS status listener failed")
