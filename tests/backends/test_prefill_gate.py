"""The end-of-turn models and Whisper wait out the chat model's prefill, uncounted, so it keeps its threads.

Real BackendWorkers and the real SmolLM2; the gate is the process-wide PREFILL of
studio.backends.priority. Waits are on events and futures, never on the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest
import torch

from studio.backends import thread_share
from studio.backends.contracts import ChatMessage, ChatOptions
from studio.backends.priority import PREFILL, ForegroundGate
from studio.backends.thread_share import ThreadShare
from studio.backends.workers import _RUNNING, BackendWorker


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
        waiting = not ran.is_set() and gate.waiting == 1
        counted = _RUNNING.get("turn-yielding", 0) > 0
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
    gate.hold()  # never released: the job must still run, after its own limit (not the gate's 2 s)
    worker = BackendWorker("turn-bounded", yields_to=gate, wait_limit=0.05)
    try:
        assert asyncio.run(asyncio.wait_for(worker.run(lambda: "ran"), 1.5)) == "ran"
    finally:
        worker.shutdown()


def test_the_chat_model_narrows_for_a_job_about_to_start_after_its_prefill(monkeypatch) -> None:
    gate = _WatchedGate()
    monkeypatch.setattr(thread_share, "PREFILL", gate)
    share = ThreadShare(2, "chat-test")
    worker = BackendWorker("turn-waiting", yields_to=gate, wait_limit=30.0)
    before = torch.get_num_threads()

    async def scenario() -> tuple[int, int]:
        leave = threading.Event()
        gate.hold()
        job = asyncio.ensure_future(worker.run(leave.wait, 30))
        await asyncio.to_thread(gate.entered.wait, 30)
        gate.release()  # the first token is out: the job is still waiting, or has just started
        narrowed = share.choose()
        leave.set()
        await job
        return narrowed, share.choose()

    try:
        narrowed, after = asyncio.run(scenario())
    finally:
        worker.shutdown()
        torch.set_num_threads(before)
    assert narrowed == 1, "the step right after the prefill already shares the cores"
    assert after == 2


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


def test_whisper_waits_out_a_prefill_then_recognises(whisper, monkeypatch: pytest.MonkeyPatch) -> None:
    """The line's check after a reply begun where the voice faded runs after that reply's prefill."""
    from tests.speech import piper_speech

    entered = threading.Event()
    step_aside = PREFILL.step_aside

    def watched(stop=None, limit=2.0) -> None:
        entered.set()
        step_aside(stop, limit)

    monkeypatch.setattr(PREFILL, "step_aside", watched)
    clip = piper_speech("Good evening and welcome to the late show.")

    async def scenario() -> tuple[bool, str]:
        PREFILL.hold()
        try:
            job = asyncio.ensure_future(whisper.recognise(clip))
            await asyncio.to_thread(entered.wait, 30)
            waited = not job.done() and PREFILL.waiting == 1
        finally:
            PREFILL.release()
        return waited, await job

    waited, text = asyncio.run(scenario())
    assert waited
    assert "late show" in text.lower()
