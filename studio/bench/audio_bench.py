"""`bench --audio`: program path latency into the OBS sink (click test) and underruns under STT load.

Runs on a private PulseAudio server (`pulseaudio -n`, its own runtime dir, with the AI_Anchor_Out
null sink) so the user's own sound setup is never touched; the `pulseaudio` and `parec` binaries
must be installed. For each device buffer size asked for: (a) clicks written to `AudioIO.program`
are timed until they reach a low-latency `parec` reader attached to the sink's monitor first (a
null sink nobody reads runs at ~2 s latency); (b) the anchor speaks continuously while Whisper
transcribes in a loop, and PortAudio's underrun flags are counted from the stream's open: Piper and
Whisper load while it idles (in standby, as in a show), then it goes live.
Threading: the bench's asyncio loop writes the program and awaits STT (which runs in its worker
thread); a reader thread timestamps parec's output; PortAudio's callback thread plays.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import soxr

from studio.audio.pulse import ANCHOR_SINK, PulseControl
from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.bench.monitor_reader import MonitorReader
from studio.bench.private_pulse import PrivatePulseError
from studio.bench.private_pulse import private_pulse_server as shared_private_pulse_server
from studio.config import Settings

if TYPE_CHECKING:
    from studio.audio.program import DeviceProgramOutput

CLICK_GAP_S = 0.25  # between clicks: each one is found on its own in the recording
CLICK_THRESHOLD = 0.02
FEED_AHEAD_S = 0.5  # the program is kept this far ahead, as streaming TTS keeps it
FEED_CHUNK_S = 0.1


class AudioBenchError(RuntimeError):
    """The bench cannot run here (no pulseaudio binary, server did not start); message for the user."""


@contextlib.contextmanager
def private_pulse_server() -> Iterator[PulseControl]:
    """The private server (see studio.bench.private_pulse), or AudioBenchError saying what is missing."""
    if shutil.which("parec") is None:
        raise AudioBenchError("`bench --audio` needs parec (Debian: apt-get install pulseaudio-utils)")
    try:
        with shared_private_pulse_server("studio-bench") as control:
            yield control
    except PrivatePulseError as exc:
        raise AudioBenchError(f"`bench --audio`: {exc}") from None


def _settings_with(settings: Settings, buffer_ms: int) -> Settings:
    return settings.model_copy(update={"output_latency_ms": buffer_ms})


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p95": None}
    arr = np.asarray(values)
    return {"median": round(float(np.median(arr)), 2), "p95": round(float(np.percentile(arr, 95)), 2)}


async def _click_latency(settings: Settings, clicks: int) -> dict[str, Any]:
    from studio.audio.io import AudioIO

    reader = MonitorReader(f"{ANCHOR_SINK}.monitor")
    if not await asyncio.to_thread(reader.started.wait, 5.0):
        reader.stop()
        raise AudioBenchError("parec delivered nothing from the sink's monitor")
    audio = AudioIO(settings, program_device=ANCHOR_SINK, use_mic=False, use_monitor=False)
    written: list[float] = []
    try:
        rate = audio.program.sample_rate
        click = np.zeros(int(0.1 * rate), np.float32)  # a reply's first chunk: 1 ms click, then quiet
        click[: int(0.001 * rate)] = 0.5
        await asyncio.to_thread(audio.go_live)  # nothing loads here: on air at once
        await asyncio.sleep(0.5)  # the stream settles (first callbacks, server buffer sizes)
        for _ in range(clicks):
            began = time.perf_counter()
            written.append(began)
            audio.program.write(click)
            await audio.program.wait_played(audio.program.played_samples() + len(click))  # as the engine
            await asyncio.sleep(max(0.0, CLICK_GAP_S - (time.perf_counter() - began)))
        await asyncio.sleep(0.3)
        stats = audio.stats()["program"]
    finally:
        audio.close()
        recorded = reader.stop()
    onsets: list[int] = []
    for index in np.flatnonzero(np.abs(recorded) > CLICK_THRESHOLD):
        if not onsets or index - onsets[-1] > CLICK_GAP_S / 2 * reader.rate:
            onsets.append(int(index))
    arrivals = [(reader.arrival_of(onset), onset) for onset in onsets]
    arrival_ms, captured_ms = [], []
    for wrote in written:  # each click is the first onset that arrived within a gap of its write
        match = next(((a, u, o) for (a, u), o in arrivals if wrote <= a < wrote + CLICK_GAP_S), None)
        if match is None:
            continue
        arrived, until, onset = match
        arrival_ms.append(1000 * (arrived - wrote))
        captured_ms.append(1000 * (arrived - (until - onset) / reader.rate - wrote))
    return {
        "clicks": clicks,
        "clicks_lost": clicks - len(arrival_ms),  # dropped on the way, or later than a click gap
        "arrival_ms": _percentiles(arrival_ms),
        "captured_ms": _percentiles(captured_ms),
        "underruns": stats["underruns"],
        "callbacks": stats["callbacks"],
    }


async def _speech_clips(settings: Settings) -> list[np.ndarray]:
    from studio.bench.echo_bench import ANCHOR_LINES, _speech

    return await _speech(ANCHOR_LINES[:4], settings)


def _start_repaint_load(seconds: float) -> subprocess.Popen[str]:
    """The window's waveforms repainting at 30 fps in their own process (see repaint_load)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "studio.bench.repaint_load", str(seconds)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)


def _stop_repaint_load(process: subprocess.Popen[str]) -> float | None:
    """The repaint load's frames per second (None if it did not report)."""
    process.terminate()
    try:
        out, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        return None
    fields = out.split()
    return round(int(fields[0]) / float(fields[1]), 1) if len(fields) == 2 and float(fields[1]) > 0 else None


