"""`bench --barge-in`: the host talks over the anchor on a real private PulseAudio; how fast is it quiet?

A show (studio.show, real devices through AudioIO: the echo canceller, the echo gate, Silero VAD,
the auto-turn policy, the program sink) answers every host line with a long fixed reply spoken by
Piper. Its mic is the monitor of a second null sink, fed by the leak mixer (studio.bench.
leak_mixer, its own process): the host's clips at known onsets plus the program monitor, leaked
at the case's level and delay. Why a second sink and not an in-process mix: the mic then takes
the studio's real input path (PortAudio capture, ring, resampling, canceller, gate) with the
real timing between the program and its echo, and the mixer's process keeps time even while the
show's models hold the GIL. Each case runs with the canceller and again without it, in one run.
STT, end of turn and chat are fixed-delay backends: what is measured is the barge-in path.
Threading: one asyncio loop (the show's); the mixer is a child process read line by line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.audio.pulse import ANCHOR_SINK
from studio.backends.registry import BackendStack
from studio.bench.audio_bench import AudioBenchError, private_pulse_server
from studio.bench.barge_in_analysis import RunLog, analyse, case_figures
from studio.bench.echo_bench import ANCHOR_LINES, _at_level, _speech
from studio.bench.fixed_delay import FixedDelayChat, FixedDelaySpeechToText, FixedDelayTurnDetector
from studio.bench.leak_mixer import MIC_LATENCY_MS
from studio.config import Settings
from studio.engine.events import AnchorHeld, HostSpeechStarted, TurnDecided, TurnDiscarded
from studio.show import Show
from studio.show.events import ShowReady
from studio.voices.catalog import VoiceCatalog

MIC_SINK = "bench_mic"
REPLY = " ".join(ANCHOR_LINES[:3])  # ~14 s: room for one barge-in, and a miss costs little
PROMPT = "Go on, what else is in the news tonight?"
# Interruptions said in one breath: Piper turns a comma into a 0.5 s pause, and the fixed-delay
# end of turn then ends the host's line there (its second half would count as a new barge-in).
BARGE_IN_LINES = (
    "Sorry to cut in but that is not what I heard",
    "Hold on what did you just say about the buses",
    "Let me stop you right there for a moment",
    "Actually I have a question about that",
)
HOST_DBFS = -26.0
IDLE_BEFORE_PROMPT_S = 1.0


@dataclass(frozen=True, slots=True)
class BargeInCase:
    """Leakage in dB (None: headphones) and the speaker-to-mic delay the mixer adds."""

    leakage_db: float | None
    delay_ms: float


CASES = (
    BargeInCase(None, 0.0),
    *(BargeInCase(level, delay) for level in (-20.0, -10.0) for delay in (20.0, 120.0, 250.0)),
)


def _trimmed(clip: np.ndarray) -> np.ndarray:
    """The clip from its first audible sample: an onset is when the host starts to speak."""
    loud = np.flatnonzero(np.abs(clip) > 0.05 * np.abs(clip).max())
    return clip[int(loud[0]) if len(loud) else 0 :]


def parse_cases(text: str) -> tuple[BargeInCase, ...]:
    """'off,-20:120' → headphones, and -20 dB at 120 ms; ValueError says what is wrong."""
    cases = []
    for item in (part.strip() for part in text.split(",")):
        if item == "off":
            cases.append(BargeInCase(None, 0.0))
            continue
        level, _, delay = item.partition(":")
        try:
            case = BargeInCase(float(level), float(delay))
        except ValueError:
            raise ValueError(f"{item!r} is neither 'off' nor LEAK_DB:DELAY_MS (e.g. -20:120)") from None
        if not (-60.0 <= case.leakage_db <= 0.0 and 0.0 <= case.delay_ms <= 400.0):  # type: ignore[operator]
            raise ValueError(f"{item!r}: leakage -60..0 dB, delay 0..400 ms")
        cases.append(case)
    return tuple(cases)


async def _stack(settings: Settings) -> BackendStack:
    """Silero VAD and Piper for real; STT, end of turn and chat answer at once, always the same."""
    from studio.backends.piper_tts import PiperSynthesizer
    from studio.backends.silero_vad import SileroVoiceActivity

    vad, tts = await asyncio.gather(
        asyncio.to_thread(SileroVoiceActivity, settings), asyncio.to_thread(PiperSynthesizer, settings)
    )
    return BackendStack(
        preset="barge-in bench",
        stt=FixedDelaySpeechToText("Wait, can I jump in here?", delay=0.05),
        vad=vad,
        turn=FixedDelayTurnDetector(),
        chat=FixedDelayChat(REPLY, first=0.05, per_token=0.005),
        tts=tts,
    )


class _Listener:
    """Stamps the show's line starts; knows whether a host line is open; says when the show is ready."""

    def __init__(self) -> None:
        self.line_starts: list[float] = []
        self.holds: list[float] = []  # the anchor paused for a possible barge-in
        self._open: int | None = None  # the host line in progress (its turn id)
        self.ready = asyncio.Event()

    @property
    def line_open(self) -> bool:
        return self._open is not None

    def __call__(self, event: Any) -> None:
        if isinstance(event, HostSpeechStarted):
            self.line_starts.append(time.monotonic())
            self._open = event.turn_id
        elif isinstance(event, AnchorHeld) and event.held:
            self.holds.append(time.monotonic())
        elif isinstance(event, TurnDecided | TurnDiscarded) and event.turn_id == self._open:
            self._open = None
        elif isinstance(event, ShowReady):
            self.ready.set()


