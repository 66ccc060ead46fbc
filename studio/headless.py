"""`ai-anchor-studio run`: replay a host recording as the live mic and produce the anchor's side.

The show is studio.show's, as in the window: `run` is one more face (a subscriber and a caller).
Threading: one asyncio loop in the main thread runs the show; backends use their own workers;
with `--output-device` PortAudio's callback thread plays the program and an "audio-watch" thread
reports device changes. Nothing is written unless the show ran (a device that cannot be opened
stops it before the stack loads): the output WAV appears atomically at the very end.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import numpy as np

from studio.audio.device_stream import DeviceEvent
from studio.audio.outputs import ClockedOutput, InstantOutput
from studio.audio.recording import HostRecording
from studio.audio.sources import paced_frames, silence
from studio.audio.wavwriter import write_wav_atomic
from studio.backends.registry import BackendStack, build_complete_stack, build_stack
from studio.config import Settings
from studio.engine.events import (
    EngineEvent,
    StageStatusChanged,
    TranscriptUpdated,
    TurnCompleted,
    TurnDiscarded,
)
from studio.rundown import Rundown, SegmentClock
from studio.session.log import new_session_path
from studio.show import Show
from studio.voices.profile import VoiceProfile

if TYPE_CHECKING:
    from studio.audio.io import AudioIO

TRAILING_SILENCE_S = 2.5  # lets the last line end by pause, as it would live


class Attached(Protocol):
    """A part a face attached to the show (e.g. the OBS bridge): closed once the show has ended."""

    def close(self) -> None: ...


#: Attaches a part to the show before it starts (subscribes it); None: nothing to attach.
Attach = Callable[[Show, Settings], Attached | None]


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
    allow_degraded: bool = False  # False: a stage that cannot serve stops the run before it starts
    rundown: Rundown | None = None  # its first segment starts with the show (README "Rundown")


def _printer(stream: TextIO) -> Callable[[Any], None]:
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


def _progress(stream: TextIO) -> Callable[[Any], None]:
    """Stage states (loading, ready, degraded…) on `stream`, one line each."""

    def report(event: Any) -> None:
        if isinstance(event, StageStatusChanged):
            print(f"[{event.state:>7}] {event.stage}: {event.backend}", file=stream, flush=True)

    return report


async def run_show(
    settings: Settings,
    request: RunRequest,
    stack: BackendStack | None = None,
    subscribers: Sequence[Callable[[Any], None]] = (),
    attach: Sequence[Attach] = (),
) -> dict:
    """Run the recording through the show; return the JSON-able result.

    `stack`: one the caller owns (tests); `subscribers` see the show's events as the window does;
    `attach`: parts such as the OBS bridge (`studio.obs.attach_obs`), closed when the show ends.
    """
    log_stream = sys.stderr
    turns: list[TurnCompleted] = []
    show = _show_for(settings.model_copy(update={"turn_mode": "auto"}), request, stack, log_stream)
    show.subscribe(lambda event: turns.append(event) if isinstance(event, TurnCompleted) else None)
    show.subscribe(_progress(log_stream))
    if not request.as_json:
        show.subscribe(_printer(sys.stdout))
    for subscriber in subscribers:
        show.subscribe(subscriber)
    attached = [part for part in (attacher(show, show.settings) for attacher in attach) if part is not None]
    try:
        async with show:
            print(f"session log: {show.session_log_path}", file=log_stream, flush=True)
            if show.rundown is not None:
                await show.anext_segment()
            await show.serve()
            device_stats = show.audio.stats() if show.audio is not None else None
            program = show.output
            recording = program.recording() if request.output is not None else None
            described = show.stack.describe() if show.stack is not None else {}
    finally:
        for part in attached:  # after the show: the last captions are down, the chapters finished
            await asyncio.to_thread(part.close)
    if not turns:
        raise ShowError(f"{request.recording.path}: no host speech was recognised; nothing to answer")
    if recording is not None:
        write_wav_atomic(request.output, recording, program.sample_rate)  # type: ignore[arg-type]
    return {
        "turns": [
            {
                "transcript": turn.transcript,
                "reply": turn.heard if turn.interrupted else turn.reply,
                "audio_seconds": turn.audio_seconds,
                "interrupted": turn.interrupted,
                "latency_ms": turn.latency_ms,
            }
            for turn in turns
        ],
        "output": str(request.output) if request.output else None,
        "output_device": device_stats,
        "stack": described,
    }


def _show_for(
    settings: Settings, request: RunRequest, stack: BackendStack | None, log_stream: TextIO
) -> Show:
    """The show `run` asked for: the recording as the mic, a clock (or a device) as the program."""
    fast = request.fast

    def host(frame_samples: int) -> AsyncIterator[np.ndarray]:
        blocks = itertools.chain(request.recording.blocks(), silence(TRAILING_SILENCE_S))
        return paced_frames(blocks, frame_samples, paced=not fast, gate=show.wait_settled if fast else None)

    output = None
    if not request.output_device:
        output = (InstantOutput if fast else ClockedOutput)(settings.SAMPLE_RATE, keep_recording=True)
    show = Show(
        settings,
        request.voice,
        stack_factory=build_stack if request.allow_degraded else build_complete_stack,
        stack=stack,
        output=output,
        frame_source=host,
        audio_factory=_device_opener(request, log_stream) if request.output_device else None,
        session_log=request.session_log or new_session_path(),
        session_details={"input": str(request.recording.path)},
        record=request.record,
        strict=True,
        rundown=SegmentClock(request.rundown) if request.rundown is not None else None,
    )
    return show


def _device_opener(request: RunRequest, log_stream: TextIO) -> Callable[[Settings], AudioIO]:
    """The live program (and monitor) device; AudioDeviceError stops the run before the stack loads."""

    def report(event: DeviceEvent) -> None:  # from the audio-watch thread: one line per change
        print(f"audio: {event.message()}", file=log_stream, flush=True)

    def open_devices(settings: Settings) -> AudioIO:
        from studio.audio.io import AudioIO

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

    return open_devices


def execute(settings: Settings, request: RunRequest, attach: Sequence[Attach] = ()) -> int:
    """CLI entry: run, print, return the exit code (`attach`: see run_show)."""
    result = asyncio.run(run_show(settings, request, attach=attach))
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
