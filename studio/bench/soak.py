"""`bench --soak DURATION`: a long simulated show on the real stack; memory growth and latency drift.

Host questions (synthesized by the stack's own TTS) are looped as the live mic in real time, the
anchor answers through a real-time output, and the session log is written as on air. Resident
memory is sampled after every turn, once the turn's free heap has gone back to the system (the
engine does that after each turn; the soak waits for it so that no sample catches it half done).
Memory growth is the median of the last window against the median of the first window after
warm-up (every question heard once); single samples are reported too. The median voice-to-voice
of the first and the last window (10 minutes, or a tenth of a run shorter than 100 minutes) are
compared for drift.
Threading: one asyncio loop in the main thread; backends use their own workers.
"""

from __future__ import annotations

import asyncio
import gc
import re
import statistics
import time
from dataclasses import dataclass

import psutil

from studio.audio.outputs import ClockedOutput
from studio.audio.sources import paced_frames, silence
from studio.backends.registry import BackendStack, build_stack
from studio.bench.runner import synthesize_questions
from studio.config import Settings
from studio.engine.events import StageStatusChanged, TurnCompleted
from studio.heap import release_free_heap
from studio.session.log import new_session_path
from studio.show import Show
from studio.voices.catalog import VoiceCatalog

WINDOW_S = 600.0
DISTINCT_QUESTIONS = 8
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in '90s', '10m', '2h' or a plain number of seconds; ValueError otherwise."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(f"duration {text!r}: use e.g. 90s, 10m or 2h")
    seconds = float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]
    if seconds < 30:
        raise ValueError(f"duration {text!r}: a soak needs at least 30 s")
    return seconds


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


Sample = tuple[float, float, float | None]  # (t, rss MB, voice-to-voice ms) after a turn


async def run_soak(
    settings: Settings, seconds: float | None, progress: bool = True, turns: int | None = None
) -> dict[str, object]:
    """Run the show for `seconds`, or for exactly `turns` turns (tests: however slow the machine)."""
    if (seconds is None) == (turns is None):
        raise ValueError("a soak runs either for `seconds` or for `turns`")
    stack = await build_stack(settings)
    voice = VoiceCatalog(None).get(settings.voice)
    statuses: list[str] = []
    path = new_session_path()
    log_path = path.with_name(f"soak-{path.name}")
    try:
        clips = await synthesize_questions(stack, voice, DISTINCT_QUESTIONS)
        show = Show(
            settings.model_copy(update={"turn_mode": "auto"}),
            voice,
            stack=stack,
            output=ClockedOutput(settings.SAMPLE_RATE),
            session_log=log_path,
            session_details={"soak_seconds": seconds},
        )
        completed: list[TurnCompleted] = []
        show.subscribe(lambda e: completed.append(e) if isinstance(e, TurnCompleted) else None)
        show.subscribe(
            lambda e: statuses.append(f"{e.stage} {e.state}") if isinstance(e, StageStatusChanged) else None
        )
        trailing = (settings.turn_max_silence_ms + 400) / 1000.0
        started = time.monotonic()
        async with show:
            loop = _SoakLoop(show, stack, completed, started, progress)
            samples = await loop.ask(clips, trailing, seconds, turns)
        ran = time.monotonic() - started
    finally:
        await stack.aclose()
    report = _soak_figures(samples, seconds if seconds is not None else ran)
    return {
        **report,
        "stage_status_changes": statuses,
        "session_log": str(log_path),
        "stack": stack.describe(),
    }


