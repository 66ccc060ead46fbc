"""Lets the step the audience waits for run without other model threads competing for the cores.

On two cores, the chat model writing ahead while the reply's first clause is synthesized slows
both (measured: Piper's first chunk for four words took twice as long while SmolLM2 generated);
the clause is what the host is waiting to hear, the later words are not needed before it has
played. While `FOREGROUND` is held, background model work that calls `step_aside` between its
steps (SmolLM2 before each token) waits, at most MAX_PAUSE_SECONDS per step.
`PREFILL` is held while the embedded chat model reads its prompt: one step on all its threads
that cannot narrow when another model starts beside it (measured: the first token 148-200 ms
after the request alone, 375-414 ms when Smart Turn started during the prefill). The end-of-turn
models' jobs and Whisper's recognitions wait it out before they start
(`BackendWorker(yields_to=PREFILL)`), at most PREFILL_WAIT_SECONDS: the verdict, or the line's
newest text, checks a reply already being prepared; it is not what the audience waits for.
Threading: `hold`/`release` are called on the engine loop (FOREGROUND) or the chat model's
generate thread (PREFILL); `step_aside` from model threads.
"""

from __future__ import annotations

import threading

MAX_PAUSE_SECONDS = 2.0  # a step never waits longer than this, whatever holds the gate
PREFILL_WAIT_SECONDS = 0.5  # an end-of-turn job waits at most this long for a prefill to end
POLL_SECONDS = 0.02  # how often a waiting step checks its own stop flag


class ForegroundGate:
    """A counted hold: while anyone holds it, `step_aside` waits (bounded)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._waiting = 0  # steps waiting in `step_aside` now
        self._free = threading.Event()
        self._free.set()

    @property
    def held(self) -> bool:
        return not self._free.is_set()

    @property
    def waiting(self) -> int:
        """Steps waiting for the gate now: work about to start once it is released."""
        with self._lock:
            return self._waiting

    def hold(self) -> None:
        with self._lock:
            self._holders += 1
            self._free.clear()

    def release(self) -> None:
        with self._lock:
            self._holders = max(0, self._holders - 1)
            if self._holders == 0:
                self._free.set()

    def step_aside(self, stop: threading.Event | None = None, limit: float = MAX_PAUSE_SECONDS) -> None:
        """Wait while the gate is held (until `stop` is set, or `limit` seconds at most)."""
        if self._free.is_set():
            return
        with self._lock:
            self._waiting += 1
        try:
            waited = 0.0
            while not self._free.is_set() and waited < limit and not (stop is not None and stop.is_set()):
                self._free.wait(POLL_SECONDS)
                waited += POLL_SECONDS
        finally:
            with self._lock:
                self._waiting -= 1


FOREGROUND = ForegroundGate()
PREFILL = ForegroundGate()
