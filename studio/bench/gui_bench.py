"""`bench --gui`: a show run through the real window, measuring what the host would feel.

Main-thread stalls over 50 ms (watchdog, with where the GUI thread was during each: stacks sampled
from another thread; CPU per thread; garbage collections), waveform frame rate, time until the
window shows, and voice-to-voice per turn while the GUI repaints. Host questions are spoken by the
stack's own TTS and fed through a live-paced microphone stand-in, so STT and turn detection run
for real. The machine's load average is reported beside the figures: on a shared machine it
explains them.
Threading: Qt main thread drives the run by signals; the show runs in its ShowThread.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import numpy as np
import soxr

from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.bench.queued_mic import QueuedMicrophone
from studio.bench.runner import QUESTIONS, Percentiles
from studio.config import Settings

PROGRESS_S = 120  # no ready signal or no turn for this long: the run failed
STALLS_SHOWN = 10  # the longest stalls, with where the GUI thread was


def _relay_class():
    from PySide6.QtCore import QObject, Signal

    class Relay(QObject):
        """Carries a failure from the engine thread to the GUI thread (queued signal)."""

        failed = Signal(str)

    return Relay


class GuiBenchRun:
    """Asks `turns` spoken questions through `window` once its stack is ready; notes the figures."""

    def __init__(self, app: Any, window: Any, mic: QueuedMicrophone, voice: Any, turns: int) -> None:
        from PySide6.QtCore import QTimer

        self.app, self.window, self.mic, self.voice, self.turns = app, window, mic, voice, turns
        self.asked = 0
        self.latencies: list[float] = []
        self.error: str | None = None
        self.ready_at: float | None = None
        self.frames0 = 0
        self.relay = _relay_class()()
        self.relay.failed.connect(self.fail)
        self.progress = QTimer()
        self.progress.setSingleShot(True)
        self.progress.timeout.connect(lambda: self.fail(f"no progress within {PROGRESS_S} s"))
        engine = window.engine
        engine.engine_ready.connect(self.on_ready)
        engine.engine_failed.connect(lambda message: self.fail(f"the model stack failed: {message}"))
        engine.turn_completed.connect(self.on_turn)

    def start(self) -> None:
        self.progress.start(PROGRESS_S * 1000)
        self.window.start()

    def fail(self, message: str) -> None:
        self.error = message
        self.app.quit()

    def on_ready(self, _backends: dict) -> None:
        self.ready_at = time.perf_counter()
        self.window.watchdog.reset()
        self.frames0 = self.window.mic_trace.frames_drawn
        self.ask_next()

    def on_turn(self, turn: Any) -> None:
        from PySide6.QtCore import QTimer

        value = turn.latency_ms.get("voice_to_voice")
        if value is not None and not turn.interrupted:
            self.latencies.append(value)
        QTimer.singleShot(300, self.ask_next)

    def ask_next(self) -> None:
        if self.asked >= self.turns:
            self.app.quit()
            return
        self.progress.start(PROGRESS_S * 1000)
        text = QUESTIONS[self.asked % len(QUESTIONS)]
        self.asked += 1
        self.window.engine.synthesize(text, self.voice).add_done_callback(self._spoken)

    def _spoken(self, done: Any) -> None:
        """On the engine thread: the question's audio goes into the mic stand-in, live-paced."""
        if done.exception() is not None:
            self.relay.failed.emit(f"cannot synthesize a question: {done.exception()}")
            return
        audio, rate = done.result()
        clip = soxr.resample(audio, rate, INPUT_SAMPLE_RATE).astype(np.float32)
        self.mic.say(np.concatenate([np.zeros(4800, np.float32), clip]))

    def figures(self, started: float, shown_ms: float) -> dict[str, Any]:
        """What the host felt, from the window's own instruments."""
        window = self.window
        elapsed = time.perf_counter() - (self.ready_at or time.perf_counter())
        frames = window.mic_trace.frames_drawn - self.frames0
        stalls = window.watchdog.summary()
        longest = sorted(window.watchdog.reports, key=lambda report: -report.late_ms)[:STALLS_SHOWN]
        v2v = Percentiles.of(self.latencies)
        return {
            "turns": len(self.latencies),
            "window_shown_ms": round(shown_ms, 1),  # from the window's construction
            "window_shown_after_process_start_ms": window.shown_after_ms and round(window.shown_after_ms),
            "stack_ready_s": round(self.ready_at - started, 2) if self.ready_at else None,
            "run_seconds": round(elapsed, 1),
            "waveform_fps": round(frames / elapsed, 1) if elapsed > 0 else None,
            "main_thread_stalls_over_50ms": stalls["stalls_over_50ms"],
            "worst_stall_ms": stalls["worst_stall_ms"],
            "stalls": [report.as_dict() for report in longest],
            "full_gc_runs_ms": [round(ms, 1) for ms in window.watchdog.full_collections_ms],
            "voice_to_voice_ms": None if v2v is None else {"median": v2v.median, "p95": v2v.p95},
            "stack": window.engine.settings.stack,
        }


def run_gui_bench(settings: Settings, turns: int) -> dict[str, Any]:
    """Open the window, ask `turns` spoken questions, return the figures."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
    from PySide6.QtWidgets import QApplication

    from studio.ui.main_window import StudioWindow
    from studio.ui.show_thread import ShowThread
    from studio.ui.theme import apply_theme
    from studio.voices.catalog import VoiceCatalog

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    load_before = os.getloadavg()
    settings = settings.model_copy(update={"turn_mode": "auto"})
    voices = VoiceCatalog(None).profiles()
    mic = QueuedMicrophone()
    started = time.perf_counter()
    window = StudioWindow(settings, voices, ShowThread(settings, voices[0], source_factory=mic.source))
    window.watchdog.sample_stacks()
    run = GuiBenchRun(app, window, mic, voices[0], turns)
    run.start()
    shown_ms = (time.perf_counter() - started) * 1000
    app.exec()
    results = run.figures(started, shown_ms)
    window.close()
    if window.engine.isRunning():  # a failed run may leave a turn in flight: let the show end
        window.engine.wait(60_000)
    if run.error:
        raise RuntimeError(run.error)
    load = {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]}
    return {**results, "load_average_1_5_15min": load, "cpus": os.cpu_count()}


def execute_gui_bench(settings: Settings, turns: int, as_json: bool) -> int:
    """CLI entry for `bench --gui`."""
    result = run_gui_bench(settings, turns)
    if as_json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:32} {value}")
    return 0
