"""`ai-anchor-studio run`: replay a host recording as the live mic and produce the anchor's side.

Threading: one asyncio loop in the main thread runs the engine; backends use their own workers;
with `--output-device` PortAudio's callback thread plays the program and an "audio-watch" thread
reports device changes. Nothing is written unless the show ran (a device that cannot be opened
stops it before the stack loads): the output WAV appears atomically at the very end.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from studio.audio.device_stream import DeviceEvent
from studio.audio.outputs import ClockedOutput, InstantOutput
from studio.audio.recording import HostRecording
from studio.audio.sources import paced_frames, silence
from studio.audio.wavwriter import write_wav_atomic
from studio.backends.registry import BackendStack, build_stack
from studio.config import Settings
from studio.engine.engine import StudioEngine
from studio.engine.events import EngineEvent, TranscriptUpdated, TurnCompleted, TurnDiscarded
from studio.session.log import SessionLog, new_session_path
from studio.session.program_wav import CrashSafeWav, RecordingOutput
from studio.session.recorder import SessionRecorder
from studio.voices.catalog import installed_voice_for_language
from studio.voices.profile import VoiceProfile

if TYPE_CHECKING:
    from studio.audio.io import AudioIO

TRAILING_SILENCE_S = 2.5  # lets the last line end by pause, as it would live


class ShowError(RuntimeError):
    """The show ran but produced nothing usable (e.g. no speech found); message for the user."""


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What `run` was asked to do, already validated."""

    recording: HostRecording
    output: Path | None
    voice: VoiceProfile
    fast: bool
    as_json: bool
    session_log: Path | None = None  # None: a new log in the data dir's sessions/
    record: Path | None = None  # program audio recorded as it plays (crash-safe WAV)
    output_device: str | None = None  # play the program live to this device (e.g. the OBS sink)
    monitor_device: str | None = None  # and to these headphones too


def _printer(stream: TextIO) -> callable:
    """Human-readable live transcript on `stream`."""

    def show(event: EngineEvent) -> None:
        if isinstance(event, TranscriptUpdated) and event.is_final and event.text:
            print(f"host   [{event.turn_id}] {event.text}", file=stream, flush=True)
        elif isinstance(event, TurnDiscarded):
            print(f"       [{event.turn_id}] (no reply: {event.reason})", file=stream, flush=True)
        elif isinstance(event, TurnCompleted):
            cut = " [interrupted]" if event.interrupted else ""
            print(f"anchor [{event.turn_id}] {event.heard or event.reply}{cut}", file=stream, flush=True)
            figures = " · ".join(
                f"{name} {value:.0f} ms" for name, value in event.latency_ms.items() if value is not None
            )
            print(f"       latency from speech end: {figures}", file=stream, flush=True)

    return show


def _progress(stream: TextIO) -> callable:
    def report(stage: str, backend: str, state: str) -> None:
        print(f"[{state:>7}] {stage}: {backend}", file=stream, flush=True)

    return report


async def run_show(settings: Settings, request: RunRequest, stack: BackendStack | None = None) -> dict:
    """Run the recording through the engine; return the JSON-able result."""
    log_stream = sys.stderr
    audio = _open_devices(settings, request, log_stream) if request.output_device else None
    try:
        return await _run_show(settings, request, stack, audio, log_stream)
    finally:
        if audio is not None:
            audio.close()


def _open_devices(settings: Settings, request: RunRequest, log_stream: TextIO) -> AudioIO:
    """The live program (and monitor) device; raises AudioDeviceError before anything is written."""
    from studio.audio.io import AudioIO

    def report(event: DeviceEvent) -> None:  # from the audio-watch thread: one line per change
        print(f"audio: {event.message()}", file=log_stream, flush=True)

    audio = AudioIO(
        settings,
        program_device=request.output_device,
        monitor_device=request.monitor_device,
        use_mic=False,
        use_monitor=request.monitor_device is not None,
        on_event=report,
    )
    audio.program.keep_recording()
    return audio


async def _run_show(
    settings: Settings,
    request: RunRequest,
    stack: BackendStack | None,
    audio: AudioIO | None,
    log_stream: TextIO,
) -> dict:
    own_stack = stack is None
    if stack is None:
        stack = await build_stack(settings, _progress(log_stream))
    if audio is not None:
        output = audio.program
    else:
        output = (InstantOutput if request.fast else ClockedOutput)(settings.SAMPLE_RATE, keep_recording=True)
    program = None
    if request.record is not None:
        program = RecordingOutput(output, CrashSafeWav(request.record, output.sample_rate))
    engine = StudioEngine(settings, stack, program or output, request.voice)
    engine.voice_for_language = installed_voice_for_language
    engine.set_mode("auto")
    recorder = SessionRecorder(SessionLog(request.session_log or new_session_path()))
    recorder.attach(engine)
    recorder.start(request.voice.name, stack.describe(), input=str(request.recording.path))
    print(f"session log: {recorder.log.path}", file=log_stream, flush=True)
    if not request.as_json:
        engine.bus.subscribe(_printer(sys.stdout))
    blocks = itertools.chain(request.recording.blocks(), silence(TRAILING_SILENCE_S))
    frames = paced_frames(
        blocks,
        stack.vad.frame_samples,
        paced=not request.fast,
        gate=engine.wait_settled if request.fast else None,
    )
    try:
        await engine.run(frames)
        if audio is not None:
            await audio.program.drain()  # the last words out of the device before it closes
    finally:
        await engine.aclose()
        recorder.finish()
        if program is not None:
            program.close()
        if own_stack:
            await stack.aclose()
    if not engine.completed:
        raise ShowError(f"{request.recording.path}: no host speech was recognised; nothing to answer")
    if request.output is not None:
        write_wav_atomic(request.output, output.recording(), output.sample_rate)
    return {
        "turns": [
            {
                "transcript": turn.transcript,
                "reply": turn.heard if turn.interrupted else turn.reply,
                "audio_seconds": turn.audio_seconds,
                "interrupted": turn.interrupted,
                "latency_ms": turn.latency_ms,
            }
            for turn in engine.completed
        ],
        "output": str(request.output) if request.output else None,
        "output_device": audio.stats() if audio is not None else None,
        "stack": stack.describe(),
    }


def execute(settings: Settings, request: RunRequest) -> int:
    """CLI entry: run, print, return the exit code."""
    result = asyncio.run(run_show(settings, request))
    if request.as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        seconds = sum(t["audio_seconds"] for t in result["turns"])
        if result["output_device"] is not None:
            program = result["output_device"]["program"]
            print(
                f"played {seconds:.1f} s of anchor audio to {program['device']} "
                f"({program['underruns']} underruns in {program['callbacks']} device callbacks)"
            )
        if request.output is not None:
            print(f"wrote {request.output} ({seconds:.1f} s of anchor audio)")
    return 0
