"""Brings finished background work (engine futures, file jobs) back to the GUI without ever waiting on it.

Threading: `FutureRelay` lives on the Qt main thread. A future's done-callback runs on whatever
thread finished it and only emits a signal, which Qt queues to the main thread; the callback
given to `watch` then runs there. `BackgroundJobs` runs blocking file work on one worker thread.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

T = TypeVar("T")
Callback = Callable[[concurrent.futures.Future[Any]], None]


class FutureRelay(QObject):
    """Calls `callback(future)` on the main thread once `future` is done."""

    _finished = Signal(object, object)  # future, callback

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._finished.connect(self._deliver)
        self._closed = False

    def watch(self, future: concurrent.futures.Future[T], callback: Callback) -> None:
        future.add_done_callback(lambda done: self._emit(done, callback))

    def close(self) -> None:
        """Drop results that arrive from now on (their dialog is gone)."""
        self._closed = True

    def _emit(self, future: concurrent.futures.Future[Any], callback: Callback) -> None:
        if self._closed:
            return
        with contextlib.suppress(RuntimeError):  # the QObject was deleted while the job ran
            self._finished.emit(future, callback)

    def _deliver(self, future: concurrent.futures.Future[Any], callback: Callback) -> None:
        if not self._closed:
            callback(future)


class BackgroundJobs:
    """One worker thread for blocking work (profile writes, clip decoding), results via a relay."""

    def __init__(self, relay: FutureRelay, name: str) -> None:
        self._relay = relay
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=name)
        self._pending = 0

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def run(self, job: Callable[[], T], callback: Callback) -> concurrent.futures.Future[T]:
        """Run `job()` on the worker; `callback(future)` runs on the main thread when it is done."""
        self._pending += 1

        def finished(future: concurrent.futures.Future[Any]) -> None:
            self._pending -= 1
            callback(future)

        future = self._pool.submit(job)
        self._relay.watch(future, finished)
        return future

    def shutdown(self) -> None:
        """Let queued jobs finish (a profile write is never abandoned), then end the worker."""
        self._pool.shutdown(wait=False)
