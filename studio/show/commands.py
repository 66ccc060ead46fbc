"""The show's one command API: awaitable `a…` commands for the loop, plain twins for any thread.

A face on another thread (the Qt edge, a web server, a MIDI callback) calls the plain command;
it schedules its `a…` twin on the show's loop with `call_soon_threadsafe` (by way of
`run_coroutine_threadsafe`), so commands run in the order given and never block the caller; the
returned Future says when it is done. Before the show runs, host actions are refused (a failed
Future, a warning in the log); settings, devices and voice are kept for the start instead.
Threading: `a…` commands, `hear` and the waits run on the show's loop; the rest on any thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from studio.backends.registry import BackendStack
from studio.config import Settings
from studio.engine.engine import StudioEngine, TurnMode
from studio.show.events import FileFeedFailed, MicMuteChanged, ShowEvent
from studio.show.host_input import FrameSource, HostInput, RemoteFeed, decode_host_file
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
T = TypeVar("T")
NOT_READY = "models not loaded yet; try again when the lights are green"


def _finished(value: Any = None, error: str | None = None) -> concurrent.futures.Future[Any]:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(RuntimeError(error))
    return future


def _log_failure(future: concurrent.futures.Future[Any]) -> None:
    """A command that failed on the loop is logged (the caller rarely waits for it)."""
    if not future.cancelled() and future.exception() is not None:
        log.warning("show command failed: %s", future.exception())


class ShowCommands:
    """Every command of the show; the Show supplies the parts they act on."""

    # What the Show provides (see studio.show.show).
    engine: StudioEngine | None
    stack: BackendStack | None
    _settings: Settings
    _applied: Settings
    _voice: VoiceProfile
    _host: HostInput
    _publish: Callable[[ShowEvent], None]
    _apply: Callable[[Settings], Awaitable[None]]
    _remote_input: RemoteFeed | None
    _remote_mix: bool
    _source: Callable[[], FrameSource]
    _listen: Callable[[int], None]

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.RLock()
        self._stop_requested = threading.Event()

    def _bind(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """The loop commands hop onto (None: the show ended; a stop asked for is spent)."""
        with self._lock:
            self._loop = loop
            if loop is None:
                self._stop_requested.clear()

    # ----- on the loop --------------------------------------------------------------------------
    def hear(self, frame: np.ndarray) -> None:
        """One host mic frame, for benches and tests that drive the show frame by frame."""
        self._running_engine().process_frame(frame)

    async def wait_anchor_idle(self) -> None:
        """Until no reply is being generated or played."""
        await self._running_engine().wait_anchor_idle()

    async def wait_settled(self) -> None:
        """Until no end-of-turn question is pending and the anchor is idle (offline replays)."""
        await self._running_engine().wait_settled()

    async def apush_to_talk(self, pressed: bool) -> None:
        self._running_engine().push_to_talk(pressed)

    async def ainterrupt(self, reason: str = "host pressed interrupt") -> bool:
        return self._running_engine().interrupt(reason)

    async def asubmit_text(self, text: str) -> None:
        """A typed host line, answered like a spoken one."""
        self._running_engine().submit_text(text)

    async def aset_mode(self, mode: TurnMode) -> None:
        self._running_engine().set_mode(mode)

    async def aset_voice(self, voice: VoiceProfile) -> None:
        """The anchor's voice and persona from the next reply (kept across reloads)."""
        self._voice = voice
        if self.engine is not None:
            self.engine.set_voice(voice)

    async def aset_devices(self, mic: str | None, program: str | None, monitor: str | None) -> None:
        """Reopen the audio on these devices (None: the system default; no monitor)."""
        await self.areload_settings(self._with_devices(mic, program, monitor))

    async def areload_settings(self, settings: Settings) -> None:
        """Apply new settings; only what they change is rebuilt (before the start: used by it)."""
        self._settings = settings
        if self.engine is not None:
            await self._apply(settings)

    async def aplay_file(self, path: Path) -> None:
        """Feed an audio file to the engine as if the host said it into the mic."""
        from studio.audio.recording import RecordingError

        if self.stack is None:
            self._publish(FileFeedFailed(NOT_READY))
            return
        try:
            frames = await asyncio.to_thread(decode_host_file, Path(path), self.stack.vad.frame_samples)
        except (RecordingError, OSError) as exc:
            self._publish(FileFeedFailed(str(exc)))
            return
        self._host.feed_file(Path(path), frames)

    async def aset_remote_input(self, remote: RemoteFeed | None) -> None:
        """A remote voice heard from the next frame, alone or mixed with the mic (None: the mic alone)."""
        self._remote_input = remote
        if self.stack is not None:
            self._listen(self.stack.vad.frame_samples)

    async def aset_remote_mix(self, mix: bool) -> None:
        """Mix a remote voice with the mic (a guest) or hear it in its place (a remote host)."""
        if mix == self._remote_mix:
            return
        self._remote_mix = mix
        # The settings in force say so too: the Settings dialog shows it, a later reload compares to it.
        self._settings = self._settings.model_copy(update={"remote_audio_mix": mix})
        self._applied = self._applied.model_copy(update={"remote_audio_mix": mix})
        self.note("remote_input_mode", mix=mix)
        if self.stack is not None:
            self._listen(self.stack.vad.frame_samples)

    async def adrop_remote_input(self, remote: RemoteFeed) -> None:
        """Back to the mic alone, if `remote` is still the one heard (a later one is left alone)."""
        if self._remote_input is remote:
            await self.aset_remote_input(None)

    @property
    def remote_mix(self) -> bool:
        """Whether a remote voice is mixed with the mic (True) or replaces it (False)."""
        return self._remote_mix

    async def arecheck(self) -> None:
        """Stages that are not ready check their backends now (a model was pulled, a server started)."""
        self._running_engine().supervisor.recheck_now()

    def _running_engine(self) -> StudioEngine:
        if self.engine is None:
            raise RuntimeError(NOT_READY)
        return self.engine

    def _with_devices(self, mic: str | None, program: str | None, monitor: str | None) -> Settings:
        update = {"mic_device": mic, "program_device": program, "monitor_device": monitor}
        return self._settings.model_copy(update=update)

    # ----- from any thread ----------------------------------------------------------------------
    def push_to_talk(self, pressed: bool) -> concurrent.futures.Future[None]:
        """The host pressed or released the talk key."""
        return self._hop(lambda: self.apush_to_talk(pressed))

    def interrupt(self) -> concurrent.futures.Future[bool]:
        """Silence the anchor now (barge-in by button)."""
        return self._hop(self.ainterrupt)

    def submit_text(self, text: str) -> concurrent.futures.Future[None]:
        """Say a typed line as the host."""
        return self._hop(lambda: self.asubmit_text(text))

    def play_file(self, path: Path) -> concurrent.futures.Future[None]:
        """Play a recording as the host (FileFeedFinished or FileFeedFailed follows)."""
        with self._lock:
            if self._loop is None:
                self._publish(FileFeedFailed(NOT_READY))
                return _finished()
            return self._hop(lambda: self.aplay_file(Path(path)))

    def stop_file(self) -> None:
        """Stop a file feed; the mic is heard again."""
        self._host.stop_file()

    def set_remote_input(self, remote: RemoteFeed | None) -> concurrent.futures.Future[None]:
        """A remote voice (the web layer's /ws/audio) is heard, alone or with the mic; None: the mic alone."""
        return self._hop(lambda: self.aset_remote_input(remote), quiet=True)

    def drop_remote_input(self, remote: RemoteFeed) -> concurrent.futures.Future[None]:
        """Stop hearing `remote` (it left, or taking it failed), unless another remote replaced it."""
        return self._hop(lambda: self.adrop_remote_input(remote), quiet=True)

    def set_remote_mix(self, mix: bool) -> concurrent.futures.Future[None]:
        """Mix a remote voice with the mic (a guest) or hear it in the mic's place (a remote host)."""
        return self._hop(lambda: self.aset_remote_mix(mix))

    def recheck(self) -> concurrent.futures.Future[None]:
        """Re-check the stages that are degraded or down now, instead of after their backoff."""
        return self._hop(self.arecheck)

    def set_mic_muted(self, muted: bool) -> None:
        """Mute the host mic: the engine hears silence (a file feed still plays); MicMuteChanged follows."""
        with self._lock:
            changed, self._host.muted = self._host.muted != muted, muted
            loop = self._loop
        if changed and loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody to tell
                loop.call_soon_threadsafe(self._publish, MicMuteChanged(muted))

    def set_mode(self, mode: TurnMode) -> concurrent.futures.Future[None]:
        return self._hop(lambda: self.aset_mode(mode))

    def set_voice(self, voice: VoiceProfile) -> concurrent.futures.Future[None]:
        """The anchor's voice from the next reply (before the start: the voice it starts with)."""
        return self._now_or_on_loop(lambda: setattr(self, "_voice", voice), lambda: self.aset_voice(voice))

    def set_devices(
        self, mic: str | None, program: str | None, monitor: str | None
    ) -> concurrent.futures.Future[None]:
        """Reopen the audio on these devices; conversation, session log and voice stay."""
        return self._now_or_on_loop(
            lambda: setattr(self, "_settings", self._with_devices(mic, program, monitor)),
            lambda: self.aset_devices(mic, program, monitor),
        )

    def reload_settings(self, settings: Settings) -> concurrent.futures.Future[None]:
        """Apply new settings mid-show; only what they change is rebuilt."""
        return self._now_or_on_loop(
            lambda: setattr(self, "_settings", settings), lambda: self.areload_settings(settings)
        )

    def stop(self) -> None:
        """End the show: the host input stops at the next frame, then everything closes."""
        with self._lock:
            self._stop_requested.set()
            loop = self._loop
            if loop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(self._host.stop)

    # ----- work on the stack --------------------------------------------------------------------
    def submit(self, job: Callable[[BackendStack], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Run `job(stack)` on the show's loop (transcribe a reference, preview a voice…)."""

        async def on_stack() -> T:
            if self.stack is None:
                raise RuntimeError(NOT_READY)
            return await job(self.stack)

        return self._hop(on_stack, quiet=True)

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> concurrent.futures.Future[str]:
        """Transcribe 16 kHz mono audio with the active STT; resolves to the text."""

        async def job(stack: BackendStack) -> str:
            return (await stack.stt.transcribe(audio, language)).text.strip()

        return self.submit(job)

    def synthesize(self, text: str, voice: VoiceProfile) -> concurrent.futures.Future[tuple[np.ndarray, int]]:
        """Speak `text` with the active TTS in `voice`; resolves to (samples, sample rate)."""
        rate = self._settings.SAMPLE_RATE

        async def job(stack: BackendStack) -> tuple[np.ndarray, int]:
            parts, sample_rate = [], rate
            async for chunk in stack.tts.synthesize(text, voice):
                parts.append(chunk.samples)
                sample_rate = chunk.sample_rate
            return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), sample_rate

        return self.submit(job)

    # ----- the hop ------------------------------------------------------------------------------
    def _hop(
        self, command: Callable[[], Coroutine[Any, Any, T]], *, quiet: bool = False
    ) -> concurrent.futures.Future[T]:
        """Run `command()` on the show's loop; a Future of its result for the calling thread."""
        with self._lock:
            loop = self._loop
            if loop is None or loop.is_closed():
                if not quiet:
                    log.warning("the show is not running; command ignored")
                return _finished(error=NOT_READY)
            coroutine = command()
            try:
                future = asyncio.run_coroutine_threadsafe(coroutine, loop)
            except RuntimeError:  # the loop closed between the check and the call
                coroutine.close()
                return _finished(error=NOT_READY)
        if not quiet:
            future.add_done_callback(_log_failure)
        return future

    def _now_or_on_loop(
        self, store: Callable[[], None], command: Callable[[], Coroutine[Any, Any, None]]
    ) -> concurrent.futures.Future[None]:
        """Before the show runs, `store()` what the start will use; while it runs, hop."""
        with self._lock:
            if self._loop is None:
                store()
                return _finished()
            return self._hop(command)
