"""What the bridge does in OBS: the caption source's text, stream captions, chapter markers.

It also keeps what OBS said about itself (the requests it offers, whether it streams or records)
and reports each problem once — a missing caption source is one message however many captions
follow, and it is reported again only after it was fixed and came back.
Threading: the bridge's "obs" thread (its asyncio loop), like the client it drives.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from studio.obs.client import ObsClient
from studio.obs.protocol import ObsRequestError, ObsUnavailable, Status
from studio.session.chapters import ChapterFile

log = logging.getLogger(__name__)
CHAPTER_REQUEST = "CreateRecordChapter"


class ObsOutputs:
    """Captions, stream captions and chapters into one OBS, as far as it offers them."""

    def __init__(
        self,
        client: ObsClient,
        caption_source: str,
        chapters: ChapterFile | None,
        on_problem: Callable[[str], None],
    ) -> None:
        """`chapters`: where chapters go when OBS cannot take them (None: no session log)."""
        self._client, self._source, self._chapters = client, caption_source, chapters
        self._on_problem = on_problem
        self.available: frozenset[str] = frozenset()
        self.obs_version = ""
        self.streaming = self.recording = False
        self._show_origin = time.perf_counter()
        self._record_origin: float | None = None
        self._open: set[str] = set()  # problems reported and not yet resolved
        self.synced = threading.Event()  # set once a connection's status queries are answered

    # ----- what OBS says about itself ---------------------------------------------------------
    async def on_connected(self) -> None:
        """Ask OBS what it offers and whether it streams or records (each new connection)."""
        try:
            version = await self._client.request("GetVersion")
            self.available = frozenset(version.get("availableRequests") or ())
            self.obs_version = str(version.get("obsVersion", ""))
            self.streaming = bool((await self._client.request("GetStreamStatus")).get("outputActive"))
            record = await self._client.request("GetRecordStatus")
        except (ObsRequestError, ObsUnavailable) as exc:
            log.info("OBS status query failed: %s", exc)
            return
        self._recording(bool(record.get("outputActive")), float(record.get("outputDuration") or 0) / 1000)
        self.synced.set()

    def on_obs_event(self, event_type: str, data: dict) -> None:
        """OBS's own events: the stream and the recording starting and stopping."""
        if event_type == "StreamStateChanged":
            self.streaming = bool(data.get("outputActive"))
        elif event_type == "RecordStateChanged":
            self._recording(bool(data.get("outputActive")), 0.0)

    def show_started(self) -> None:
        """The show's timeline starts now (chapters when OBS does not record)."""
        self._show_origin = time.perf_counter()

    def _recording(self, active: bool, elapsed_s: float) -> None:
        """Track the recording state and when it started (the chapters' timeline)."""
        if active and not self.recording:
            self._record_origin = time.perf_counter() - elapsed_s
        self.recording = active

    # ----- captions -----------------------------------------------------------------------------
    async def caption(self, text: str) -> bool:
        """Put `text` on the caption source (and the stream while live); True once the source has it."""
        if not self._client.connected:
            return False
        updated = await self._set_text(text)
        if self.streaming and text:
            await self._stream_caption(text)
        return updated

    async def clear(self) -> bool:
        """Empty the caption source."""
        return self._client.connected and await self._set_text("")

    async def _set_text(self, text: str) -> bool:
        """SetInputSettings on the caption source; a failure is reported once."""
        if not self._source:
            return False
        key = "caption source"
        try:
            await self._client.request(
                "SetInputSettings", {"inputName": self._source, "inputSettings": {"text": text}}
            )
        except ObsRequestError as exc:
            self._problem(key, self._caption_failure(exc))
            return False
        except ObsUnavailable:
            return False
        self._resolved(key)
        return True

    def _caption_failure(self, exc: ObsRequestError) -> str:
        """The one message for a caption OBS refused (a missing source says how to fix it)."""
        if exc.code == Status.RESOURCE_NOT_FOUND:
            return (
                f"OBS has no source named {self._source!r} for the captions: add a Text source with "
                "that name, or set obs_caption_source to an existing one"
            )
        return f"OBS refused the caption text for {self._source!r}: {exc}"

    async def _stream_caption(self, text: str) -> None:
        """CEA-608 caption on the live stream (OBS says 501 when the stream is not running)."""
        try:
            await self._client.request("SendStreamCaption", {"captionText": text})
        except ObsRequestError as exc:
            if exc.code == Status.OUTPUT_NOT_RUNNING:
                self.streaming = False
            else:
                self._problem("stream caption", f"OBS refused the stream caption: {exc}")
        except ObsUnavailable:
            pass

    # ----- chapters -----------------------------------------------------------------------------
    async def chapter(self, title: str, at: float) -> str:
        """Mark a chapter that started at perf_counter time `at`; returns where it went."""
        if self.recording and CHAPTER_REQUEST in self.available and self._client.connected:
            try:
                await self._client.request(CHAPTER_REQUEST, {"chapterName": title})
                return "obs"
            except ObsRequestError as exc:
                self._problem("chapter", f"OBS could not add a chapter ({exc}); chapters go to a file")
            except ObsUnavailable:
                pass
        if self._chapters is None:
            self._problem("chapter file", "no session log: chapters are not kept")
            return "none"
        try:
            self._chapters.add(self._seconds(at), title)
        except OSError as exc:
            self._problem("chapter file", f"cannot write chapters beside the session log: {exc}")
            return "none"
        return "file"

    def finish(self) -> None:
        """The show ended: the last chapter in the file ends now."""
        if self._chapters is not None:
            try:
                self._chapters.finish(self._seconds(time.perf_counter()))
            except OSError as exc:
                log.warning("cannot finish the chapters file: %s", exc)

    def _seconds(self, at: float) -> float:
        """`at` on the recording's timeline when OBS records, else the show's."""
        origin = (
            self._record_origin if self.recording and self._record_origin is not None else self._show_origin
        )
        return max(0.0, at - origin)

    # ----- one message per problem --------------------------------------------------------------
    def _problem(self, key: str, message: str) -> None:
        """Report `message` unless the same problem is already open."""
        if key in self._open:
            return
        self._open.add(key)
        self._on_problem(message)

    def _resolved(self, key: str) -> None:
        """The problem went away: a later recurrence is reported again."""
        self._open.discard(key)
