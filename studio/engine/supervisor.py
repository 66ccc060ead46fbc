"""Keeps a misbehaving backend from stopping the show: bounded calls, stage health, self-recovery.

A call that raises, hangs past its stage's timeout or returns garbage becomes a `StageFault`;
the stage's `StageHealth` turns degraded (its fallback takes over), re-checks the backend in the
background with exponential backoff, and turns ready again by itself once the check passes.
Threading: everything runs on the engine's asyncio loop. Backend work that ignores cancellation
(a model in its own thread) is left to finish in the background, never awaited past a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from studio.engine.events import StageState, StageStatusChanged

log = logging.getLogger(__name__)
T = TypeVar("T")

CLOSE_GRACE_S = 2.0  # how long a cancelled backend call may take to wind down before it is left behind
DOWN_AFTER_CHECKS = 3  # failed re-checks after which a degraded stage is reported down
_left_behind: set[asyncio.Future[Any]] = set()  # strong references to work we stopped waiting for


class StageFault(RuntimeError):
    """A stage failed one call: it raised, hung past its timeout, or returned garbage."""

    def __init__(self, stage: str, reason: str, *, retryable: bool = False) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage, self.reason, self.retryable = stage, reason, retryable


def describe_error(error: BaseException) -> str:
    """One short line for a backend's exception (type and first line of its message)."""
    text = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _leave_behind(future: asyncio.Future[Any], stage: str) -> None:
    """Stop waiting for `future` but keep it referenced until it ends (its errors are only logged)."""
    _left_behind.add(future)

    def reap(done: asyncio.Future[Any]) -> None:
        _left_behind.discard(done)
        if not done.cancelled() and done.exception() is not None:
            log.debug("%s: abandoned call ended with %s", stage, describe_error(done.exception()))

    future.add_done_callback(reap)


async def _wind_down(future: asyncio.Future[Any], stage: str) -> None:
    """Cancel `future` and give it CLOSE_GRACE_S to finish; after that it runs on unobserved."""
    if future.done():
        return
    future.cancel()
    await asyncio.wait({future}, timeout=CLOSE_GRACE_S)
    if not future.done():
        log.warning("%s: backend ignored cancellation for %.1f s; left running", stage, CLOSE_GRACE_S)
        _leave_behind(future, stage)


async def bounded_call(stage: str, make: Callable[[], Awaitable[T]], timeout: float) -> T:
    """`await make()` within `timeout` seconds; any failure becomes a StageFault.

    The call runs in its own task, so a backend that ignores cancellation cannot hold us past
    the deadline. Cancelling the caller cancels the call (and does not wait for it).
    """
    task = asyncio.ensure_future(make())
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        task.cancel()
        _leave_behind(task, stage)
        raise
    if not done:
        task.cancel()
        _leave_behind(task, stage)
        raise StageFault(stage, f"no answer within {timeout:g} s")
    try:
        return task.result()
    except StageFault:
        raise
    except Exception as exc:
        raise StageFault(stage, describe_error(exc), retryable=True) from exc


class _End:
    """Marks the end of a pumped stream."""


class _Failed:
    def __init__(self, error: Exception) -> None:
        self.error = error


async def _pump(stream: AsyncIterator[T], demand: asyncio.Queue[None], out: asyncio.Queue[Any]) -> None:
    """Pull one item per demand from `stream`, always in this one task (cancel scopes stay valid)."""
    async with contextlib.aclosing(stream):  # type: ignore[type-var]
        while True:
            await demand.get()
            try:
                item = await anext(stream)
            except StopAsyncIteration:
                out.put_nowait(_End)
                return
            except Exception as exc:
                out.put_nowait(_Failed(exc))
                return
            out.put_nowait(item)


async def bounded_stream(
    stage: str, make: Callable[[], AsyncIterator[T]], first_timeout: float, next_timeout: float
) -> AsyncIterator[T]:
    """Items of `make()`, each within its deadline (the first may take longer); failures → StageFault.

    Items are pulled on demand, as the consumer asks, so closing this iterator early stops the
    backend exactly where a direct iteration would. The backend's stream lives in one helper task;
    closing cancels that task and waits at most CLOSE_GRACE_S for it.
    """
    demand: asyncio.Queue[None] = asyncio.Queue()
    out: asyncio.Queue[Any] = asyncio.Queue()
    pump = asyncio.ensure_future(_pump(make(), demand, out))
    first = True
    try:
        while True:
            demand.put_nowait(None)
            timeout = first_timeout if first else next_timeout
            try:
                async with asyncio.timeout(timeout):
                    item = await out.get()
            except TimeoutError:
                which = "first answer" if first else "next piece"
                raise StageFault(stage, f"no {which} within {timeout:g} s") from None
            if item is _End:
                return
            if isinstance(item, _Failed):
                raise StageFault(stage, describe_error(item.error), retryable=True) from item.error
            first = False
            yield item
    finally:
        await _wind_down(pump, stage)


