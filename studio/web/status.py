"""What `GET /api/status` answers, kept from the event stream; and the mic/program level meter.

Threading: `StatusTracker.on_event` runs on the web loop (a hub listener), `snapshot` too;
`levels` reads the show's scopes, which are safe to read from any thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from studio.engine.events import (
    AnchorInterrupted,
    ReplyClauseStarted,
    StageStatusChanged,
    TurnCompleted,
    TurnDecided,
)
from studio.show import Show
from studio.show.events import ShowReady
from studio.web.hub import EventHub

SILENCE_DB = -90.0


class StatusTracker:
    """Stages with their state and reason, on-air, the last turn's latencies — from the events."""

    def __init__(self) -> None:
        """Nothing known yet: no stages, no turns."""
        self.stages: dict[str, dict[str, str]] = {}
        self.ready = False
        self.on_air = False
        self.turns = 0
        self.last_latency_ms: dict[str, float | None] = {}

    def on_event(self, event: Any) -> None:
        """Update from one show event (web loop)."""
        match event:
            case StageStatusChanged(stage, backend, state, detail, action):
                self.stages[stage] = {"backend": backend, "state": state, "reason": detail, "action": action}
            case ShowReady():
                self.ready = True
            case TurnDecided():
                self.on_air = False
            case ReplyClauseStarted():
                self.on_air = True
            case AnchorInterrupted():
                self.on_air = False
            case TurnCompleted(latency_ms=latency):
                self.on_air = False
                self.turns += 1
                self.last_latency_ms = dict(latency)

    def snapshot(self, show: Show) -> dict[str, Any]:
        """The status document: the tracked facts plus what the show says now."""
        engine = show.engine
        return {
            "ready": self.ready and engine is not None,
            "stages": self.stages,
            "voice": show.voice.name,
            "mode": engine.mode if engine is not None else show.settings.turn_mode,
            "muted": show.mic_muted,
            "remote_audio_mix": show.remote_mix,
            "on_air": self.on_air,
            "turns": self.turns,
            "last_latency_ms": self.last_latency_ms,
        }


def level_db(samples: np.ndarray) -> float:
    """RMS level in dBFS (silence is SILENCE_DB)."""
    if len(samples) == 0:
        return SILENCE_DB
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return round(max(SILENCE_DB, 20.0 * np.log10(rms + 1e-12)), 1)


def levels(show: Show, seconds: float) -> dict[str, Any]:
    """The mic's and the program's level over the last `seconds`."""
    mic = show.mic_scope
    program = show.output
    played = program.played_samples()
    return {
        "type": "levels",
        "mic_db": level_db(mic.window(int(mic.sample_rate * seconds))),
        "program_db": level_db(program.scope.window(int(program.sample_rate * seconds), end=played)),
    }


async def publish_levels(hub: EventHub, show: Show, hz: float) -> None:
    """Levels to the subscribers that want them, at most `hz` times a second (web loop task)."""
    period = 1.0 / max(0.1, min(hz, 10.0))
    while True:
        await asyncio.sleep(period)
        if hub.wants_levels():
            hub.publish(levels(show, period), levels=True)
