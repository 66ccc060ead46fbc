"""The engine's one Qt edge: a QThread that runs the engine loop and re-emits its events as signals.

Threading: `run()` owns a private asyncio loop in this QThread; the engine lives there. Signals
are emitted from that thread and reach GUI slots queued on the main thread. Command methods
(push_to_talk, interrupt, ...) are called from the GUI thread and hop onto the engine loop with
`call_soon_threadsafe` — they never block the caller.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PySide6.QtCore import QThread, Signal

from studio.audio.outputs import AudioOutput, ClockedOutput
from studio.audio.scope import SampleScope
from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.backends.registry import BackendStack, build_stack
from studio.config import Settings
from studio.engine.engine import StudioEngine
from studio.engine.events import (
    AnchorInterrupted,
    EngineEvent,
    HostSpeechStarted,
    ReplyClauseStarted,
    StageStatusChanged,
    TranscriptUpdated,
    TurnCompleted,
    TurnDecided,
    TurnDiscarded,
)
from studio.session.log import SessionLog, SessionLogError, new_session_path
from studio.session.recorder import SessionRecorder
from studio.voices.catalog import installed_voice_for_language
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
T = TypeVar("T")

AudioFactory = Callable[[], Any]  # () -> studio.audio.io.AudioIO (raises AudioDeviceError)
StackFactory = Callable[[Settings, Callable[[str, str, str], None]], Awaitable[BackendStack]]
FrameSourceFactory = Callable[[int], AsyncIterator[np.ndarray]]


def _unused(path: Path) -> Path:
    """`path`, or `name-2.jsonl`, `name-3.jsonl`… when a studio restart in the same second took it."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


async def silent_microphone(frame_samples: int) -> AsyncIterator[np.ndarray]:
    """A paced stream of silence: the engine keeps running with no input device (typed lines)."""
    frame = np.zeros(frame_samples, dtype=np.float32)
    period = frame_samples / 16_000
    loop = asyncio.get_running_loop()
    due = loop.time()
    while True:
        due += period
        await asyncio.sleep(max(0.0, due - loop.time()))
        yield frame


