"""The TTS stage's voice check: before it says "ready", its server has (or is given) the current voice.

A synthesizer whose server must hold the voice (higgs: `ensure_voice`, which uploads the profile's
reference clip when the host lacks it) is checked with the anchor's current voice when the stack
is supervised, after every voice switch, and in each re-check of a stage that is not ready. A voice
that cannot be made available turns the stage amber with the backend's reason (the voice, the host,
why, the fix) and captions stand in; a stock voice, or a backend without `ensure_voice`, passes.
Threading: engine loop only (the check is a task on it; the voice getter is read there).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from studio.backends.readiness import NotReady, voice_passes
from studio.engine.events import StageStatusChanged
from studio.engine.supervisor import Probe, Publish, StageHealth, describe_error
from studio.voices.profile import VoiceProfile

log = logging.getLogger(__name__)
MIN_CHECK_S = 5.0  # an upload may take longer than one audio chunk: the check waits at least this long


def with_voice(probe: Probe, backend: object, voice: Callable[[], VoiceProfile]) -> Probe:
    """`probe`, then the backend's voice check with the voice current at that moment."""

    async def checked() -> bool:
        return await probe() and await voice_passes(backend, voice())

    return checked


class VoiceCheck:
    """Runs the TTS backend's `ensure_voice` for the current voice and says the outcome on the stage."""

    def __init__(
        self,
        backend: object,
        health: StageHealth,
        voice: Callable[[], VoiceProfile],
        publish: Publish,
        timeout: float,
    ) -> None:
        self._ensure = getattr(backend, "ensure_voice", None)
        self._health, self._voice, self._publish = health, voice, publish
        self._timeout = max(timeout, MIN_CHECK_S)
        self._task: asyncio.Task[None] | None = None

    @property
    def needed(self) -> bool:
        """True when the backend's server must hold the voice (it has `ensure_voice`)."""
        return self._ensure is not None

    def start(self) -> None:
        """Check the current voice now (the stack was wrapped, or the voice changed); loop only."""
        if self._ensure is None:
            return
        if self._health.bypassed:  # its re-checks include the voice: ask them to run at once
            self._health.check_now()
            return
        if self._task is not None:
            self._task.cancel()  # an older voice's check: only the current voice matters
        with contextlib.suppress(RuntimeError):  # no running loop: nobody to check for
            self._task = asyncio.get_running_loop().create_task(self._check())

    async def _check(self) -> None:
        """Ready with the voice named, or not ready with why (the re-checks keep trying the voice)."""
        assert self._ensure is not None
        voice, health = self._voice(), self._health
        try:
            async with asyncio.timeout(self._timeout):
                await self._ensure(voice)
        except NotReady as exc:
            problem: tuple[str, str, str] | None = (exc.state, exc.reason, exc.action)
        except TimeoutError:
            problem = (
                "degraded",
                f"voice {voice.name!r}: {health.backend} did not answer within {self._timeout:g} s",
                "",
            )
        except Exception as exc:  # a backend bug must not stay silent, nor leave the stage unsaid
            problem = ("degraded", f"voice {voice.name!r} could not be checked: {describe_error(exc)}", "")
        else:
            problem = None
        if health.bypassed:  # something else turned it amber meanwhile; its re-checks carry on
            return
        if problem is not None:
            health.not_ready(*problem)  # type: ignore[arg-type]
            return
        log.info("tts: voice %r is on the server", voice.name)
        detail = f"voice {voice.name!r} on the server"
        self._publish(StageStatusChanged("tts", health.backend, "ready", detail))

    async def aclose(self) -> None:
        """Stop a check in flight (the stack is being replaced or the studio closes)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