Probe = Callable[[], Awaitable[bool]]
Publish = Callable[[StageStatusChanged], None]


class StageHealth:
    """Health of one stage: ready, or degraded/down with its fallback in use and re-checks running."""

    def __init__(
        self,
        stage: str,
        backend: str,
        fallback: str,
        probe: Probe,
        publish: Publish,
        check_timeout: float,
        first_check_s: float,
        max_check_s: float,
    ) -> None:
        self.stage, self.backend, self.fallback = stage, backend, fallback
        self._probe, self._publish = probe, publish
        self._check_timeout = check_timeout
        self._first_check_s, self._max_check_s = first_check_s, max(first_check_s, max_check_s)
        self.state: StageState = "ready"
        self.failures = 0
        self.recoveries = 0
        self._since = 0.0
        self._monitor: asyncio.Task[None] | None = None
        self._action = ""  # set while the stage waits for the host to act (e.g. pull the model)
        self._wake = asyncio.Event()  # set: re-check now instead of after the backoff

    @property
    def bypassed(self) -> bool:
        """True while the stage is not ready: callers use its fallback instead of the backend."""
        return self.state != "ready"

    def failed(self, fault: StageFault) -> None:
        """Record a failed call; the first failure turns the stage degraded and starts re-checks."""
        self.failures += 1
        log.warning("%s (%s) failed: %s", self.stage, self.backend, fault.reason)
        if self.state != "ready":
            return
        self._since = time.monotonic()
        self._set("degraded", f"{fault.reason}; {self.fallback}")
        with contextlib.suppress(RuntimeError):  # no running loop: nobody to re-check for
            self._monitor = asyncio.get_running_loop().create_task(self._recheck())

    def not_ready(self, state: StageState, reason: str, action: str = "") -> None:
        """The stage starts without its backend (it could not load, or its server does not serve
        its model yet): `state` with the reason and the fallback; re-checks turn it ready later."""
        log.warning("%s (%s) starts %s: %s", self.stage, self.backend, state, reason)
        self._since, self._action = time.monotonic(), action
        self._set(state, f"{reason}; {self.fallback}")
        with contextlib.suppress(RuntimeError):  # no running loop: nobody to re-check for
            self._monitor = asyncio.get_running_loop().create_task(self._recheck())

    def check_now(self) -> None:
        """Re-check at once (the host just pulled the model or started the server); loop only."""
        self._wake.set()

    def succeeded(self) -> None:
        """A real call worked: a degraded stage is ready again (the re-checks stop)."""
        if self.state != "ready":
            self._recovered()

    def _recovered(self) -> None:
        self.recoveries += 1
        if self._monitor is not None and self._monitor is not asyncio.current_task():
            self._monitor.cancel()
        self._monitor, self._action = None, ""
        self._set("ready", f"recovered after {time.monotonic() - self._since:.1f} s")

    def _set(self, state: StageState, detail: str) -> None:
        self.state = state
        self._publish(StageStatusChanged(self.stage, self.backend, state, detail, self._action))

    async def _recheck(self) -> None:
        """Probe the backend with backoff until it answers; then the stage is ready again."""
        delay, failed_checks = self._first_check_s, 0
        while self.state != "ready":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()
            try:
                healthy = await bounded_call(self.stage, self._probe, self._check_timeout)
                reason = "health check said unhealthy"
            except StageFault as fault:
                healthy, reason = False, fault.reason
            if healthy is True:
                self._recovered()
                return
            failed_checks += 1
            if failed_checks == DOWN_AFTER_CHECKS and self.state == "degraded" and not self._action:
                self._set("down", f"{reason}; still failing after {failed_checks} checks; {self.fallback}")
            delay = min(delay * 2, self._max_check_s)

    async def aclose(self) -> None:
        """Stop the re-checks (the studio is closing)."""
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
            self._monitor = None
