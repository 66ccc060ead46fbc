"""The show's alerts: a turn slower than `max_latency_ms`, GPU memory above 90 %, a stage down.

Each is an AlertRaised on the show's own event stream (so the window's banner, the web layer's
/ws/events and metrics, and any other face see it), and an `alert` record in the session log.
The latency and GPU alerts clear (AlertCleared) once a turn is fast again / memory is back
under the line; a stage that recovers clears its own (the stage lights already say so).
Alerts are published on the next turn of the loop, never from inside another event's delivery,
so every subscriber sees the event that caused an alert before the alert.
Threading: `on_event` and `check_gpu` run on the show's loop (a bus subscriber; the GPU watch
task, whose NVML read runs in a worker thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from studio.config import Settings
from studio.engine.events import StageStatusChanged, TurnCompleted
from studio.gpu.nvml import GpuMemory, read_gpu_memory

log = logging.getLogger(__name__)
AlertKind = Literal["latency", "gpu_memory", "stage_down"]
GPU_ALERT_RATIO = 0.9
GPU_POLL_S = 5.0


@dataclass(frozen=True, slots=True)
class AlertRaised:
    """Something the producer must see now; `value` against `threshold` (ms, ratio, or 0 for a stage)."""

    kind: AlertKind
    message: str
    value: float = 0.0
    threshold: float = 0.0
    subject: str = ""  # the stage (stage_down), the card (gpu_memory), the turn id (latency)


@dataclass(frozen=True, slots=True)
class AlertCleared:
    """An alert's cause is over (a fast turn again, GPU memory back under the line, the stage back)."""

    kind: AlertKind
    message: str
    subject: str = ""


class AlertWatch:
    """Turns the show's events (and GPU readings) into AlertRaised / AlertCleared on its stream."""

    def __init__(
        self,
        publish: Callable[[Any], None],
        settings: Callable[[], Settings],
        note: Callable[..., bool] = lambda _record, **fields: False,
    ) -> None:
        """`publish` puts an event on the show's stream; `note` writes a session-log record."""
        self._publish, self._settings, self._note = publish, settings, note
        self.read_gpu: Callable[[], GpuMemory | None] = read_gpu_memory
        self.gpu_period_s = GPU_POLL_S
        self._active: set[tuple[str, str]] = set()

    # ----- the show's events (show loop) --------------------------------------------------------
    def on_event(self, event: Any) -> None:
        """A slow turn, or a stage going down or coming back."""
        if isinstance(event, TurnCompleted):
            self._turn(event)
        elif isinstance(event, StageStatusChanged):
            self._stage(event)

    def _turn(self, turn: TurnCompleted) -> None:
        """voice-to-voice against max_latency_ms (turns without a first sound are not judged)."""
        latency = turn.latency_ms.get("voice_to_voice")
        if latency is None:
            return
        limit = float(self._settings().max_latency_ms)
        if latency > limit:
            message = f"turn {turn.turn_id}: voice-to-voice {latency:.0f} ms, over the {limit:.0f} ms limit"
            self._raise(AlertRaised("latency", message, round(latency, 1), limit, ""), repeat=True)
        else:
            self._clear("latency", "", f"voice-to-voice back under {limit:.0f} ms")

    def _stage(self, event: StageStatusChanged) -> None:
        """A stage down raises (once); the same stage working again clears it."""
        if event.state == "down":
            message = f"{event.stage} is down: {event.detail or event.backend}"
            self._raise(AlertRaised("stage_down", message, subject=event.stage))
        elif event.state in ("ready", "degraded"):
            self._clear("stage_down", event.stage, f"{event.stage} is {event.state} again")

    # ----- the GPU (show loop) ------------------------------------------------------------------
    def check_gpu(self, memory: GpuMemory | None) -> None:
        """Memory above 90 % of the card raises (once); back under clears. None: no GPU, nothing."""
        if memory is None or memory.total_bytes <= 0:
            return
        ratio = memory.used_bytes / memory.total_bytes
        if ratio > GPU_ALERT_RATIO:
            gib = memory.used_bytes / 2**30
            message = f"GPU memory {ratio:.0%} used on {memory.name} ({gib:.1f} GiB): a model may not fit"
            self._raise(AlertRaised("gpu_memory", message, round(ratio, 3), GPU_ALERT_RATIO, memory.name))
        else:
            self._clear("gpu_memory", memory.name, f"GPU memory back under {GPU_ALERT_RATIO:.0%}")

    async def watch_gpu(self) -> None:
        """Read the GPU every `gpu_period_s` until cancelled (the read runs in a worker thread)."""
        while True:
            try:
                self.check_gpu(await asyncio.to_thread(self.read_gpu))
            except Exception:  # a reading that fails must not end the watch (nor the show)
                log.exception("GPU alert check failed")
            await asyncio.sleep(self.gpu_period_s)

    # ----- raising and clearing -----------------------------------------------------------------
    def _raise(self, alert: AlertRaised, repeat: bool = False) -> None:
        """Publish `alert` unless it is already up (`repeat`: each slow turn is its own alert)."""
        key = (alert.kind, alert.subject)
        if key in self._active and not repeat:
            return
        self._active.add(key)
        stage = alert.subject if alert.kind == "stage_down" else None
        log.warning("alert: %s", alert.message, extra={"stage": stage})
        self._note(
            "alert", alert=alert.kind, message=alert.message, value=alert.value, threshold=alert.threshold
        )
        self._later(alert)

    def _clear(self, kind: AlertKind, subject: str, message: str) -> None:
        """Publish AlertCleared if that alert is up."""
        if (kind, subject) not in self._active:
            return
        self._active.discard((kind, subject))
        self._note("alert_cleared", alert=kind, message=message)
        self._later(AlertCleared(kind, message, subject))

    def _later(self, event: Any) -> None:
        """Publish on the loop's next turn (after the event being delivered); now without a loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._publish(event)
            return
        loop.call_soon(self._publish, event)


@contextlib.asynccontextmanager
async def gpu_watch(watch: AlertWatch) -> Any:
    """Run `watch.watch_gpu` for the duration of the block (the show's serve)."""
    task = asyncio.get_running_loop().create_task(watch.watch_gpu(), name="gpu-alerts")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