async def _keep_anchor_talking(show: Show, listener: _Listener) -> None:
    """A reply that ran to its end (a miss, or the start) is followed by a new one: the host asks again."""
    loop = asyncio.get_running_loop()
    idle_since: float | None = None
    while True:
        await asyncio.sleep(0.1)
        engine = show.engine
        if engine is None or engine.anchor_busy or listener.line_open:
            idle_since = None
            continue
        idle_since = idle_since if idle_since is not None else loop.time()
        if loop.time() - idle_since >= IDLE_BEFORE_PROMPT_S:
            await show.asubmit_text(PROMPT)
            idle_since = None


async def _start_mixer(
    case: BargeInCase, clips: Path, recording: Path, onsets: int, seed: int, max_s: float | None = None
) -> Any:
    config = {
        "program_source": f"{ANCHOR_SINK}.monitor",
        "mic_sink": MIC_SINK,
        "clips_path": str(clips),
        "recording_path": str(recording),
        "onsets": onsets,
        "leakage_db": case.leakage_db,
        "delay_ms": case.delay_ms,
        "max_s": max_s or 30.0 * onsets + 60.0,
        "seed": seed,
    }
    path = recording.with_suffix(".json")
    path.write_text(json.dumps(config), encoding="utf-8")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "studio.bench.leak_mixer", str(path), stdout=asyncio.subprocess.PIPE
    )


async def _read_mixer(mixer: Any, onsets: list, clock: list, attached: asyncio.Event) -> None:
    async for line in mixer.stdout:
        fact = json.loads(line)
        if "onset" in fact:
            onsets.append((fact["onset"], fact["at"], fact["seconds"]))
        elif "clock" in fact:
            clock.append((fact["clock"], fact["at"]))
            attached.set()


async def _run_case(
    settings: Settings,
    stack: BackendStack,
    case: BargeInCase,
    aec: bool,
    onsets: int,
    folder: Path,
    quiet_s: float = 0.0,
) -> dict:
    """One case, one canceller setting: a show against the mixer until every onset was played
    (or, with no onsets, for `quiet_s` of the anchor talking uninterrupted)."""
    from studio.audio.io import AudioIO

    tuned = settings.model_copy(update={"echo_cancellation": aec, "turn_mode": "auto"})
    recording = folder / f"monitor-{case.leakage_db}-{case.delay_ms}-{aec}-{onsets}.raw"
    mixer = await _start_mixer(
        case, folder / "host.npy", recording, onsets, seed=int(case.delay_ms) + 1, max_s=quiet_s or None
    )
    onset_log: list[tuple[int, float, float]] = []
    clock: list[tuple[int, float]] = []
    attached = asyncio.Event()
    reading = asyncio.create_task(_read_mixer(mixer, onset_log, clock, attached))
    await asyncio.wait_for(attached.wait(), 15.0)  # the monitor has a low-latency reader first
    listener = _Listener()
    voice = VoiceCatalog(None).get(settings.voice)

    def open_audio(s: Settings) -> AudioIO:
        return AudioIO(s, program_device=ANCHOR_SINK, mic_device=f"{MIC_SINK}.monitor", use_monitor=False)

    show = Show(tuned, voice, stack=stack, audio_factory=open_audio, voice_for_language=None, strict=True)
    show.subscribe(listener)
    running = asyncio.create_task(show.run())
    prompter: asyncio.Task[None] | None = None
    try:
        await asyncio.wait_for(listener.ready.wait(), 60.0)
        prompter = asyncio.create_task(_keep_anchor_talking(show, listener))
        await mixer.wait()
        await reading
    finally:
        if prompter is not None:
            prompter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await prompter
        show.stop()
        await running
        if mixer.returncode is None:
            mixer.terminate()
            await mixer.wait()
    log = RunLog(np.fromfile(recording, dtype="<f4"), onset_log, clock, listener.line_starts, listener.holds)
    return {"leakage_db": case.leakage_db, "delay_ms": case.delay_ms, "aec": aec, **analyse(log)}


