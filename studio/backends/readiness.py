"""Preflight: whether a backend can serve before its stage says "ready" (server up, model served/pulled).

A backend that talks to a server offers `async preflight()`, which raises `NotReady` with the
reason and the fix; the stack starts that stage degraded or down instead of failing, and the
stage's health re-checks (the same preflight) turn it ready once the server or model appears.
A speech backend whose server must hold the voice (higgs) also offers `async ensure_voice(voice)`:
the supervisor runs it with the current voice before the TTS stage says "ready", after a voice
switch, and in every re-check; it raises `NotReady` (amber, action VOICE_ACTION) when the voice
cannot be made available.
Threading: coroutines on the engine loop; `NotReady` is a plain exception.
"""

from __future__ import annotations

from typing import Literal

from studio.voices.profile import VoiceProfile

NotReadyState = Literal["degraded", "down"]
VOICE_ACTION = "voice"  # NotReady.action: the fix is in the voice manager (the stage stays amber meanwhile)


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


async def voice_passes(backend: object, voice: VoiceProfile) -> bool:
    """True when `backend` needs no voice on its server or `ensure_voice` makes it available now."""
    check = getattr(backend, "ensure_voice", None)
    if check is None:
        return True
    try:
        await check(voice)
    except NotReady:
        return False
    return True
