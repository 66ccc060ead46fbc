"""Where the GUI thread was while it stalled: its stack, sampled from a watcher thread during the stall.

The watchdog's tick (on the watched thread) calls `beat()`. A daemon thread wakes every `period_s`
and, once the last beat is older than `after_ms`, samples the watched thread's stack with
`sys._current_frames()` — and the innermost frame of every other busy thread, since a GUI
thread that waits for the GIL or a core is stalled by them. The beat that ends a stall over the
threshold turns its samples into a StallReport, with the CPU time the watched thread used meanwhile
(much less than the stall: it was starved, not busy), the whole process's CPU time, each
Python thread's (its CPU clock read by the sampler every 20 ms before the stall and again at its
end: a thread that ran while the GUI thread could not is the one that held the GIL), and the time
the cyclic garbage collector ran in it (a full collection holds the GIL for all of it, whichever
thread triggered it). Shorter gaps drop their samples.
Threading: `beat` on the watched thread; sampling on its own daemon thread; plain Python, no Qt.
Sampling needs the GIL: a stall in C++ that holds it is seen as the Python frame that called in.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

QUIET_READ_S = 0.02  # how often the sampler reads every thread's CPU clock while nothing stalls
WAITING = (
    "threading.py",
    "selectors.py",
    "queue.py",
    "futures/thread.py",
    "stall_sampler.py",
)  # idle threads, not rivals


def _where(frame: traceback.FrameSummary) -> str:
    """`package/module.py:line function`, short enough to read in a bench report."""
    parts = frame.filename.replace(os.sep, "/").split("/")
    return f"{'/'.join(parts[-2:])}:{frame.lineno} {frame.name}"


def stack_of(frame: object, depth: int = 10) -> tuple[str, ...]:
    """The innermost `depth` frames of a live frame, outermost first."""
    return tuple(_where(item) for item in traceback.extract_stack(frame, limit=depth))  # type: ignore[arg-type]


class ThreadClocks:
    """Each live Python thread's CPU time, read from its own clock (microseconds per read)."""

    def __init__(self) -> None:
        self._clocks: dict[int, int] = {}

    def read(self) -> dict[str, float]:
        """Thread name → CPU seconds so far."""
        times = {}
        for thread in threading.enumerate():
            ident = thread.ident
            if ident is None:
                continue
            try:
                clock = self._clocks.get(ident)
                if clock is None:
                    clock = self._clocks[ident] = time.pthread_getcpuclockid(ident)
                times[f"{thread.name}#{ident % 10_000}"] = time.clock_gettime(clock)
            except (OSError, AttributeError):  # the thread just ended; no per-thread clocks here
                continue
        return times


def busiest(before: dict[str, float], after: dict[str, float], top: int = 4) -> tuple[tuple[str, float], ...]:
    """The threads that used the most CPU between two readings, in ms, most first."""
    used = {name: (after[name] - before.get(name, 0.0)) * 1000 for name in after}  # new: all of it
    ranked = sorted(used.items(), key=lambda item: -item[1])[:top]
    return tuple((name, round(ms, 1)) for name, ms in ranked if ms >= 1.0)


