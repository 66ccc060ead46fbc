"""Alerts and the resource metrics over a real show and a real uvicorn server.

A slow stack (fixed delays above `max_latency_ms`) raises the latency alert: an event on the show's
stream and on /ws/events, a counter on /metrics, an `alert` record in the session log. A GPU
reading over 90 % (NVML replaced by a fixed reading) raises and clears the GPU alert and shows
memory per model; without a GPU those series are absent. Waits are on events, never on the clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from studio.bench.fixed_delay import FixedDelayChat
from studio.engine.events import StageStatusChanged, TurnCompleted
from studio.gpu.nvml import GpuMemory
from studio.session.export import read_session
from studio.show import alerts
from studio.show.alerts import AlertCleared, AlertRaised, AlertWatch
from studio.web.resource_metrics import ResourceCollector
from tests.show.doubles import REPLY, fixed_stack
from tests.web.conftest import start_studio
from tests.web.wsclient import next_of, open_events

GIB = 2**30


class SlowChat:
    """A stack factory whose chat takes 300 ms to its first token (the limit is 100 ms)."""

    async def __call__(self, settings: Any, progress: Any) -> Any:
        stack = fixed_stack()
        stack.chat = FixedDelayChat(REPLY, first=0.3, per_token=0.005)
        progress("chat", stack.chat.info.name, "ready")
        return stack


def _metric(text: str, name: str) -> float | None:
    """The value of the series `name` (with its labels) in a Prometheus exposition, or None."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_a_turn_slower_than_max_latency_is_an_alert_event_metric_and_log_record(tmp_path: Path) -> None:
    for studio in start_studio(tmp_path, {"max_latency_ms": 100}, SlowChat()):
        with studio.client() as client, open_events(studio) as events:
            client.post("/api/say", json={"text": "Take your time"})
            alert = studio.seen.wait(AlertRaised)
            streamed = next_of(events, "alert_raised")
            studio.web_caught_up()
            text = client.get("/metrics").text
        turn = studio.seen.wait(TurnCompleted)
        log = studio.session_log
    assert alert.kind == "latency" and alert.threshold == 100.0
    assert alert.value == pytest.approx(turn.latency_ms["voice_to_voice"], abs=0.1) and alert.value > 100
    assert studio.seen.events.index(turn) < studio.seen.events.index(alert)  # the cause first
    assert (streamed["kind"], streamed["message"]) == ("latency", alert.message)
    assert _metric(text, 'studio_alerts_total{kind="latency"}') == 1.0
    records = [r for r in read_session(log) if r["kind"] == "alert"]
    assert [r["message"] for r in records] == [alert.message]


def _full_gpu(used: int) -> GpuMemory:
    """A 10 GiB card with the chat model's server holding 6 GiB."""
    return GpuMemory("Fake GPU", used, 10 * GIB, {"chat": 6 * GIB, "stt": GIB})


def test_gpu_memory_over_90_percent_raises_then_clears_and_is_shown_per_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reading = {"now": _full_gpu(int(9.5 * GIB))}
    monkeypatch.setattr(alerts, "read_gpu_memory", lambda: reading["now"])
    monkeypatch.setattr(alerts, "GPU_POLL_S", 0.02)
    monkeypatch.setattr("studio.web.resource_metrics.read_gpu_memory", lambda: reading["now"])
    for studio in start_studio(tmp_path):
        raised = studio.seen.wait(AlertRaised)
        with studio.client() as client:
            studio.web_caught_up()
            text = client.get("/metrics").text
        reading["now"] = _full_gpu(5 * GIB)
        cleared = studio.seen.wait(AlertCleared)
    assert (raised.kind, raised.subject, raised.value) == ("gpu_memory", "Fake GPU", 0.95)
    assert cleared.kind == "gpu_memory" and len(studio.seen.of(AlertRaised)) == 1  # raised once, not per read
    assert _metric(text, 'studio_alerts_total{kind="gpu_memory"}') == 1.0
    assert _metric(text, 'studio_gpu_model_memory_bytes{model="chat"}') == 6 * GIB
    assert _metric(text, 'studio_gpu_memory_bytes{gpu="Fake GPU",kind="used"}') == int(9.5 * GIB)


def test_without_a_gpu_or_device_those_series_are_absent_and_rss_is_there(studio: Any) -> None:
    monkey = ResourceCollector(lambda: None, read_gpu=lambda: None)
    names = {metric.name for metric in monkey.collect()}
    assert names == {"studio_process_resident_memory_bytes"}
    with studio.client() as client:
        text = client.get("/metrics").text
    assert _metric(text, "studio_process_resident_memory_bytes") > 50 * 2**20
    if "studio_gpu_memory_bytes{" not in text:  # this machine has no GPU: absent, never 0
        assert "studio_gpu_model_memory_bytes{" not in text


def test_program_underruns_come_from_the_open_device() -> None:
    class Audio:
        def stats(self) -> dict:
            return {"program": {"underruns": 3}}

    metrics = {m.name: m for m in ResourceCollector(Audio, read_gpu=lambda: None).collect()}
    assert metrics["studio_program_underruns"].samples[0].value == 3


def test_a_stage_down_raises_once_and_clears_when_it_is_back() -> None:
    published: list[Any] = []
    watch = AlertWatch(published.append, lambda: None)  # type: ignore[arg-type,return-value]
    down = StageStatusChanged("chat", "ollama", "down", "connection refused", "")
    for event in (down, down, StageStatusChanged("chat", "ollama", "ready", "", "")):
        watch.on_event(event)
    assert [type(e).__name__ for e in published] == ["AlertRaised", "AlertCleared"]
    assert published[0].kind == "stage_down" and "connection refused" in published[0].message
