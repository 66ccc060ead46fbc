"""The chat model takes one torch thread while another model worker runs, all of them otherwise.

Real BackendWorkers holding a job open on an event (no clock); torch's real thread count.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import torch

from studio.backends.contracts import ChatMessage, ChatOptions
from studio.backends.thread_share import ThreadShare
from studio.backends.workers import BackendWorker, busy_besides


async def _while_busy(worker: BackendWorker, during):
    """Run `during()` while `worker` is inside a job; the job ends after it."""
    inside, leave = threading.Event(), threading.Event()

    def job() -> None:
        inside.set()
        leave.wait(30)

    running = asyncio.ensure_future(worker.run(job))
    await asyncio.to_thread(inside.wait, 30)
    try:
        return await during()
    finally:
        leave.set()
        await running


def test_one_thread_while_another_worker_runs_and_all_again_after() -> None:
    before = torch.get_num_threads()
    share = ThreadShare(2, "chat-test")
    other = BackendWorker("turn-test")

    async def scenario() -> tuple[bool, int, bool, int]:
        async def during() -> tuple[bool, int]:
            return busy_besides("chat-test"), share.choose()

        busy, narrowed = await _while_busy(other, during)
        return busy, narrowed, busy_besides("chat-test"), share.choose()

    try:
        busy, narrowed, busy_after, after = asyncio.run(scenario())
        own_job_counts = asyncio.run(_own_job_is_not_another(share))
    finally:
        torch.set_num_threads(before)
        other.shutdown()
    assert busy and narrowed == 1 and share.narrowed_steps >= 1
    assert not busy_after and after == 2
    assert own_job_counts == 2  # its own worker being busy is the chat model itself


async def _own_job_is_not_another(share: ThreadShare) -> int:
    own = BackendWorker(share.own_worker)

    async def during() -> int:
        return share.choose()

    try:
        return await _while_busy(own, during)
    finally:
        own.shutdown()


def test_the_chat_model_narrows_while_a_model_beside_it_works(smollm) -> None:
    other = BackendWorker("stt-test")
    before = smollm.thread_share.narrowed_steps
    messages = [ChatMessage("system", "Answer briefly."), ChatMessage("user", "Name three colours.")]

    async def reply() -> str:
        options = ChatOptions(max_tokens=8, temperature=0.0)
        async with contextlib.aclosing(smollm.stream_reply(messages, options)) as pieces:
            return "".join([piece async for piece in pieces])

    try:
        text = asyncio.run(_while_busy(other, reply))
    finally:
        other.shutdown()
    assert text.strip() and smollm.thread_share.narrowed_steps - before >= 2  # the prefill, a token