class CollectorClock:
    """Notes each cyclic-GC run (generation, start, end) through `gc.callbacks`, while installed."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter, keep: int = 256) -> None:
        self._clock = clock
        self.runs: deque[tuple[int, float, float]] = deque(maxlen=keep)
        self.full_ms: deque[float] = deque(maxlen=keep)  # every full (generation 2) run, however old
        self._started: float | None = None

    def install(self) -> None:
        if self._note not in gc.callbacks:
            gc.callbacks.append(self._note)

    def uninstall(self) -> None:
        if self._note in gc.callbacks:
            gc.callbacks.remove(self._note)

    def _note(self, phase: str, info: dict) -> None:
        """Runs in the collecting thread, under the GIL: two clock reads and an append."""
        if phase == "start":
            self._started = self._clock()
        elif self._started is not None:
            generation, ended = int(info.get("generation", -1)), self._clock()
            self.runs.append((generation, self._started, ended))
            if generation == 2:
                self.full_ms.append((ended - self._started) * 1000)
            self._started = None

    def within(self, start: float, end: float) -> tuple[float, int]:
        """(ms the collector ran between `start` and `end`, the oldest generation it collected)."""
        spent, oldest = 0.0, -1
        for generation, began, ended in list(self.runs):
            overlap = min(end, ended) - max(start, began)
            if overlap > 0:
                spent, oldest = spent + overlap * 1000, max(oldest, generation)
        return spent, oldest


@dataclass(frozen=True, slots=True)
class StallReport:
    """One stall: how long, the CPU the watched thread (and the process) used in it, its stacks,
    the busy rivals sampled and the Python threads that ran meanwhile."""

    late_ms: float
    cpu_ms: float
    stacks: tuple[tuple[str, ...], ...]
    rivals: tuple[tuple[str, int], ...]  # "thread: frame" → samples, most seen first
    process_cpu_ms: float = 0.0
    thread_cpu_ms: tuple[tuple[str, float], ...] = ()  # Python threads by CPU used in the stall
    gc_ms: float = 0.0  # the cyclic garbage collector ran this long during the stall
    gc_generation: int = -1  # the oldest generation it collected then (2: a full collection)

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
            "process_cpu_ms": round(self.process_cpu_ms, 1),
            "threads_cpu_ms": dict(self.thread_cpu_ms),
            "gc_ms": round(self.gc_ms, 1),
            "gc_generation": self.gc_generation,
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
        self._process_at_beat = 0.0
        self._thread_clocks = ThreadClocks()
        self._threads_quiet: dict[str, float] = {}  # each thread's CPU clock before the stall began
        self._quiet_at = 0.0
        self.collector = CollectorClock(clock)
        self._stacks: list[tuple[str, ...]] = []
        self._rivals: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin watching (call on the watched thread: its first beat is now)."""
        self.collector.install()
        self._threads_quiet, self._quiet_at = self._thread_clocks.read(), self._clock()
        self.beat()
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="stall-sampler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self.collector.uninstall()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)
            self._thread = None

    @property
    def pending(self) -> int:
        """Samples taken of the stall going on now (0 while the watched thread keeps its beat)."""
        with self._lock:
            return len(self._stacks)

    def beat(self, late_ms: float | None = None) -> StallReport | None:
        """The watched thread is alive; `late_ms` when this beat ends a stall worth reporting."""
        cpu, process = time.thread_time(), time.process_time()
        with self._lock:
            stacks, rivals = self._stacks, self._rivals
            self._stacks, self._rivals = [], Counter()
            previous, self._last_beat = self._last_beat, self._clock()
            cpu_ms, self._cpu_at_beat = (cpu - self._cpu_at_beat) * 1000, cpu
            process_ms, self._process_at_beat = (process - self._process_at_beat) * 1000, process
            threads_before = self._threads_quiet
        if late_ms is None or previous is None:
            return None
        threads = self._thread_clocks.read()  # only at a stall: a beat stays a few microseconds
        gc_ms, generation = self.collector.within(previous, self._last_beat)
        report = StallReport(
            late_ms,
            cpu_ms,
            tuple(stacks),
            tuple(rivals.most_common()),
            process_ms,
            busiest(threads_before, threads),
            gc_ms,
            generation,
        )
        self.reports.append(report)
        return report

    def sample(self) -> bool:
        """Take one sample if the watched thread is overdue; True if it was."""
        with self._lock:
            last = self._last_beat
        now = self._clock()
        if last is None or (now - last) * 1000 < self.after_ms:
            if now - self._quiet_at >= QUIET_READ_S:  # the threads' clocks a stall is measured from
                quiet = self._thread_clocks.read()
                with self._lock:
                    self._threads_quiet, self._quiet_at = quiet, now
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
