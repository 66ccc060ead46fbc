"""The embedded chat model's CPU threads: all it was given alone, one while another model works.

PyTorch runs each step of SmolLM2 on its OpenMP threads, which wait for one another at the end of
every step. On two cores, with another model busy on one of them (Smart Turn as the reply starts,
Piper voicing later clauses, Whisper hearing a barge-in), the thread that shares its core holds up
the other at every step: measured on our 2-core VM, 8 tokens took 1446 ms on two threads beside
Smart Turn against 576 ms on one (290 and 409 ms with nothing beside it). So before each token
the chat model takes one thread while any other model worker is running (or waiting to start
once its prefill is over: studio.backends.priority.PREFILL), else all of them.
Threading: `choose` runs in the chat model's generate thread (torch's thread count is global).
"""

from __future__ import annotations

from studio.backends.priority import PREFILL
from studio.backends.workers import busy_besides


class ThreadShare:
    """Picks the chat model's torch thread count between its tokens."""

    def __init__(self, threads: int, own_worker: str) -> None:
        self.threads, self.own_worker = threads, own_worker
        self.narrowed_steps = 0  # steps run on one thread (for tests and traces)

    def choose(self) -> int:
        """Set torch's thread count for the next step: 1 beside another model, else `threads`."""
        import torch

        # A job waiting out the prefill starts as soon as it ends: count it as working already.
        beside = busy_besides(self.own_worker) or PREFILL.waiting > 0
        wanted = 1 if self.threads > 1 and beside else self.threads
        self.narrowed_steps += wanted < self.threads
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)
        return wanted
