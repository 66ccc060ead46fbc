"""Where the GUI thread was while it stalled: its stack, sampled from a watcher thread during the stall.

The watchdog's tick (on the watched thread) calls `beat()`. A daemon thread wakes every `period_s`
and, once the last beat is older than `after_ms`, samples the watched thread's stack with
`sys._current_frames()` — and the innermost frame of every other busy thread, since a GUI
thread that waits for the GIL or a core is stalled by them. The beat that ends a stall over the
threshold turns its samples into a StallReport, with the CPU time the watched thread used meanwhile
(much less than the stall: it was starved, not busy). Shorter gaps drop their samples.
Threading: `beat` on the watched thread; sampling on its own daemon thread; plain Python, no Qt.
Sampling needs the GIL: a stall in C++ that holds it is seen as the Python frame that called in.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

WAITING = ("threading.py", "selectors.py", "queue.py", "stall_sampler.py")  # idle threads, not rivals


def _where(frame: traceback.FrameSummary) -> str:
    """`package/module.py:line function`, short enough to read in a bench report."""
    parts = frame.filename.replace(os.sep, "/").split("/")
    return f"{'/'.join(parts[-2:])}:{frame.lineno} {frame.name}"


def stack_of(frame: object, depth: int = 10) -> tuple[str, ...]:
    """The innermost `depth` frames of a live frame, outermost first."""
    return tuple(_where(item) for item in traceback.extract_stack(frame, limit=depth))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class StallReport:
    """One stall: how long, the CPU the watched thread used in it, its stacks, the busy rivals."""

    late_ms: float
    cpu_ms: float
    stacks: tuple[tuple[str, ...], ...]
    rivals: tuple[tuple[str, int], ...]  # "thread: frame" → samples, most seen first

    def hottest(self, frames: int = 4) -> str:
        """The watched thread's most sampled stack (innermost frames), or why there is none."""
        if not self.stacks:
            return "no sample (the stall ended before the sampler ran)"
        stack, _count = Counter(self.stacks).most_common(1)[0]
        return " < ".join(reversed(stack[-frames:]))

    def as_dict(self) -> dict[str, object]:
        """The report as a bench prints it."""
        return {
            "ms": round(self.late_ms, 1),
            "gui_cpu_ms": round(self.cpu_ms, 1),
            "samples": len(self.stacks),
            "gui_thread_in": self.hottest(),
            "busy_threads": [f"{where} ×{count}" for where, count in self.rivals[:4]],
        }


class StallSampler:
    """Samples one thread's stack while it misses its beats; keeps the last `keep` stall reports."""

    def __init__(
        self,
        thread_id: int | None = None,
        *,
        after_ms: float = 30.0,
        period_s: float = 0.005,
        keep: int = 50,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.thread_id = thread_id if thread_id is not None else threading.get_ident()
        self.after_ms, self.period_s, self._clock = after_ms, period_s, clock
        self.reports: deque[StallReport] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._last_beat: float | None = None
        self._cpu_at_beat = 0.0
        self._stacks: list[tuple[str, ...]] = []
        self._rivals: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin watching (call on the watched thread: its first beat is now)."""
        self.beat()
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="stall-sampler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)
            self._thread = None

    def beat(self, late_ms: float | None = None) -> StallReport | None:
        """The watched thread is alive; `late_ms` when this beat ends a stall worth reporting."""
        cpu = time.thread_time()
        with self._lock:
            stacks, rivals = self._stacks, self._rivals
            self._stacks, self._rivals = [], Counter()
            self._last_beat = self._clock()
            cpu_ms, self._cpu_at_beat = (cpu - self._cpu_at_beat) * 1000, cpu
        if late_ms is None:
            return None
        report = StallReport(late_ms, cpu_ms, tuple(stacks), tuple(rivals.most_common()))
        self.reports.append(report)
        return report

    def sample(self) -> bool:
        """Take one sample if the watched thread is overdue; True if it was."""
        with self._lock:
            last = self._last_beat
        if last is None or (self._clock() - last) * 1000 < self.after_ms:
            return False
        frames = sys._current_frames()
        watched = frames.get(self.thread_id)
        stack = stack_of(watched) if watched is not None else ()
        rivals = self._busy_rivals(frames)
        with self._lock:
            if self._last_beat == last:  # not a sample of a stall that already ended
                self._stacks.append(stack)
                self._rivals.update(rivals)
        return True

    def _busy_rivals(self, frames: dict[int, object]) -> list[str]:
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        busy = []
        for ident, frame in frames.items():
            if ident in (self.thread_id, threading.get_ident()):
                continue
            innermost = stack_of(frame, depth=1)
            if innermost and not innermost[-1].split(":")[0].endswith(WAITING):
                busy.append(f"{names.get(ident, ident)}: {innermost[-1]}")
        return busy

    def _watch(self) -> None:
        while not self._stop.wait(self.period_s):
            self.sample()
