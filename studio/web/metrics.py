"""Prometheus metrics of the show and of the web layer, on their own registry (not the global one).

Threading: updated on the web loop (events arrive there from the hub; rejections from the guard);
`render` runs there too. prometheus-client's own locks make reads from elsewhere safe as well.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from studio.engine.events import AnchorInterrupted, StageStatusChanged, TurnCompleted
from studio.show.alerts import AlertRaised

SECONDS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
STATES = ("loading", "ready", "degraded", "down")
NOT_A_STAGE = ("voice_to_voice", "engine_overhead")


class StudioMetrics:
    """The studio's metrics: latencies, stage states, turns, barge-ins, fallbacks, rejections."""

    def __init__(self) -> None:
        """Every metric, registered on a registry of our own."""
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.voice_to_voice = Histogram(
            "studio_voice_to_voice_seconds",
            "Host speech end to the anchor's first sound",
            registry=r,
            buckets=SECONDS,
        )
        self.stage_latency = Histogram(
            "studio_stage_latency_seconds",
            "Each stage's mark, from the host's speech end",
            ["stage"],
            registry=r,
            buckets=SECONDS,
        )
        self.engine_overhead = Histogram(
            "studio_engine_overhead_seconds",
            "Critical-path time spent outside the backends",
            registry=r,
            buckets=(0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5),
        )
        self.stage_state = Gauge(
            "studio_stage_state", "1 for each stage's current state", ["stage", "state"], registry=r
        )
        self.turns = Counter("studio_turns", "Turns the anchor answered", registry=r)
        self.barge_ins = Counter("studio_barge_ins", "Times the anchor was cut off", ["reason"], registry=r)
        self.fallbacks = Counter(
            "studio_fallbacks", "Times a stage fell back (degraded or down)", ["stage"], registry=r
        )
        self.rejected = Counter(
            "studio_web_rejected_requests", "Web requests refused", ["reason"], registry=r
        )
        self.subscribers = Gauge("studio_web_event_subscribers", "Open /ws/events connections", registry=r)
        self.audio_frames = Counter(
            "studio_web_audio_frames",
            "/ws/audio frames by direction and outcome (in: received, late, duplicate, out_of_window,"
            " concealed; out: sent, lost to a listener that is behind)",
            ["direction", "outcome"],
            registry=r,
        )
        self.audio_underruns = Counter(
            "studio_web_audio_underruns",
            "Times the remote host fell behind and silence filled in",
            registry=r,
        )
        self.audio_clients = Gauge("studio_web_audio_clients", "Open /ws/audio connections", registry=r)
        self.alerts = Counter(
            "studio_alerts",
            "Alerts raised: latency (voice-to-voice over max_latency_ms), gpu_memory (over 90 %), stage_down",
            ["kind"],
            registry=r,
        )
        self._states: dict[str, str] = {}

    def on_event(self, event: Any) -> None:
        """Count what the show did (web loop)."""
        if isinstance(event, TurnCompleted):
            self._turn(event)
        elif isinstance(event, AnchorInterrupted):
            self.barge_ins.labels(reason=_short(event.reason)).inc()
        elif isinstance(event, StageStatusChanged):
            self._stage(event)
        elif isinstance(event, AlertRaised):
            self.alerts.labels(kind=event.kind).inc()

    def reject(self, reason: str) -> None:
        """A request the web layer refused (auth, origin, rate limit, body, slow subscriber…)."""
        self.rejected.labels(reason=reason).inc()

    def audio_in(self, outcome: str, n: int = 1) -> None:
        """A jitter-buffer outcome (thread-safe: the show's loop counts underruns)."""
        if outcome == "underruns":
            self.audio_underruns.inc(n)
        else:
            self.audio_frames.labels(direction="in", outcome=outcome).inc(n)

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)

    def _turn(self, event: TurnCompleted) -> None:
        """A finished turn's latencies into the histograms."""
        self.turns.inc()
        for name, value in event.latency_ms.items():
            if value is None:
                continue
            if name == "voice_to_voice":
                self.voice_to_voice.observe(value / 1000.0)
            elif name == "engine_overhead":
                self.engine_overhead.observe(value / 1000.0)
            else:
                self.stage_latency.labels(stage=name).observe(value / 1000.0)

    def _stage(self, event: StageStatusChanged) -> None:
        """A stage's state gauge; a fall into degraded or down counts as a fallback."""
        previous = self._states.get(event.stage)
        self._states[event.stage] = event.state
        for state in STATES:
            self.stage_state.labels(stage=event.stage, state=state).set(1 if state == event.state else 0)
        if event.state in ("degraded", "down") and previous not in ("degraded", "down"):
            self.fallbacks.labels(stage=event.stage).inc()


def _short(reason: str) -> str:
    """A bounded label value: the reason's first words (labels must not grow without limit)."""
    return " ".join(reason.split()[:3])[:40] or "unknown"