async def _transcribe_in_a_loop(
    settings: Settings, clips: list[np.ndarray], stop: asyncio.Event, durations: list[float]
) -> None:
    """The STT load: Whisper transcribes the first two clips again and again until `stop`."""
    from studio.backends.whisper_stt import WhisperSpeechToText

    stt = await asyncio.to_thread(WhisperSpeechToText, settings)
    line = np.concatenate(clips[:2])
    try:
        while not stop.is_set():
            began = time.perf_counter()
            await stt.transcribe(line)
            durations.append(time.perf_counter() - began)
    finally:
        await stt.aclose()


async def _speak_continuously(program: DeviceProgramOutput, speech: np.ndarray, seconds: float) -> None:
    """Keep the program FEED_AHEAD_S ahead of playback, looping `speech`, as streaming TTS does."""
    rate = program.sample_rate
    chunk, position, written = int(FEED_CHUNK_S * rate), 0, 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        while written - program.played_samples() < FEED_AHEAD_S * rate:
            block = speech[position : position + chunk]
            position = (position + chunk) % (len(speech) - chunk)
            program.write(block)
            written += len(block)
        await asyncio.sleep(FEED_CHUNK_S / 4)


async def _load_while_idle(
    settings: Settings, clips: list[np.ndarray] | None, with_stt: bool
) -> tuple[list[np.ndarray], asyncio.Task[None] | None, asyncio.Event, list[float]]:
    """The models load (Piper for the clips, then Whisper) while the program stream runs idle."""
    clips = clips if clips is not None else await _speech_clips(settings)
    stop = asyncio.Event()
    transcriptions: list[float] = []
    stt_task = (
        asyncio.create_task(_transcribe_in_a_loop(settings, clips, stop, transcriptions))
        if with_stt
        else None
    )
    if stt_task is not None:  # measure playback while Whisper really runs, not while it loads
        while not transcriptions and not stt_task.done():
            await asyncio.sleep(0.05)
        if stt_task.done():
            stt_task.result()
    return clips, stt_task, stop, transcriptions


async def _underruns_under_load(
    settings: Settings,
    seconds: float,
    clips: list[np.ndarray] | None,
    with_stt: bool,
    with_gui: bool = True,
) -> tuple[dict[str, Any], list[np.ndarray]]:
    """Underruns counted from the stream's open: models loading (standby), then on air under STT."""
    from studio.audio.io import AudioIO

    opened = time.perf_counter()
    audio = AudioIO(settings, program_device=ANCHOR_SINK, use_mic=False, use_monitor=False)
    program = audio.program
    stt_task, stop, transcriptions = None, asyncio.Event(), []
    repaint = _start_repaint_load(seconds + 90) if with_gui else None
    try:
        clips, stt_task, stop, transcriptions = await _load_while_idle(settings, clips, with_stt)
        loaded = audio.stats()["program"]
        loading_s = time.perf_counter() - opened
        await asyncio.to_thread(audio.go_live)  # as the show does once the engine listens
        speech = soxr.resample(np.concatenate(clips), INPUT_SAMPLE_RATE, program.sample_rate)
        before = audio.stats()["program"]
        began = time.perf_counter()
        await _speak_continuously(program, speech.astype(np.float32), seconds)
        after = audio.stats()["program"]
        elapsed = time.perf_counter() - began
    finally:
        stop.set()
        if stt_task is not None:
            await stt_task
        audio.close()
        repaint_fps = _stop_repaint_load(repaint) if repaint is not None else None
    callbacks = after["callbacks"] - before["callbacks"]
    return {
        "seconds": round(elapsed, 1),
        "underruns": after["underruns"] - before["underruns"],
        "underruns_from_open": after["underruns"],  # standby while loading + go live + on air
        "underruns_while_loading": loaded["underruns"],
        "loading_seconds": round(loading_s, 1),
        "callbacks": callbacks,
        "server_stream_recreated": after["recreated"] - before["recreated"],
        "device_events": len(audio.events),
        "frames_per_callback": round(elapsed * after["rate"] / max(1, callbacks), 1),
        "stt_transcriptions": len(transcriptions),
        "stt_seconds_median": round(float(np.median(transcriptions)), 3) if transcriptions else None,
        "stt_threads": settings.stt_threads if with_stt else 0,
        "gui_repaint_fps": repaint_fps,
    }, clips


async def _measure(settings: Settings, minutes: float, buffers_ms: list[int], clicks: int) -> dict[str, Any]:
    clips: list[np.ndarray] | None = None  # the first run opens the program before any model loads
    runs = []
    for buffer_ms in buffers_ms:
        tuned = _settings_with(settings, buffer_ms)
        load, clips = await _underruns_under_load(tuned, minutes * 60, clips, with_stt=True)
        latency = await _click_latency(tuned, clicks)
        runs.append({"output_latency_ms": buffer_ms, "latency": latency, "playback_under_stt": load})
    return {
        "server": "private pulseaudio -n, AI_Anchor_Out null sink, parec --latency-msec=10 reader",
        "load": "Whisper transcribing in a loop + the window's waveforms repainting at 30 fps (offscreen)",
        "underruns": "counted from the program stream's open: Piper and Whisper load while it idles "
        "in standby (studio.audio.sink), then it goes live and plays under the load",
        "cpu_cores": os.cpu_count(),
        "runs": runs,
    }


def measure(settings: Settings, minutes: float, buffers_ms: list[int], clicks: int = 20) -> dict[str, Any]:
    """For each device buffer size: click latency into the sink, and underruns while STT loops."""
    with private_pulse_server():
        return asyncio.run(_measure(settings, minutes, buffers_ms, clicks))
