"""The studio window's waveform repaints as a load of their own, for `bench --audio`.

Run as `python -m studio.bench.repaint_load SECONDS`: an offscreen Qt app draws the two live
waveforms (with meters) at 30 fps from scopes fed with speech-like noise every 32 ms, as the
window does on air, then prints the frames drawn and the seconds it ran (SIGTERM ends it early).
A separate process so its GIL and main thread are its own.
Threading: Qt main thread only.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

FPS = 30
FEED_MS = 32


def main(seconds: float) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.audio.scope import SampleScope
    from studio.ui.waveforms import ScopeTrace, WaveformPanel

    app = QApplication([])
    rng = np.random.default_rng(0)
    mic, program = SampleScope(16_000), SampleScope(48_000)
    panel = WaveformPanel(
        ScopeTrace("Host mic", "#4fc3f7", lambda: (mic, None)),
        ScopeTrace("Program", "#ffb74d", lambda: (program, None)),
    )
    panel.resize(1200, 300)
    panel.show()

    def feed() -> None:
        envelope = 0.3 * abs(np.sin(feed.calls / 7.0))  # syllable-like swell
        feed.calls += 1
        mic.write((rng.standard_normal(16 * FEED_MS) * envelope).astype(np.float32))
        program.write((rng.standard_normal(48 * FEED_MS) * envelope).astype(np.float32))

    feed.calls = 0
    feeder, painter = QTimer(), QTimer()
    feeder.timeout.connect(feed)
    painter.timeout.connect(lambda: (panel.refresh(), panel.repaint()))
    feeder.start(FEED_MS)
    painter.start(1000 // FPS)
    QTimer.singleShot(int(seconds * 1000), app.quit)
    signal.signal(signal.SIGTERM, lambda *_: app.quit())  # runs at the next timer tick
    began = time.perf_counter()
    app.exec()
    print(panel.mic.frames_drawn, round(time.perf_counter() - began, 2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1])))
