"""The show's audio devices: opened and reopened off the loop, their changes published in order.

Threading: `open`/`close` run the blocking AudioIO work in a worker thread; device changes come
from AudioIO's "audio-watch" thread and hop onto the show's loop before they are published.
`is_echo` runs on the loop once per mic frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from studio.config import Settings
from studio.show.events import AudioFailed, AudioOpened, DeviceChanged, ShowEvent

log = logging.getLogger(__name__)
AudioFactory = Callable[[Settings], Any]  # settings → studio.audio.io.AudioIO (raises AudioDeviceError)


class ShowAudio:
    """The open AudioIO (or none), and the echo check the engine asks about every mic frame."""

    def __init__(
        self, factory: AudioFactory | None, publish: Callable[[ShowEvent], None], strict: bool
    ) -> None:
        self._factory, self._publish, self._strict = factory, publish, strict
        self.current: Any = None

    async def open(self, settings: Settings) -> Any:
        """New devices for `settings` (not yet in use); None without a factory or when none open."""
        if self._factory is None:
            return None
        try:
            device = await asyncio.to_thread(self._factory, settings)
        except Exception as exc:  # no server, unknown device, device busy: the show still runs
            if self._strict:
                raise
            self._publish(AudioFailed(str(exc)))
            return None
        loop = asyncio.get_running_loop()

        def changed(event: Any) -> None:  # audio-watch thread
            fact = DeviceChanged(event.role, event.device, event.kind, event.message())
            with contextlib.suppress(RuntimeError):  # the loop closed: the show is over
                loop.call_soon_threadsafe(self._publish, fact)

        device.subscribe(changed)
        self._publish(AudioOpened(device.stats()))
        return device

    @property
    def opens_devices(self) -> bool:
        """False for a show without devices (benches, tests): no echo check per frame then."""
        return self._factory is not None

    def install(self, device: Any) -> Any:
        """Make `device` the one in use; returns the previous one (to close once nothing uses it)."""
        previous, self.current = self.current, device
        return previous

    def is_echo(self, frame: np.ndarray) -> bool:
        """True for a mic frame that holds only the anchor's own voice (the engine's echo filter)."""
        gate = getattr(self.current, "echo_gate", None)
        if gate is None or gate.is_echo(frame):
            return gate is not None
        # The gate let it through; a canceller that lost the echo a moment ago may be passing it on.
        canceller = getattr(self.current, "canceller", None)
        return canceller is not None and canceller.leaking()

    def stats(self) -> dict | None:
        """AudioIO.stats() of the devices in use, or None."""
        return self.current.stats() if self.current is not None else None

    @staticmethod
    async def close(device: Any) -> None:
        """Close `device` off the loop (idempotent; None is nothing to close)."""
        if device is not None:
            await asyncio.to_thread(device.close)
