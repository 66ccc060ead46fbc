"""Keeps blocking model calls off the engine loop: one named worker thread per model, in order.

Threading: `BackendWorker.run` and `BackendWorker.stream` are awaited on the engine loop; the work
itself runs in the worker's single thread. `stream` drives a blocking generator in that thread
and hands its items to the loop; closing the async iterator (or cancelling the task iterating it)
sets a stop flag that the producer checks before every item, and the iterator's close returns
only after the producer has finished, so nothing keeps running behind a cancelled stream.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from studio.backends.priority import ForegroundGate

T = TypeVar("T")

#: Makes the blocking generator; receives the stop flag so long steps can check it too.
ProducerFactory = Callable[[threading.Event], Iterator[T]]


class _End:
    """Marks the end of a producer's items (a unique object cannot be confused with an item)."""


class _Failure:
    """Carries the producer's exception across to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_RUNNING: dict[str, int] = {}  # worker name -> jobs running now, across the process
_RUNNING_LOCK = threading.Lock()


def _count_running(name: str, change: int) -> None:
    with _RUNNING_LOCK:
        _RUNNING[name] = _RUNNING.get(name, 0) + change


def busy_besides(name: str) -> bool:
    """Whether a model worker other than `name` is running a job at this moment (any thread)."""
    with _RUNNING_LOCK:
        return any(count > 0 for worker, count in _RUNNING.items() if worker != name)


class BackendWorker:
    """A single-thread executor: one model is never entered from two threads at once."""

    def __init__(self, name: str, yields_to: ForegroundGate | None = None, wait_limit: float = 0.0) -> None:
        """`yields_to`: each job first waits while that gate is held (at most `wait_limit` s),
        not yet counted as running, so the model it yields to keeps all its threads."""
        self.name = name
        self._yields_to, self._wait_limit = yields_to, wait_limit
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def pending(self) -> int:
        """Jobs submitted and not yet finished (0 means the worker thread is idle)."""
        with self._lock:
            return self._pending

    def _tracked(self, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
        with self._lock:
            self._pending += 1

        def job() -> T:
            if self._yields_to is not None:
                self._yields_to.step_aside(limit=self._wait_limit)
            _count_running(self.name, 1)
            try:
                return fn(*args)
            finally:
                _count_running(self.name, -1)
                with self._lock:
                    self._pending -= 1

        return job

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in the worker thread; cancelling the await does not interrupt it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._tracked(fn, *args))

    async def stream(self, make: ProducerFactory[T]) -> AsyncIterator[T]:
        """Yield the items of the blocking generator `make(stop)`, produced in the worker thread."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        stop = threading.Event()

        def post(item: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone: nobody is listening any more
                stop.set()

        def produce() -> None:
            try:
                items = make(stop)
                try:
                    for item in items:
                        if stop.is_set():
                            break
                        post(item)
                finally:
                    close = getattr(items, "close", None)
                    if close is not None:
                        close()  # runs the generator's own cleanup here, in this thread
            except BaseException as error:  # re-raised in the consumer
                post(_Failure(error))
            finally:
                post(_End)

        producer = loop.run_in_executor(self._executor, self._tracked(produce))
        try:
            while (item := await queue.get()) is not _End:
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            stop.set()
            await asyncio.shield(producer)

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting work; with `wait`, return once the running job has finished."""
        self._executor.shutdown(wait=wait, cancel_futures=True)

    async def aclose(self) -> None:
        """Shut the worker down without blocking the loop while its last job finishes."""
        await asyncio.to_thread(self.shutdown, True)


def single_thread_onnx_session(path: Path):  # -> onnxruntime.InferenceSession
    """An onnxruntime CPU session on one thread: small models whose calls must not fight the others."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    return onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def arena_free_onnx_session(path: Path):  # -> onnxruntime.InferenceSession
    """An onnxruntime CPU session without its memory arena, for inputs whose length varies call to call.

    The arena keeps every block it ever allocated: fed sentences of random length, Piper's grew
    from 240 to 780 MB resident over 150 sentences (and still rising), against a flat 166 MB
    without it. Freed tensors then go back to malloc, which `studio.heap` keeps reusable within a
    turn and trims after it.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = False
    return onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
