"""Acoustic echo cancellation: WebRTC's AEC3 takes the anchor's voice out of the host's mic.

The reference is exactly what the program device was handed (`OutputSink.sent`: the device's own
timeline, silence, fades and flushes included), resampled to 16 kHz. The input path reads it
right after taking the mic's new samples, so every reference sample reaches the canceller before
its echo can: a sample the device was given has not even left the speaker yet. AEC3's delay
estimator then finds the lag itself (measured here: full cancellation up to 500 ms, none at
600 ms), so the reference queue is kept under MAX_LEAD_S.
Library: pywebrtc-audio (Apache-2.0 binding around WebRTC's audio processing module, BSD-3); the
README's "Echo cancellation" section compares it with livekit's AudioProcessingModule.
Threading: the engine loop, inside `AudioIO.frames` (the input path's loop), never the PortAudio
callback; a 10 ms block costs ~0.25 ms of C with the GIL released.
"""

from __future__ import annotations

import numpy as np
import soxr

from studio.audio.formats import INPUT_SAMPLE_RATE
from studio.audio.scope import SampleScope

BLOCK = INPUT_SAMPLE_RATE // 100  # AEC3 works on 10 ms blocks
MAX_LEAD_S = 0.25  # reference queued ahead of the mic; more means the mic stalled: drop the oldest


class ReferenceTap:
    """Reads what a sink handed its device since the last read, at 16 kHz (one reader only)."""

    def __init__(self, sent: SampleScope) -> None:
        self._sent = sent
        self._position = sent.end
        self._resampler = self._new_resampler()

    def _new_resampler(self) -> soxr.ResampleStream | None:
        rate = self._sent.sample_rate
        if rate == INPUT_SAMPLE_RATE:
            return None
        return soxr.ResampleStream(rate, INPUT_SAMPLE_RATE, 1, dtype="float32", quality="HQ")

    def take(self) -> np.ndarray:
        """The samples sent since the last call (the oldest are lost if the scope lapped us)."""
        end = self._sent.end
        block = self._sent.window(end - self._position, end=end)
        self._position = end
        if self._resampler is None:
            return block
        return self._resampler.resample_chunk(block)

    def skip(self) -> None:
        """Forget everything sent so far (the mic was away: alignment starts again)."""
        self._position = self._sent.end
        self._resampler = self._new_resampler()


class EchoCanceller:
    """Mic in, mic without the program's echo out, in whole 10 ms blocks (the rest waits)."""

    def __init__(self) -> None:
        from pywebrtc_audio import AudioProcessor

        self._processor = AudioProcessor(
            sample_rate=INPUT_SAMPLE_RATE, echo_cancellation=True, high_pass_filter=True
        )
        self._reference = np.zeros(0, np.float32)
        self._mic = np.zeros(0, np.float32)
        self.reference_dropped = 0  # samples dropped because the mic fell behind
        self.reference_missing = 0  # samples of silence used because the reference fell behind

    def push_reference(self, samples: np.ndarray) -> None:
        """What the program device was handed since the last call, at 16 kHz."""
        if len(samples):
            self._reference = np.concatenate([self._reference, np.asarray(samples, np.float32)])
        excess = len(self._reference) - int(MAX_LEAD_S * INPUT_SAMPLE_RATE) - len(self._mic)
        if excess > 0:
            self._reference = self._reference[excess:]
            self.reference_dropped += excess

    def process(self, mic: np.ndarray) -> np.ndarray:
        """Cancel the echo in `mic` (16 kHz); returns the whole blocks ready, in order."""
        self._mic = np.concatenate([self._mic, np.asarray(mic, np.float32)])
        usable = len(self._mic) - len(self._mic) % BLOCK
        if usable == 0:
            return np.zeros(0, np.float32)
        near, self._mic = self._mic[:usable], self._mic[usable:]
        far = self._reference[:usable]
        self._reference = self._reference[len(far) :]
        if len(far) < usable:
            self.reference_missing += usable - len(far)
            far = np.concatenate([far, np.zeros(usable - len(far), np.float32)])
        return self._processor.process(np.ascontiguousarray(near), np.ascontiguousarray(far))

    def reset(self) -> None:
        """Start again (the mic came back): drop queued audio and the learned echo path."""
        self._reference = np.zeros(0, np.float32)
        self._mic = np.zeros(0, np.float32)
        self._processor.reset()
