"""`bench --faults N`: a show under N injected faults across every stage; counts crashes and lost log lines.

The backends are the fixed-delay instrumented ones (what is measured is the studio's handling of
failures, not model speed); the show wraps them by the fault plan of its `faults` setting, which
fails, hangs and returns garbage in all five stages. Host lines alternate between the mic (tone
bursts through the VAD and turn policy) and typed lines. Every record the session log should hold
is counted as it is published and compared with the file afterwards; every anchor line that aired
must be in the file before it.
Threading: one asyncio loop in the main thread; the session log has its writer thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from pathlib import Path

import numpy as np

from studio.audio.outputs import InstantOutput
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelayChat,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.config import Settings
from studio.engine.events import (
    EngineEvent,
    ReplyCaptioned,
    ReplyClauseStarted,
    StageStatusChanged,
)
from studio.faults import FaultPlan
from studio.session.export import read_session
from studio.session.log import new_session_path
from studio.session.recorder import record_of
from studio.show import Show
from studio.voices.catalog import VoiceCatalog

SPEC = ",".join(
    [
        f"{stage}:{kind}:{rate}"
        for stage in ("stt", "turn", "chat", "tts")
        for kind, rate in (("fail", 0.1), ("hang", 0.05), ("garbage", 0.05))
    ]
    + ["vad:fail:0.002", "vad:garbage:0.002"]
)
REPLY = "Thanks for asking. Here is what we know so far tonight, and more after the break."
RATE = 16_000


class _ErrorCounter(logging.Handler):
    """Counts ERROR records from the engine: a turn that died with an exception logs one."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _host_line() -> list[np.ndarray]:
    t = np.arange(int(0.8 * RATE), dtype=np.float32) / RATE
    audio = np.concatenate(
        [np.zeros(int(0.2 * RATE), np.float32), 0.2 * np.sin(2 * np.pi * 300 * t), np.zeros(int(1.6 * RATE))]
    ).astype(np.float32)
    return [audio[i : i + 512] for i in range(0, len(audio) - 511, 512)]


async def _one_turn(show: Show, number: int) -> None:
    """A host line: typed on odd turns, spoken through the VAD and turn policy on even ones."""
    if number % 2:
        await show.asubmit_text(f"Typed question number {number}")
    else:
        for frame in _host_line():
            show.hear(frame)
            await show.wait_settled()
    await show.wait_anchor_idle()


def _fault_show(settings: Settings, log_path: Path) -> Show:
    """A show on fixed-delay backends with short timeouts and quick health checks, faults on."""
    settings = settings.model_copy(
        update=dict(
            stt_timeout_s=0.3,
            turn_timeout_s=0.3,
            chat_timeout_s=0.3,
            tts_timeout_s=0.3,
            health_check_s=0.05,
            health_check_max_s=0.4,
            faults=SPEC,
            turn_mode="auto",
        )
    )
    stack = BackendStack(
        preset="fixed-delay",
        stt=FixedDelaySpeechToText(delay=0.02),
        vad=EnergyVoiceActivity(),
        turn=FixedDelayTurnDetector(delay=0.01),
        chat=FixedDelayChat(REPLY, first=0.02, per_token=0.002),
        tts=FixedDelaySynthesizer(first=0.01, chunk_seconds=0.2),
    )
    return Show(
        settings,
        VoiceCatalog(None).get(settings.voice),
        stack=stack,
        output=InstantOutput(settings.SAMPLE_RATE),
        session_log=log_path,
        fault_seed=11,
    )


async def _turns_until(show: Show, faults: int) -> tuple[FaultPlan, int, list[str], int]:
    """Host lines until `faults` faults were injected: (the plan, turns, exceptions that escaped, engine
    errors)."""
    errors = _ErrorCounter()
    logging.getLogger("studio.engine").addHandler(errors)
    escaped: list[str] = []
    turns = 0
    try:
        async with show:
            plan = show.fault_plan
            assert plan is not None
            while plan.total < faults:
                try:
                    await _one_turn(show, turns)
                except Exception as exc:  # a crash: the engine let an exception out
                    escaped.append(f"{type(exc).__name__}: {exc}")
                turns += 1
            plan.clear()
            await show.wait_anchor_idle()
    finally:
        logging.getLogger("studio.engine").removeHandler(errors)
    return plan, turns, escaped, errors.count


def _aired_before_logged(records: list[dict]) -> int:
    """Anchor lines that aired without their `anchor_line` record written before them."""
    aired_unlogged = 0
    for index, record in enumerate(records):
        if record["kind"] == "anchor_line_aired":
            earlier = (
                r for r in records[:index] if r["kind"] == "anchor_line" and r["turn"] == record["turn"]
            )
            aired_unlogged += not any(r["text"] == record["text"] for r in earlier)
    return aired_unlogged


async def run_fault_bench(settings: Settings, faults: int, log_path: Path) -> dict[str, object]:
    """Turns until `faults` faults were injected; what happened, counted."""
    show = _fault_show(settings, log_path)
    expected: list[str] = []
    seen: Counter[str] = Counter()

    def count(event: EngineEvent) -> None:
        if record_of(event) is not None:
            expected.append(record_of(event)[0])  # type: ignore[index]
        seen[type(event).__name__] += 1

    show.subscribe(count)
    plan, turns, escaped, errors = await _turns_until(show, faults)
    records = read_session(log_path)
    missing = Counter(expected) - Counter(r["kind"] for r in records)
    decided, completed = seen["TurnDecided"], seen["TurnCompleted"]
    return {
        "faults_injected": plan.total,
        "by_stage": {f"{stage}:{kind}": n for (stage, kind), n in sorted(plan.injected.items())},
        "turns": turns,
        "turns_decided": decided,
        "turns_completed": completed,
        "crashes": len(escaped) + errors + (decided - completed),
        "crash_details": escaped[:5],
        "lost_log_lines": sum(missing.values()),
        "aired_lines_not_logged_first": _aired_before_logged(records),
        "degradations": sum(1 for r in records if r["kind"] == "stage_status" and r["state"] != "ready"),
        "recoveries": sum(1 for r in records if r["kind"] == "stage_status" and r["state"] == "ready"),
        "captions": seen[ReplyCaptioned.__name__],
        "aired_lines": seen[ReplyClauseStarted.__name__],
        "stage_events": seen[StageStatusChanged.__name__],
        "session_log": str(log_path),
    }


def execute_fault_bench(settings: Settings, faults: int) -> dict[str, object]:
    """Run the fault bench; its session log stays in the sessions folder (`sessions show` reads it)."""
    path = new_session_path()
    return asyncio.run(run_fault_bench(settings, faults, path.with_name(f"bench-faults-{path.name}")))
