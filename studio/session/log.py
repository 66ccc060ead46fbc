"""The session log file: JSON lines appended in order, each flushed and fsynced before it counts.

`append` only encodes and queues (cheap, any thread); a writer thread writes, flushes and fsyncs
one line at a time, so the engine loop never waits on the disk. `wait_durable` lets the engine
hold a line's audio until its log entry is on disk (a `kill -9` then loses nothing that aired).
A disk error is logged once and the show goes on without the log (waiters are released).
Threading: `append` from any thread; `wait_durable` on an asyncio loop; the writer is its own thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import queue
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio.config import data_dir

log = logging.getLogger(__name__)
FORMAT_VERSION = 1


def sessions_dir() -> Path:
    """Where session logs live by default: <data dir>/sessions."""
    return data_dir() / "sessions"


def new_session_path(folder: Path | None = None) -> Path:
    """A fresh log path named by local start time (and pid, so two studios never share one)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return (folder or sessions_dir()) / f"{stamp}-{os.getpid()}.jsonl"


class SessionLogError(OSError):
    """The session log cannot be opened; the message names the path and why."""


class SessionLog:
    """One session's JSON-lines file. Records get `seq`, `t` (s since start) and `at` (UTC time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("ab", buffering=0)
        except OSError as exc:
            raise SessionLogError(f"cannot open session log {path}: {exc.strerror or exc}") from None
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._queued = 0
        self._durable = 0
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.error: str | None = None
        self._lines: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_lines, name="session-log", daemon=True)
        self._writer.start()

    def append(self, kind: str, **fields: Any) -> int:
        """Queue one record; returns its sequence number (1, 2, …)."""
        with self._lock:
            self._queued += 1
            seq = self._queued
            record = {
                "seq": seq,
                "t": round(time.monotonic() - self._started, 3),
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "kind": kind,
                **fields,
            }
            line = json.dumps(record, ensure_ascii=False, default=str).encode("utf-8") + b"\n"
            self._lines.put((seq, line))
        return seq

    @property
    def queued(self) -> int:
        return self._queued

    @property
    def durable(self) -> int:
        """Sequence number up to which every record is on disk."""
        return self._durable

    async def wait_durable(self, seq: int | None = None) -> None:
        """Return once record `seq` (default: every record queued so far) is on disk."""
        target = self._queued if seq is None else seq
        if self._durable >= target:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._durable >= target or self.error is not None:
                return
            self._waiters.append((target, loop, future))
        await future

    def _write_lines(self) -> None:
        while (item := self._lines.get()) is not None:
            seq, line = item
            if self.error is None:
                try:
                    self._file.write(line)
                    os.fsync(self._file.fileno())
                except OSError as exc:
                    self.error = f"session log {self.path}: {exc.strerror or exc}; logging stopped"
                    log.error("%s", self.error)
            self._mark_durable(seq)

    def _mark_durable(self, seq: int) -> None:
        with self._lock:
            self._durable = seq
            ready = [w for w in self._waiters if w[0] <= seq or self.error is not None]
            self._waiters = [w for w in self._waiters if w not in ready]
        for _, loop, future in ready:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_resolve, future)

    def close(self) -> None:
        """Write everything queued, then close the file (blocks until done)."""
        if not self._writer.is_alive():
            return
        self._lines.put(None)
        self._writer.join()
        self._file.close()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