@dataclass(slots=True)
class _SoakLoop:
    """The running show and what the loop reads from it (turns completed, time since the start)."""

    show: Show
    stack: BackendStack
    completed: list[TurnCompleted]
    started: float
    progress: bool

    async def ask(
        self, clips: list, trailing: float, seconds: float | None, turns: int | None
    ) -> list[Sample]:
        """Ask the questions in turn, live-paced, for `seconds` or `turns`; one sample per turn."""
        process, samples, turn = psutil.Process(), list[Sample](), 0
        while turn < turns if turns is not None else time.monotonic() - self.started < (seconds or 0.0):
            elapsed = time.monotonic() - self.started
            v2v = await self._one_turn(clips[turn % len(clips)], trailing)
            if turn == 0:
                gc.collect()
            await asyncio.to_thread(release_free_heap)
            samples.append((elapsed, process.memory_info().rss / 2**20, v2v))
            if self.progress and turn % 10 == 0:
                print(
                    f"soak {elapsed / 60:6.1f} min  turn {turn}  rss {samples[-1][1]:.0f} MB  v2v {v2v}",
                    flush=True,
                )
            turn += 1
        return samples

    async def _one_turn(self, clip, trailing: float) -> float | None:
        """Say `clip` into the show and wait for the anchor; its voice-to-voice, if it answered."""
        before = len(self.completed)
        frames = [*silence(0.3), clip, *silence(trailing)]
        async for frame in paced_frames(frames, self.stack.vad.frame_samples):
            self.show.hear(frame)
        await self.show.wait_anchor_idle()
        done = self.completed[before:]
        return done[-1].latency_ms.get("voice_to_voice") if done else None


def _soak_figures(samples: list[Sample], span: float) -> dict[str, object]:
    """Memory growth and latency drift from the per-turn samples of a run `span` seconds long."""
    window = WINDOW_S if span >= 10 * WINDOW_S else span / 10
    end = samples[-1][0] if samples else 0.0
    first = [v for t, _, v in samples if t < window and v is not None]
    last = [v for t, _, v in samples if t >= end - window and v is not None]
    rss = [mb for _, mb, _ in samples]
    return {
        "seconds": round(end, 1),
        "turns": len(samples),
        "turns_without_reply": sum(1 for _, _, v in samples if v is None),
        "window_seconds": round(window, 1),
        "rss_mb": _rss_figures(samples, window),
        "rss_mb_per_turn": [round(mb, 1) for mb in rss],
        "rss_mb_by_tenth": [  # the curve: a plateau is warm-up, a steady climb is a leak
            round(next((mb for t, mb, _ in samples if t >= end * k / 10), rss[-1]), 1) for k in range(11)
        ]
        if rss
        else [],
        "voice_to_voice_median_ms": {"first_window": _median(first), "last_window": _median(last)},
        "voice_to_voice_turns": {"first_window": len(first), "last_window": len(last)},
    }


def _rss_figures(samples: list[Sample], window: float) -> dict[str, float | None]:
    """Resident memory: single samples, and the medians of the first window after warm-up and the last."""
    rss = [mb for _, mb, _ in samples]
    end = samples[-1][0] if samples else 0.0
    warm_index = min(len(rss) - 1, DISTINCT_QUESTIONS)  # every question heard once
    warm = rss[warm_index] if rss else None
    warm_at = samples[warm_index][0] if samples else 0.0
    early_rss = [mb for t, mb, _ in samples[warm_index:] if t < warm_at + window]
    late_rss = [mb for t, mb, _ in samples[warm_index:] if t >= end - window]
    early_median, late_median = _median(early_rss), _median(late_rss)
    return {
        "after_first_turn": round(rss[0], 1) if rss else None,
        "after_warmup": round(warm, 1) if warm is not None else None,
        "end": round(rss[-1], 1) if rss else None,
        "max": round(max(rss), 1) if rss else None,
        "growth_since_first_turn": round(rss[-1] - rss[0], 1) if rss else None,
        "growth_since_warmup": round(rss[-1] - warm, 1) if warm is not None else None,
        "first_window_after_warmup_median": early_median,
        "last_window_median": late_median,
        "growth_between_window_medians": round(late_median - early_median, 1)
        if early_median is not None and late_median is not None
        else None,
    }


def execute_soak(settings: Settings, seconds: float) -> dict[str, object]:
    return asyncio.run(run_soak(settings, seconds))
