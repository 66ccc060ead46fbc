"""Python's cyclic garbage collection runs on the GUI thread only, on a timer.

Left automatic, a collection runs on whichever thread happens to allocate: the engine loop, an
opener thread. A Qt widget freed there is handed to the main thread by shiboken and deleted inside
the next Python callback, which for this app is the application-wide hotkey filter; the deletion
sends events through that same filter and re-enters the deferred deletion (PySide 6.11 then spun
for ever: the test suite's hang). Collecting here also keeps collection pauses out of the audio
and engine threads. Reference counting still frees everything that is not in a cycle at once.
Threading: Qt main thread (a QTimer); `stop` gives collection back to Python.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

from studio.heap import collection_paused

CHECK_MS = 250  # a young-generation collection takes well under a millisecond


class MainThreadCollector(QObject):
    """Turns automatic collection off and collects whatever generation is due on each tick."""

    def __init__(self, parent: QObject | None = None, check_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(check_ms)
        self._timer.timeout.connect(self.collect_due)
        self.collections = [0, 0, 0]  # per generation, for the tests and the diagnostics
        self._was_enabled = gc.isenabled()

    def start(self) -> None:
        """Take collection over from Python (call on the main thread)."""
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Hand collection back to Python as it was."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def collect_due(self) -> None:
        """Collect the oldest generation whose count has passed its threshold, as Python would."""
        if collection_paused():  # models are loading: no collections over their objects now
            return
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if thresholds[generation] and counts[generation] >= thresholds[generation]:
                gc.collect(generation)
                self.collections[generation] += 1
                return
