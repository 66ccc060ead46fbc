"""The show: THE composition root every face uses (window, `run`, benches, later web/OBS/MIDI).

It opens the audio, builds and supervises the stack, creates the engine with its hooks passed in
(echo filter, air gate, voice for a language), keeps the session log, applies fault injection,
and offers one command API and one event stream. Settings or devices changed mid-show rebuild
only what changed; the engine, its conversation and the session log stay.
Threading: everything here runs on the show's asyncio loop (the `a…` commands, `hear`, the
lifecycle). The plain commands of `ShowCommands` may be called from any thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from studio.audio.outputs import AudioOutput, ClockedOutput
from studio.backends.registry import BackendStack, build_stack
from studio.config import Settings
from studio.engine.engine import StudioEngine
from studio.engine.events import EventBus, StageStatusChanged
from studio.heap import collector_paused, freeze_long_lived, thaw_long_lived
from studio.rundown import SegmentClock
from studio.session.program_wav import CrashSafeWav, RecordingOutput
from studio.session.recorder import SessionRecorder
from studio.show.alerts import AlertWatch, gpu_watch
from studio.show.audio import AudioFactory, ShowAudio
from studio.show.changes import STACK_SETTINGS, plan_reload
from studio.show.commands import ShowCommands
from studio.show.events import FileFeedFinished, ReloadFailed, SettingsApplied, ShowEvent, ShowReady
from studio.show.host_input import FrameSource, HostInput, RemoteFeed, silent_microphone
from studio.show.rundown import RundownCommands
from studio.show.safety import SafetyCommands
from studio.show.session import open_session
from studio.show.stack import StackFactory, fault_plan, load_stack
from studio.voices.catalog import installed_voice_for_language
from studio.voices.profile import VoiceProfile


class Show(ShowCommands, RundownCommands, SafetyCommands):
    """One show over one engine; faces call its commands and subscribe to its events."""

    def __init__(
        self,
        settings: Settings,
        voice: VoiceProfile,
        *,
        stack_factory: StackFactory = build_stack,
        stack: BackendStack | None = None,
        output: AudioOutput | None = None,
        frame_source: FrameSource | None = None,
        audio_factory: AudioFactory | None = None,
        session_log: Path | None = None,
        session_details: Mapping[str, Any] | None = None,
        record: Path | None = None,
        voice_for_language: Callable[[str], VoiceProfile | None] | None = installed_voice_for_language,
        fault_seed: int = 7,
        strict: bool = False,
        rundown: SegmentClock | None = None,
    ) -> None:
        """`stack`: one the caller owns (not closed here). `frame_source`: what the host says
        instead of the devices' mic. `strict` (batch runs): a device or session log that cannot
        open stops the start instead of degrading. `rundown`: the show's segment clock (NEXT starts it)."""
        super().__init__()
        self._settings = self._applied = settings
        self._voice = voice
        self.bus = EventBus()
        self._stack_factory, self._given_stack = stack_factory, stack
        self._base_output: AudioOutput = output or ClockedOutput(settings.SAMPLE_RATE)
        self._output = self._base_output
        self._frame_source = frame_source
        self._remote_input: RemoteFeed | None = None  # a remote voice (web layer): instead of or with the mic
        self._remote_mix = settings.remote_audio_mix
        self._mixed: tuple[RemoteFeed, FrameSource, FrameSource] | None = None  # (remote, local, mixed)
        self._audio = ShowAudio(audio_factory, self._publish, strict)
        self._host = HostInput(lambda path: self._publish(FileFeedFinished(path)))
        self.session_log_path = session_log
        self._session_details = dict(session_details or {})
        self._record, self._wav = record, None
        self._voice_for_language = voice_for_language
        self._fault_seed, self._strict = fault_seed, strict
        self._rundown = rundown  # NEXT starts it (studio.show.rundown); the anchor is told where it is
        self.engine: StudioEngine | None = None
        self.stack: BackendStack | None = None  # as built, faults applied (the engine supervises it)
        self.fault_plan = None
        self._recorder: SessionRecorder | None = None
        self.bus.subscribe(self._log_event)
        self.alerts = AlertWatch(self._publish, lambda: self._settings, self.note)  # slow turn, GPU, down
        self.bus.subscribe(self.alerts.on_event)

    # ----- what faces read ----------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def voice(self) -> VoiceProfile:
        return self._voice

    @property
    def output(self) -> AudioOutput:
        """The program output the engine writes to (faces read its scope and playhead)."""
        return self._output

    @property
    def mic_scope(self) -> Any:
        """What the engine hears, 16 kHz (after mute and file feeds), for waveforms and meters."""
        return self._host.mic_scope

    @property
    def audio(self) -> Any:
        """The open AudioIO, or None (no devices)."""
        return self._audio.current

    @property
    def mic_muted(self) -> bool:
        return self._host.muted

    def subscribe(self, subscriber: Callable[[Any], None]) -> None:
        """Receive every event of the show, engine and show facts alike, in order, on the loop."""
        self.bus.subscribe(subscriber)

    def unsubscribe(self, subscriber: Callable[[Any], None]) -> None:
        """Stop handing `subscriber` events (a face that closed: a stopped web server, a surface)."""
        self.bus.unsubscribe(subscriber)

    def note(self, kind: str, **fields: Any) -> bool:
        """A face's own record in the session log (the web layer's security events); any thread.

        False when no log is open (before the start, after the end, or an unlogged show)."""
        recorder = self._recorder
        if recorder is None:
            return False
        recorder.log.append(kind, **fields)
        return True

    def _publish(self, event: ShowEvent) -> None:
        self.bus.publish(event)  # type: ignore[arg-type]

    def _log_event(self, event: Any) -> None:
        if self._recorder is not None:
            self._recorder.on_event(event)

    # ----- lifecycle ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Start, hear the host until stopped (or the input ends), close."""
        await self.start()
        try:
            await self.serve()
        finally:
            await self.aclose()

    async def __aenter__(self) -> Show:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Open the audio, load the stack, create the engine and the session log; then ShowReady."""
        self._bind(asyncio.get_running_loop())
        try:
            await self._start(self._settings)
        except BaseException:
            await self.aclose()
            raise
        if self._settings is not self._applied:  # changed while the models loaded
            await self._apply(self._settings)

    async def _start(self, settings: Settings) -> None:
        self.fault_plan = fault_plan(settings, self._fault_seed)  # a bad spec stops us before anything opens
        self._audio.install(await self._audio.open(settings))
        stack = await self._load(settings)
        self.stack = stack
        freeze_long_lived()  # later collections skip the models (a full one stalled every thread)
        self._output = self._program_output(self._audio.current, settings)
        self._recorder = open_session(self.session_log_path, self._strict, self._publish)
        self.engine = StudioEngine(
            settings,
            stack,
            self._output,
            self._voice,
            self.bus,
            echo_filter=self._audio.is_echo if self._audio.opens_devices else None,
            air_gate=self._recorder.air_gate if self._recorder is not None else None,
            voice_for_language=self._voice_for_language,
            prompt_context=self._rundown_brief,
        )
        self._applied = settings
        if self._recorder is not None:
            self._recorder.start(self._voice.name, stack.describe(), **self._session_details)
        self._host.rearm()
        self._listen(stack.vad.frame_samples)
        self._publish(ShowReady(stack.describe()))

    async def serve(self) -> None:
        """Feed the host input to the engine until stopped or the input ends; the last turn finishes."""
        engine = self.engine
        if engine is None:
            raise RuntimeError("the show is not started")
        if self._stop_requested.is_set():
            self._host.stop()
        async with gpu_watch(self.alerts):  # GPU memory above 90 % is an alert (studio.show.alerts)
            await engine.run(self._host.frames())
        drain = getattr(self._output, "drain", None)
        if not self._host.stopped and drain is not None:
            await drain()  # the last words out of the device before it closes

    async def aclose(self) -> None:
        """Stop the turn in flight, end the session log, release the stack and the devices."""
        engine, self.engine = self.engine, None
        stack, self.stack = self.stack, None
        try:
            if engine is not None:
                await engine.aclose()
        finally:
            recorder, self._recorder = self._recorder, None
            if recorder is not None:
                recorder.finish()
            wav, self._wav = self._wav, None
            if wav is not None:
                wav.close()
            if stack is not None and self._given_stack is None:
                await stack.aclose()
            await self._audio.close(self._audio.install(None))
            self._close_delay(self._output)
            self._output = self._base_output
            self._bind(None)
            thaw_long_lived()

    # ----- parts --------------------------------------------------------------------------------
    async def _load(self, settings: Settings) -> BackendStack:
        def progress(stage: str, backend: str, state: str) -> None:
            self._publish(StageStatusChanged(stage, backend, state))  # type: ignore[arg-type]

        plan = fault_plan(settings, self._fault_seed)
        with collector_paused():  # ~420k long-lived objects arrive: no full collections over them now
            stack = await load_stack(settings, self._stack_factory, progress, self._given_stack, plan)
        self.fault_plan = plan
        return stack

    def _source(self) -> FrameSource:
        """The frame source: the local one (given, else the devices' mic, else silence), replaced by a
        remote voice, or with it mixed in (`remote_audio_mix`: a guest beside the host)."""
        local: FrameSource = self._frame_source or (
            self._audio.current.frames if self._audio.current is not None else silent_microphone
        )
        remote = self._remote_input
        if remote is None:
            return local
        if not self._remote_mix:
            return remote.source
        if self._mixed is None or self._mixed[0] is not remote or self._mixed[1] != local:
            mixed = remote.mixed_with(self._host.muted_local(local))  # mute: the host's mic, not the guest
            self._mixed = (remote, local, mixed)  # one mixer while neither changes
        return self._mixed[2]

    def _listen(self, frame_samples: int) -> None:
        """Hear the frame source that is current now (`_source`) from its next frame."""
        source = self._source()
        mixing = self._mixed is not None and source is self._mixed[2]
        self._host.use(source, frame_samples, mutes_inside=mixing)

    def _program_output(self, device: Any, settings: Settings) -> AudioOutput:
        """The devices' program output (or the given one), recorded to a WAV when asked, behind
        the broadcast delay when there is one (the recording holds what aired)."""
        base = device.program if device is not None else self._base_output
        if self._record is None:
            return self._delayed(base, settings)
        if self._wav is None:
            self._wav = CrashSafeWav(self._record, base.sample_rate)
        return self._delayed(RecordingOutput(base, self._wav), settings)

    async def _apply(self, settings: Settings) -> None:
        """New settings on a running show: rebuild only what they change, keep the rest."""
        engine = self.engine
        assert engine is not None
        old, plan = self._applied, plan_reload(self._applied, settings)
        self._applied = settings
        rebuilt = list(plan.rebuilt())
        stack = None
        if plan.stack:
            try:
                stack = await self._load(settings)
            except Exception as exc:  # the old models keep the show on air; a later reload retries
                self._publish(ReloadFailed(f"{exc}; the show keeps its current models"))
                self._applied = settings.model_copy(update={k: getattr(old, k) for k in STACK_SETTINGS})
                rebuilt = [part for part in plan.rebuilt() if part != "stack"]
                rebuilt += ["supervision"] if plan.supervision else []
        if plan.audio:
            await self._reopen_audio(settings, engine)
        engine.apply_settings(settings)
        if settings.remote_audio_mix != old.remote_audio_mix:
            await self.aset_remote_mix(settings.remote_audio_mix)
        await self._retime_delay(settings)
        if stack is not None or plan.supervision:
            await self._replace_stack(engine, stack or self.stack)
        self._publish(SettingsApplied(tuple(rebuilt)))

    async def _replace_stack(self, engine: StudioEngine, stack: BackendStack | None) -> None:
        assert stack is not None
        old, self.stack = self.stack, stack
        await engine.replace_stack(stack)
        self._listen(stack.vad.frame_samples)
        if old is not None and old is not stack and self._given_stack is None:
            await old.aclose()
            thaw_long_lived()  # the old models' cycles are collectable again; the new ones frozen
            freeze_long_lived()

    async def _reopen_audio(self, settings: Settings, engine: StudioEngine) -> None:
        """New devices: switch the input to them first, then the output, then close the old ones."""
        device = await self._audio.open(settings)
        if device is None and self._audio.current is None:
            return  # no devices before, none now
        old = self._audio.install(device)
        assert self.stack is not None
        self._listen(self.stack.vad.frame_samples)
        old_output, self._output = self._output, self._program_output(device, settings)
        await engine.replace_output(self._output)
        self._close_delay(old_output)
        await self._audio.close(old)
