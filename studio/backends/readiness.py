"""Preflight: whether a backend can serve before its stage says "ready" (server up, model served/pulled).

A backend that talks to a server offers `async preflight()`, which raises `NotReady` with the
reason and the fix; the stack starts that stage degraded or down instead of failing, and the
stage's health re-checks (the same preflight) turn it ready once the server or model appears.
Threading: coroutines on the engine loop; `NotReady` is a plain exception.
"""

from __future__ import annotations

from typing import Literal

NotReadyState = Literal["degraded", "down"]


class NotReady(RuntimeError):
    """Why a stage cannot serve yet; `state` is the light it starts with, `action` the in-app fix."""

    def __init__(self, reason: str, *, state: NotReadyState = "down", action: str = "") -> None:
        super().__init__(reason)
        self.reason, self.state, self.action = reason, state, action


async def passes(backend: object) -> bool:
    """True when `backend` has no preflight or its preflight passes now (never raises NotReady)."""
    check = getattr(backend, "preflight", None)
    if check is None:
        return True
    try:
        await check()
    except NotReady:
        return False
    return True
