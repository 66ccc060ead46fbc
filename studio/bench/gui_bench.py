"""`bench --gui`: a show run through the real window, measuring what the host would feel.

Main-thread stalls over 50 ms (watchdog), waveform frame rate, time until the window shows, and
voice-to-voice per turn while the GUI repaints. Host questions are spoken by the stack's own TTS
and fed through a live-paced microphone stand-in, so STT and turn detection run for real.
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

from studio.audio.sources import QueuedMicrophone
from studio.backends.contracts import INPUT_SAMPLE_RATE
from studio.bench.runner import QUESTIONS, Percentiles
from studio.config import Settings


def _relay_class():
    from PySide6.QtCore import QObject, Signal

    class Relay(QObject):
        """Carries a failure from the engine thread to the GUI thread (queued signal)."""

        failed = Signal(str)

    return Relay


def run_gui_bench(settings: Settings, turns: int) -> dict[str, Any]:
    """Open the window, ask `turns` spoken questions, return the figures."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui.main_window import StudioWindow
    from studio.ui.show_thread import ShowThread
    from studio.ui.theme import apply_theme
    from studio.voices.catalog import VoiceCatalog

    app = QApplication.instance() or QApplication(sys.argv[:1])
    _Relay = _relay_class()
    apply_theme(app)
    settings = settings.model_copy(update={"turn_mode": "auto"})
    voices = VoiceCatalog(None).profiles()
    mic = QueuedMicrophone()
    started = time.perf_counter()

    window = StudioWindow(settings, voices, ShowThread(settings, voices[0], source_factory=mic.source))
    window.start()
    shown_ms = (time.perf_counter() - started) * 1000
    results: dict[str, Any] = {}
    latencies: list[float] = []
    state = {"asked": 0, "error": None, "ready_at": None, "run_started": None, "frames0": 0}

    def fail(message: str) -> None:
        state["error"] = message
        app.quit()

    relay = _Relay()
    relay.failed.connect(fail)

    def ask_next() -> None:
        if state["asked"] >= turns:
            app.quit()
            return
        text = QUESTIONS[state["asked"] % len(QUESTIONS)]
        state["asked"] += 1
        future = window.engine.synthesize(text, voices[0])

        def spoken(done) -> None:  # engine thread
            if done.exception() is not None:
                relay.failed.emit(f"cannot synthesize a question: {done.exception()}")
                return
            audio, rate = done.result()
            clip = soxr.resample(audio, rate, INPUT_SAMPLE_RATE).astype(np.float32)
            mic.say(np.concatenate([np.zeros(4800, np.float32), clip]))

        future.add_done_callback(spoken)

    def on_turn(turn) -> None:
        value = turn.latency_ms.get("voice_to_voice")
        if value is not None and not turn.interrupted:
            latencies.append(value)
        QTimer.singleShot(300, ask_next)

    def on_ready(_backends: dict) -> None:
        state["ready_at"] = time.perf_counter()
        window.watchdog.reset()
        state["frames0"] = window.mic_trace.frames_drawn
        state["run_started"] = time.perf_counter()
        ask_next()

    window.engine.engine_ready.connect(on_ready)
    window.engine.engine_failed.connect(lambda message: fail(f"the model stack failed: {message}"))
    window.engine.turn_completed.connect(on_turn)
    watchdog_limit = QTimer()
    watchdog_limit.setSingleShot(True)
    watchdog_limit.timeout.connect(lambda: fail(f"no progress within {60 + 30 * turns} s"))
    watchdog_limit.start((60 + 30 * turns) * 1000)
    app.exec()
    elapsed = time.perf_counter() - (state["run_started"] or time.perf_counter())
    frames = window.mic_trace.frames_drawn - state["frames0"]
    stalls = window.watchdog.summary()
    window.close()
    if state["error"]:
        raise RuntimeError(state["error"])
    ready_s = (state["ready_at"] - started) if state["ready_at"] else None
    v2v = Percentiles.of(latencies)
    results = {
        "turns": len(latencies),
        "window_shown_ms": round(shown_ms, 1),  # from the window's construction
        "window_shown_after_process_start_ms": window.shown_after_ms and round(window.shown_after_ms),
        "stack_ready_s": round(ready_s, 2) if ready_s is not None else None,
        "run_seconds": round(elapsed, 1),
        "waveform_fps": round(frames / elapsed, 1) if elapsed > 0 else None,
        "main_thread_stalls_over_50ms": stalls["stalls_over_50ms"],
        "worst_stall_ms": stalls["worst_stall_ms"],
        "voice_to_voice_ms": None if v2v is None else {"median": v2v.median, "p95": v2v.p95},
        "stack": window.engine.settings.stack,
    }
    return results


def execute_gui_bench(settings: Settings, turns: int, as_json: bool) -> int:
    """CLI entry for `bench --gui`."""
    result = run_gui_bench(settings, turns)
    if as_json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:32} {value}")
    return 0