async def _measure(
    settings: Settings, onsets: int, cases: tuple[BargeInCase, ...], compare: bool, quiet_s: float
) -> dict:
    stack = await _stack(settings)
    folder = Path(tempfile.mkdtemp(prefix="barge-in-"))
    try:
        clips = await _speech(BARGE_IN_LINES, settings, seed=10_001)
        host = [_trimmed(_at_level(clip, HOST_DBFS)) for clip in clips]
        np.save(folder / "host.npy", np.array(host, dtype=object), allow_pickle=True)
        runs = []
        for case in cases:
            for aec in (True, False) if compare else (True,):
                runs.append(await _run_case(settings, stack, case, aec, onsets, folder))
            if quiet_s:  # nobody interrupts: every line started and every hold is false
                runs.append(
                    {**await _run_case(settings, stack, case, True, 0, folder, quiet_s), "quiet": True}
                )
    finally:
        await stack.aclose()
        shutil.rmtree(folder, ignore_errors=True)
    return _report(runs, onsets)


def _report(runs: list[dict], onsets: int) -> dict:
    with_aec = [r for r in runs if r["aec"] and not r.get("quiet")]
    without = [r for r in runs if not r["aec"]]
    quiet = {(r["leakage_db"], r["delay_ms"]): r for r in runs if r.get("quiet")}
    report: dict[str, Any] = {
        "cases": [_with_quiet(r, quiet.get((r["leakage_db"], r["delay_ms"]))) for r in with_aec],
    }
    if without:
        report["cases_without_aec"] = [case_figures(r["leakage_db"], r["delay_ms"], r) for r in without]
    lists = ("onset_to_silence_ms", "onset_to_line_ms", "onset_to_hold_ms")
    report["details"] = [
        {
            **{k: v for k, v in r.items() if k not in lists},
            **{f"{key}_each": [round(v, 1) for v in r[key]] for key in lists},
        }
        for r in runs
    ]
    report["setup"] = {
        "onsets_per_case": onsets,
        "mic": f"monitor of the {MIC_SINK} null sink, fed by studio.bench.leak_mixer (parec -> pacat)",
        "delay_ms": "from the program sink's monitor to the mic sink (the mixer adds what the mic "
        f"sink's {MIC_LATENCY_MS} ms buffer does not: shorter delays are {MIC_LATENCY_MS} ms); the "
        "program's device buffer and the mic capture come on top, as in a room",
        "host_dbfs": HOST_DBFS,
        "stack": "Silero VAD + Piper joe (real); STT, end of turn, chat: fixed-delay",
    }
    return report


def _with_quiet(run: dict, quiet: dict | None) -> dict:
    """The case's figures; its false rates over the onset run and the quiet run together."""
    figures = case_figures(run["leakage_db"], run["delay_ms"], run)
    if quiet is None:
        return figures
    seconds = max(1.0, run["anchor_seconds"] + quiet["anchor_seconds"])
    lines, holds = (
        run["false_barge_ins"] + quiet["false_barge_ins"],
        run["false_holds"] + quiet["false_holds"],
    )
    return {
        **figures,
        "false_per_10min": round(lines * 600.0 / seconds, 2),
        "false_holds_per_10min": round(holds * 600.0 / seconds, 2),
        "anchor_seconds": round(seconds, 1),
    }


def measure(
    settings: Settings,
    onsets: int = 8,
    cases: tuple[BargeInCase, ...] = CASES,
    compare: bool = True,
    quiet_minutes: float = 0.0,
) -> dict:
    """Per case (with and, if `compare`, without the echo canceller): recall, false rate, onset → silence.

    `quiet_minutes`: per case, that long again with nobody interrupting (canceller on), so the
    false rates are counted over minutes of the anchor's speech, not only the seconds between
    interruptions."""
    if shutil.which("pacat") is None:
        raise AudioBenchError("`bench --barge-in` needs pacat (Debian: apt-get install pulseaudio-utils)")
    with private_pulse_server() as control:
        control.create_anchor_sink(MIC_SINK, "Bench_Mic")
        return asyncio.run(_measure(settings, max(1, onsets), cases, compare, 60.0 * quiet_minutes))
