"""Plays a short clip (a voice reference, a TTS preview) to the host's ears, never to the program output.

Threading: `play`/`stop` are called from the Qt main thread and return at once; the device is
opened and closed on the player's own worker thread. The PortAudio callback only copies from a
preallocated buffer. The returned future resolves on a PortAudio or worker thread: relay it to
the GUI (see studio.ui.main_thread).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import sys
from typing import Any, Protocol

import numpy as np
import soxr

PREVIEW_LATENCY_MS = 120  # a preview may start late but must never stutter on a busy machine


class PlaybackUnavailable(RuntimeError):
    """No output device could play the clip; the message says why."""


class Player(Protocol):
    """Something that plays mono float32 audio; tests record what they were given instead."""

    def play(self, samples: np.ndarray, rate: int) -> concurrent.futures.Future[None]:
        """Start playing (stopping any clip still playing); the future resolves when it ends."""
        ...

    def stop(self) -> None: ...


class _Playback:
    """One clip on one stream: the callback copies the next block and stops at the end."""

    def __init__(self, frames: np.ndarray, done: concurrent.futures.Future[None], stop_exc: type) -> None:
        self.frames, self.done, self._stop_exc = frames, done, stop_exc
        self.position = 0
        self.stream: Any = None

    def callback(self, outdata: np.ndarray, frames: int, _time: Any, _status: Any) -> None:
        count = min(frames, len(self.frames) - self.position)
        outdata[:count] = self.frames[self.position : self.position + count]
        outdata[count:] = 0.0
        self.position += count
        if self.position >= len(self.frames):
            raise self._stop_exc

    def finished(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


class ClipPlayer:
    """Plays through sounddevice on the named output (None: the system default output)."""

    def __init__(self, device_name: str | None = None) -> None:
        self.device_name = device_name
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="clip-player")
        self._current: _Playback | None = None
        self._pulse: Any = None

    def play(self, samples: np.ndarray, rate: int) -> concurrent.futures.Future[None]:
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        clip = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
        self._worker.submit(self._start, clip, int(rate), done)
        return done

    def stop(self) -> None:
        self._worker.submit(self._close_current)

    def shutdown(self) -> None:
        """Stop playing and let the worker thread end (the player cannot be used afterwards)."""
        self.stop()
        self._worker.submit(self._close_pulse)
        self._worker.shutdown(wait=False)

    # ----- worker thread ------------------------------------------------------------------------
    def _start(self, clip: np.ndarray, rate: int, done: concurrent.futures.Future[None]) -> None:
        self._close_current()
        try:
            import sounddevice

            from studio.audio.devices import AudioDeviceError, find_device, list_devices
            from studio.audio.streams import channels_for, open_stream
        except (ImportError, OSError) as exc:  # no PortAudio library on this machine
            done.set_exception(PlaybackUnavailable(f"audio output is not available here ({exc})"))
            return
        try:
            if sys.platform.startswith("linux") and self._pulse is None:
                from studio.audio.pulse import PulseControl

                self._pulse = PulseControl("ai-anchor-studio-preview")
            device = find_device(self.device_name, "output", list_devices(self._pulse))
            channels = channels_for(device)
            if device.rate != rate:
                clip = soxr.resample(clip, rate, device.rate).astype(np.float32)
            frames = np.repeat(clip[:, None], channels, axis=1)
            playback = _Playback(frames, done, sounddevice.CallbackStop)
            pulse = self._pulse if device.backend == "pulse" else None
            playback.stream, _ = open_stream(
                device,
                playback.callback,
                playback.finished,
                channels=channels,
                pulse=pulse,
                latency_ms=PREVIEW_LATENCY_MS,
            )
        except (AudioDeviceError, OSError) as exc:
            done.set_exception(PlaybackUnavailable(str(exc)))
            return
        self._current = playback

    def _close_current(self) -> None:
        playback, self._current = self._current, None
        if playback is None or playback.stream is None:
            return
        with contextlib.suppress(Exception):
            playback.stream.abort()
        with contextlib.suppress(Exception):
            playback.stream.close()
        playback.finished()

    def _close_pulse(self) -> None:
        if self._pulse is not None:
            self._pulse.close()
            self._pulse = None
