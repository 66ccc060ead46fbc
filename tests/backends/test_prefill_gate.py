"""The end-of-turn models wait out the chat model's prefill, uncounted, so it keeps all its threads.

Real BackendWorkers and the real SmolLM2; the gate is the process-wide PREFILL of
studio.backends.priority. Waits are on events and futures, never on the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest

from studio.backends.contracts import ChatMessage, ChatOptions
from studio.backends.priority import PREFILL, ForegroundGate
from studio.backends.workers import BackendWorker, busy_besides


class _WatchedGate(ForegroundGate):
    """A gate that says when a job has begun to wait on it."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()

    def step_aside(self, stop=None, limit=2.0) -> None:
        self.entered.set()
        super().step_aside(stop, limit)


def test_a_yielding_job_waits_while_the_gate_is_held_and_is_not_counted_as_running() -> None:
    gate = _WatchedGate()
    worker = BackendWorker("turn-yielding", yields_to=gate, wait_limit=30.0)
    ran = threading.Event()

    async def scenario() -> tuple[bool, bool, bool, bool]:
        gate.hold()
        job = asyncio.ensure_future(worker.run(ran.set))
        entered = await asyncio.to_thread(gate.entered.wait, 30)
        waiting = not ran.is_set()
        counted = busy_besides("chat-anyone")
        gate.release()
        await job
        return entered, waiting, counted, ran.is_set()

    try:
        entered, waiting, counted, finished = asyncio.run(scenario())
    finally:
        worker.shutdown()
    assert entered and waiting and finished
    assert not counted, "a job waiting for the prefill must not narrow the chat model's threads"


def test_a_yielding_job_waits_at_most_its_limit() -> None:
    gate = ForegroundGate()
    gate.hold()  # never released: the job must still run
    worker = BackendWorker("turn-bounded", yields_to=gate, wait_limit=0.05)
    try:
        assert asyncio.run(worker.run(lambda: "ran")) == "ran"
    finally:
        worker.shutdown()


def test_smollm_holds_the_gate_for_its_prefill_only(smollm, monkeypatch: pytest.MonkeyPatch) -> None:
    model = smollm._model
    held_at_forward: list[bool] = []
    forward = model.forward

    def observed(*args, **kwargs):
        held_at_forward.append(PREFILL.held)
        return forward(*args, **kwargs)

    monkeypatch.setattr(model, "forward", observed)
    messages = [ChatMessage("system", "Answer briefly."), ChatMessage("user", "Name three colours.")]

    async def reply() -> str:
        options = ChatOptions(max_tokens=6, temperature=0.0)
        async with contextlib.aclosing(smollm.stream_reply(messages, options)) as pieces:
            return "".join([piece async for piece in pieces])

    text = asyncio.run(reply())
    assert text.strip()
    assert held_at_forward[0] is True, "the prompt is read while PREFILL is held"
    assert not any(held_at_forward[1:]), f"released after the first token: {held_at_forward}"
    assert not PREFILL.held