class EngineThread(QThread):
    """Runs a StudioEngine in its own thread and exposes it to Qt."""

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
    event_emitted = Signal(object)  # every engine event, for views that show them all (session log)
    file_feed_finished = Signal(str)  # path of a file that finished playing as the host
    file_feed_failed = Signal(str)  # message for the user
    session_log_failed = Signal(str)  # message for the user
    audio_opened = Signal(dict)  # AudioIO.stats() once the devices are open
    audio_failed = Signal(str)  # no devices: the show runs with typed lines and file input
    device_event = Signal(str, str, str, str)  # role, device, kind (lost/reconnected/…), message

    def __init__(
        self,
        settings: Settings,
        voice: VoiceProfile,
        *,
        stack_factory: StackFactory = build_stack,
        source_factory: FrameSourceFactory = silent_microphone,
        output: AudioOutput | None = None,
        session_log: Path | None = None,
        audio_factory: AudioFactory | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("engine")
        self._settings, self._voice = settings, voice
        self._stack_factory, self._source_factory = stack_factory, source_factory
        self._output: AudioOutput = output or ClockedOutput(settings.SAMPLE_RATE)
        self._audio_factory = audio_factory
        self.audio: Any = None  # the open AudioIO, when devices are in use
        # What the engine hears (after mute / file feed), 16 kHz, for the GUI's waveform and meter.
        self.mic_scope = SampleScope(INPUT_SAMPLE_RATE, seconds=10.0)
        self._mic_muted = False
        self._file_frames: collections.deque[np.ndarray] = collections.deque()
        self._file_feed: str | None = None
        self.session_log_path = session_log or _unused(new_session_path())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engine: StudioEngine | None = None
        self._stack: BackendStack | None = None
        self._stopping: asyncio.Event | None = None

    @property
    def output(self) -> AudioOutput:
        """The program output; the GUI reads `output.scope` at `output.played_samples()`."""
        return self._output

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def voice(self) -> VoiceProfile:
        return self._voice

    # ----- commands (any thread) --------------------------------------------------------------
    def set_mic_muted(self, muted: bool) -> None:
        """Mute the host mic: the engine hears silence (a file feed still plays)."""
        self._mic_muted = muted

    @property
    def mic_muted(self) -> bool:
        return self._mic_muted

    def play_file(self, path: Path) -> None:
        """Feed an audio file to the engine as if the host said it into the mic."""
        loop = self._loop
        if loop is None or loop.is_closed() or self._stack is None:
            self.file_feed_failed.emit("models not loaded yet; try again when the lights are green")
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(lambda: loop.create_task(self._load_file(Path(path))))

    def stop_file(self) -> None:
        """Stop a file feed; the mic is heard again."""
        self._file_frames = collections.deque()

    def push_to_talk(self, pressed: bool) -> None:
        self._call(lambda engine: engine.push_to_talk(pressed))

    def interrupt(self) -> None:
        self._call(lambda engine: engine.interrupt("host pressed interrupt"))

    def submit_text(self, text: str) -> None:
        self._call(lambda engine: engine.submit_text(text))

    def set_voice(self, voice: VoiceProfile) -> None:
        self._voice = voice
        self._call(lambda engine: engine.set_voice(voice))

    def set_mode(self, mode: str) -> None:
        self._call(lambda engine: engine.set_mode(mode))  # type: ignore[arg-type]

    def submit(self, job: Callable[[BackendStack], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Run `job(stack)` on the engine loop (e.g. transcribe a voice reference, preview a voice).

        The returned future fails with RuntimeError when the engine is not running (yet).
        """
        loop, stack = self._loop, self._stack
        if loop is None or stack is None or loop.is_closed():
            failed: concurrent.futures.Future[T] = concurrent.futures.Future()
            failed.set_exception(RuntimeError("models not loaded yet; try again when the lights are green"))
            return failed
        return asyncio.run_coroutine_threadsafe(job(stack), loop)  # type: ignore[arg-type]

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> concurrent.futures.Future[str]:
        """Transcribe 16 kHz mono audio with the active STT; resolves to the text."""

        async def job(stack: BackendStack) -> str:
            return (await stack.stt.transcribe(audio, language)).text.strip()

        return self.submit(job)

    def synthesize(self, text: str, voice: VoiceProfile) -> concurrent.futures.Future[tuple[np.ndarray, int]]:
        """Speak `text` with the active TTS in `voice`; resolves to (samples, sample rate)."""

        async def job(stack: BackendStack) -> tuple[np.ndarray, int]:
            parts, rate = [], self._settings.SAMPLE_RATE
            async for chunk in stack.tts.synthesize(text, voice):
                parts.append(chunk.samples)
                rate = chunk.sample_rate
            return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), rate

        return self.submit(job)

    def stop(self) -> None:
        """Ask the engine to finish; `wait()` afterwards to join the thread."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)

    def _call(self, command: Callable[[StudioEngine], object]) -> None:
        loop, engine = self._loop, self._engine
        if loop is None or engine is None or loop.is_closed():
            log.warning("engine not running; command ignored")
            return
        with contextlib.suppress(RuntimeError):  # loop closed between the check and the call
            loop.call_soon_threadsafe(command, engine)

    # ----- the engine thread ------------------------------------------------------------------
    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as exc:  # the window must learn why, not crash
            log.exception("engine stopped")
            self.engine_failed.emit(str(exc))

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        audio = await self._open_audio()
        try:
            stack = await self._stack_factory(self._settings, self._on_progress)
        except BaseException:
            await self._close_audio()
            raise
        engine = StudioEngine(self._settings, stack, self._output, self._voice)
        if audio is not None:
            audio.attach(engine)
        engine.voice_for_language = installed_voice_for_language
        recorder = self._open_session(engine, stack)
        engine.bus.subscribe(self._forward)
        self._engine, self._stack = engine, stack
        self.engine_ready.emit(stack.describe())
        source = audio.frames if audio is not None else self._source_factory
        try:
            await engine.run(self._until_stopped(source(stack.vad.frame_samples)))
        finally:
            self._engine = self._stack = None
            await engine.aclose()
            if recorder is not None:
                recorder.finish()
            await stack.aclose()
            await self._close_audio()

    async def _open_audio(self) -> Any:
        """Open the devices (off the loop); without any, keep the silent mic and the clocked output."""
        if self._audio_factory is None:
            return None
        try:
            audio = await asyncio.to_thread(self._audio_factory)
        except Exception as exc:  # no server, unknown device, device busy: the show still runs
            self.audio_failed.emit(str(exc))
            return None
        audio.subscribe(
            lambda event: self.device_event.emit(event.role, event.device, event.kind, event.message())
        )
        self.audio, self._output = audio, audio.program
        self.audio_opened.emit(audio.stats())
        return audio

    async def _close_audio(self) -> None:
        audio, self.audio = self.audio, None
        if audio is not None:
            await asyncio.to_thread(audio.close)

    def _open_session(self, engine: StudioEngine, stack: BackendStack) -> SessionRecorder | None:
        """Log the show (every line before it airs); a log that cannot open is reported, not fatal."""
        try:
            recorder = SessionRecorder(SessionLog(self.session_log_path))
        except (SessionLogError, OSError) as exc:
            self.session_log_failed.emit(f"session log cannot be written ({exc}); the show goes on unlogged")
            return None
        recorder.attach(engine)
        recorder.start(self._voice.name, stack.describe(), input="studio window")
        return recorder

    async def _until_stopped(self, frames: AsyncIterator[np.ndarray]) -> AsyncIterator[np.ndarray]:
        """The mic (or a file feed in its place, or silence when muted) until the studio stops."""
        stopping = self._stopping
        assert stopping is not None
        async with contextlib.aclosing(frames):  # type: ignore[type-var]
            async for mic_frame in frames:
                if stopping.is_set():
                    return
                frame = mic_frame
                if self._file_frames:
                    frame = self._file_frames.popleft()
                    if not self._file_frames and self._file_feed is not None:
                        self.file_feed_finished.emit(self._file_feed)
                        self._file_feed = None
                elif self._mic_muted:
                    frame = np.zeros_like(mic_frame)
                self.mic_scope.write(frame)
                yield frame

    async def _load_file(self, path: Path) -> None:
        """Decode and resample a host file off the loop, then queue it frame by frame."""
        from studio.audio.recording import RecordingError, open_host_recording

        stack = self._stack
        if stack is None:
            return
        size = stack.vad.frame_samples

        def decode() -> collections.deque[np.ndarray]:
            audio = open_host_recording(path).read_all()
            audio = np.concatenate([audio, np.zeros((-len(audio)) % size, np.float32)])
            return collections.deque(audio.reshape(-1, size))

        try:
            frames = await asyncio.to_thread(decode)
        except (RecordingError, OSError) as exc:
            self.file_feed_failed.emit(str(exc))
            return
        self._file_feed = str(path)
        self._file_frames = frames

    def _on_progress(self, stage: str, backend: str, state: str) -> None:
        self.stage_status_changed.emit(stage, backend, state, "")

    def _forward(self, event: EngineEvent) -> None:
        """Engine event → the matching signal (queued to the GUI thread by Qt)."""
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
