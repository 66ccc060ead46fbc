"""`bench --obs`: caption latency into OBS, from a clause's first sample aired to the caption source updated.

A show on fixed-delay backends plays each reply in real time (a clocked program output, so a
clause "airs" when the clock reaches its first sample: the engine's ReplyClauseStarted); the OBS
bridge stamps that event and stops the clock when OBS has answered SetInputSettings. Figures are
reported, not judged (the issue's target is p95 ≤ 100 ms).
Threading: the show on this asyncio loop; the bridge on its own "obs" thread.
"""

from __future__ import annotations

import asyncio
import math
import statistics
from typing import Any

from studio.audio.outputs import ClockedOutput
from studio.backends.registry import BackendStack
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelayChat,
    FixedDelaySpeechToText,
    FixedDelaySynthesizer,
    FixedDelayTurnDetector,
)
from studio.config import Settings
from studio.engine.events import TurnCompleted
from studio.obs import ObsBridge, attach_obs
from studio.show import Show
from studio.voices.profile import VoiceProfile

REPLY = "Good evening. Here is the news. The studio is live tonight. More after the break."
VOICE = VoiceProfile(name="bench", anchor_name="Anchor")


def _stack() -> BackendStack:
    """Fixed-delay backends: the figures measure the bridge, not the models."""
    return BackendStack(
        preset="fixed-delay",
        stt=FixedDelaySpeechToText(delay=0.02),
        vad=EnergyVoiceActivity(),
        turn=FixedDelayTurnDetector(delay=0.01),
        chat=FixedDelayChat(REPLY, first=0.02, per_token=0.002),
        tts=FixedDelaySynthesizer(first=0.01, chunk_seconds=0.2),
    )


def percentile(values: list[float], share: float) -> float | None:
    """The `share` quantile (nearest rank) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def report(bridge: ObsBridge) -> dict[str, Any]:
    """Caption latency figures (ms) of a bridge after its show."""
    values = bridge.latencies_ms
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    return {
        "obs": bridge.url,
        "captions_timed": len(values),
        "caption_latency_ms": {
            "p50": None if p50 is None else round(p50, 2),
            "p95": None if p95 is None else round(p95, 2),
            "mean": round(statistics.fmean(values), 2) if values else None,
            "max": round(max(values), 2) if values else None,
        },
        "last_error": bridge.status.last_error,
    }


async def measure(settings: Settings, turns: int = 5) -> dict[str, Any]:
    """Run `turns` typed turns through a real-time show with the bridge; return the figures."""
    if not settings.obs_websocket_url:
        raise ValueError("bench --obs needs OBS_WEBSOCKET_URL (e.g. ws://127.0.0.1:4455)")
    show = Show(settings, VOICE, stack=_stack(), output=ClockedOutput(settings.SAMPLE_RATE), session_log=None)
    completed = asyncio.Event()
    done: list[TurnCompleted] = []
    show.subscribe(lambda e: (done.append(e), completed.set()) if isinstance(e, TurnCompleted) else None)
    bridge = attach_obs(
        show, settings.model_copy(update={"obs_caption_clear_s": 0.0, "obs_chapter_markers": False})
    )
    assert bridge is not None
    try:
        async with show:
            for turn in range(1, turns + 1):
                await show.asubmit_text(f"Question number {turn}?")
                while len(done) < turn:
                    completed.clear()
                    await completed.wait()
    finally:
        await asyncio.to_thread(bridge.close)  # every caption queued is delivered before it ends
    return report(bridge) | {"turns": turns}
