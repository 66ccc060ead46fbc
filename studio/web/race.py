"""The first of a connection's tasks to end decides how it closes; the others are cancelled.

Threading: the web layer's loop (studio.web.server), like the sockets that use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


async def first_to_finish(tasks: Iterable[asyncio.Task[Any]]) -> asyncio.Task[Any]:
    """Wait until one of `tasks` ends, cancel and await the rest (also if we are cancelled); the one."""
    pending = list(tasks)
    try:
        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return next(iter(done))
