"""The show's one Qt edge: a QThread that runs the show's loop and turns its events into signals.

Everything else — audio, stack, engine, session log, reloads — is the show's (studio.show).
Threading: `run()` runs the show's asyncio loop in this QThread; signals are emitted there and
reach GUI slots queued on the main thread. Commands are the show's thread-safe ones: called from
the GUI thread, they hop onto the show's loop and never block the caller.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PySide6.QtCore import QThread, Signal

from studio.audio.outputs import AudioOutput
from studio.backends.registry import BackendStack, build_stack
from studio.config import Settings
from studio.engine.events import (
    AnchorInterrupted,
    HostSpeechStarted,
    ReplyClauseStarted,
    StageStatusChanged,
    TranscriptUpdated,
    TurnCompleted,
    TurnDecided,
    TurnDiscarded,
)
from studio.session.log import new_session_path
from studio.show import Show
from studio.show.audio import AudioFactory
from studio.show.events import (
    AudioFailed,
    AudioOpened,
    DeviceChanged,
    FileFeedFailed,
    FileFeedFinished,
    ReloadFailed,
    SessionLogFailed,
    SettingsApplied,
    ShowEvent,
    ShowReady,
)
from studio.show.host_input import FrameSource
from studio.show.session import unused_path
from studio.show.stack import StackFactory
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
T = TypeVar("T")


class ShowThread(QThread):
    """Runs one Show in its own thread and exposes its commands and events to Qt."""

    stage_status_changed = Signal(str, str, str, str)  # stage, backend, state, detail
    engine_ready = Signal(dict)  # stage → backend name
    engine_failed = Signal(str)  # message for the user
    host_speech_started = Signal(int)
    transcript_updated = Signal(int, str, bool)  # turn id, text, is_final
    turn_decided = Signal(int, str, str)  # turn id, transcript, reason
    turn_discarded = Signal(int, str)
    reply_clause_started = Signal(int, str)
    anchor_interrupted = Signal(int, str)  # turn id, heard text
    turn_completed = Signal(object)  # TurnCompleted
    event_emitted = Signal(object)  # every event of the show, for views that show them all
    file_feed_finished = Signal(str)  # path of a file that finished playing as the host
    file_feed_failed = Signal(str)  # message for the user
    session_log_failed = Signal(str)  # message for the user
    audio_opened = Signal(dict)  # AudioIO.stats() once the devices are open
    audio_failed = Signal(str)  # no devices: the show runs with typed lines and file input
    device_event = Signal(str, str, str, str)  # role, device, kind (lost/reconnected/…), message
    settings_applied = Signal(tuple)  # what was rebuilt (stack, audio, turn policy…), maybe nothing
    reload_failed = Signal(str)  # new settings could not load; the show keeps the old models

    def __init__(
        self,
        settings: Settings,
        voice: VoiceProfile,
        *,
        stack_factory: StackFactory = build_stack,
        source_factory: FrameSource | None = None,
        output: AudioOutput | None = None,
        session_log: Path | None = None,
        audio_factory: AudioFactory | None = None,
        parent: Any = None,
    ) -> None:
        """`source_factory`: what the host says instead of the devices' mic (tests, benches)."""
        super().__init__(parent)
        self.setObjectName("show")
        self.session_log_path = session_log or unused_path(new_session_path())
        self.show = Show(
            settings,
            voice,
            stack_factory=stack_factory,
            output=output,
            frame_source=source_factory,
            audio_factory=audio_factory,
            session_log=self.session_log_path,
            session_details={"input": "studio window"},
        )
        self.show.subscribe(self._forward)
        self._failed = False

    # ----- what the window reads ----------------------------------------------------------------
    @property
    def output(self) -> AudioOutput:
        """The program output; the GUI reads `output.scope` at `output.played_samples()`."""
        return self.show.output

    @property
    def mic_scope(self) -> Any:
        return self.show.mic_scope

    @property
    def audio(self) -> Any:
        """The open AudioIO, or None."""
        return self.show.audio

    @property
    def settings(self) -> Settings:
        return self.show.settings

    @property
    def voice(self) -> VoiceProfile:
        return self.show.voice

    @property
    def mic_muted(self) -> bool:
        return self.show.mic_muted

    # ----- commands (GUI thread) ----------------------------------------------------------------
    def push_to_talk(self, pressed: bool) -> None:
        self.show.push_to_talk(pressed)

    def interrupt(self) -> None:
        self.show.interrupt()

    def submit_text(self, text: str) -> None:
        self.show.submit_text(text)

    def set_voice(self, voice: VoiceProfile) -> None:
        self.show.set_voice(voice)

    def set_mode(self, mode: str) -> None:
        self.show.set_mode(mode)  # type: ignore[arg-type]

    def set_mic_muted(self, muted: bool) -> None:
        self.show.set_mic_muted(muted)

    def recheck(self) -> None:
        """Stages that are not ready check their backends now (after a pull in the window)."""
        self.show.recheck()

    def play_file(self, path: Path) -> None:
        self.show.play_file(Path(path))

    def stop_file(self) -> None:
        self.show.stop_file()

    def set_devices(self, mic: str | None, program: str | None, monitor: str | None) -> None:
        """Reopen the audio on these devices; the show (conversation, log, voice) goes on."""
        self.show.set_devices(mic, program, monitor)

    def reload_settings(self, settings: Settings) -> None:
        """Apply new settings mid-show; after a failed start, start again with them."""
        self.show.reload_settings(settings)
        if self._failed and not self.isRunning():
            self.start()

    def submit(self, job: Callable[[BackendStack], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Run `job(stack)` on the show's loop; fails with RuntimeError when no stack is loaded."""
        return self.show.submit(job)

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> concurrent.futures.Future[str]:
        return self.show.transcribe(audio, language)

    def synthesize(self, text: str, voice: VoiceProfile) -> concurrent.futures.Future[tuple[np.ndarray, int]]:
        return self.show.synthesize(text, voice)

    def stop(self) -> None:
        """Ask the show to finish; `wait()` afterwards to join the thread."""
        self.show.stop()

    # ----- the show's thread --------------------------------------------------------------------
    def run(self) -> None:
        self._failed = False
        try:
            asyncio.run(self.show.run())
        except Exception as exc:  # the window must learn why, not crash
            log.exception("the show stopped")
            self._failed = True
            self.engine_failed.emit(str(exc))

    def _forward(self, event: ShowEvent) -> None:
        """A show event → the matching signal (queued to the GUI thread by Qt)."""
        self.event_emitted.emit(event)
        match event:
            case StageStatusChanged(stage, backend, state, detail):
                self.stage_status_changed.emit(stage, backend, state, detail)
            case HostSpeechStarted(turn_id):
                self.host_speech_started.emit(turn_id)
            case TranscriptUpdated(turn_id, text, is_final):
                self.transcript_updated.emit(turn_id, text, is_final)
            case TurnDecided(turn_id, transcript, reason):
                self.turn_decided.emit(turn_id, transcript, reason)
            case TurnDiscarded(turn_id, reason):
                self.turn_discarded.emit(turn_id, reason)
            case ReplyClauseStarted(turn_id, clause):
                self.reply_clause_started.emit(turn_id, clause)
            case AnchorInterrupted(turn_id, heard, _):
                self.anchor_interrupted.emit(turn_id, heard)
            case TurnCompleted():
                self.turn_completed.emit(event)
            case _:
                self._forward_show_fact(event)

    def _forward_show_fact(self, event: ShowEvent) -> None:
        match event:
            case ShowReady(backends):
                self.engine_ready.emit(backends)
            case AudioOpened(stats):
                self.audio_opened.emit(stats)
            case AudioFailed(message):
                self.audio_failed.emit(message)
            case DeviceChanged(role, device, kind, message):
                self.device_event.emit(role, device, kind, message)
            case FileFeedFinished(path):
                self.file_feed_finished.emit(path)
            case FileFeedFailed(message):
                self.file_feed_failed.emit(message)
            case SessionLogFailed(message):
                self.session_log_failed.emit(message)
            case SettingsApplied(rebuilt):
                self.settings_applied.emit(rebuilt)
            case ReloadFailed(message):
                self.reload_failed.emit(message)
