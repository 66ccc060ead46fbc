"""BackendWorker: calls run in one named thread, in order; streams stop when their reader leaves."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

import pytest

from studio.backends.workers import BackendWorker


def test_run_uses_one_named_thread_in_order() -> None:
    worker = BackendWorker("test-worker")
    order: list[int] = []

    def job(index: int) -> str:
        order.append(index)
        return threading.current_thread().name

    async def scenario() -> list[str]:
        return await asyncio.gather(*(worker.run(job, index) for index in range(5)))

    names = asyncio.run(scenario())
    asyncio.run(worker.aclose())
    assert order == [0, 1, 2, 3, 4]
    assert len(set(names)) == 1 and names[0].startswith("test-worker")
    assert threading.current_thread().name not in names


class EndlessProducer:
    """A blocking generator that never ends by itself: only the stop flag can end it."""

    def __init__(self) -> None:
        self.steps = 0
        self.finished = threading.Event()

    def __call__(self, stop: threading.Event) -> Iterator[int]:
        try:
            while True:
                self.steps += 1
                yield self.steps
        finally:
            self.finished.set()


def test_stream_yields_items_and_ends_cleanly() -> None:
    worker = BackendWorker("test-stream")

    def make(stop: threading.Event) -> Iterator[int]:
        yield from range(4)

    async def scenario() -> list[int]:
        return [item async for item in worker.stream(make)]

    assert asyncio.run(scenario()) == [0, 1, 2, 3]
    assert worker.pending == 0
    asyncio.run(worker.aclose())


def test_closing_the_stream_stops_the_producer() -> None:
    worker = BackendWorker("test-close")
    producer = EndlessProducer()

    async def scenario() -> list[int]:
        got: list[int] = []
        async with contextlib.aclosing(worker.stream(producer)) as stream:
            async for item in stream:
                got.append(item)
                if len(got) == 3:
                    break
        return got

    assert asyncio.run(scenario()) == [1, 2, 3]
    assert producer.finished.is_set()  # the close returned only after the producer had ended
    assert worker.pending == 0
    asyncio.run(worker.aclose())


def test_cancelling_the_reading_task_stops_the_producer() -> None:
    threads_before = threading.active_count()
    worker = BackendWorker("test-cancel")
    producer = EndlessProducer()

    async def scenario() -> None:
        first = asyncio.Event()

        async def read() -> None:
            async with contextlib.aclosing(worker.stream(producer)) as stream:
                async for _item in stream:
                    first.set()

        task = asyncio.create_task(read())
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert producer.finished.is_set() and worker.pending == 0
    asyncio.run(worker.aclose())
    assert threading.active_count() == threads_before


def test_producer_errors_reach_the_reader() -> None:
    worker = BackendWorker("test-error")

    def make(stop: threading.Event) -> Iterator[int]:
        yield 1
        raise ValueError("model exploded")

    async def scenario() -> list[int]:
        got: list[int] = []
        with pytest.raises(ValueError, match="model exploded"):
            async for item in worker.stream(make):
                got.append(item)
        return got

    assert asyncio.run(scenario()) == [1]
    asyncio.run(worker.aclose())
