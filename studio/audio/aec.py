"""Acoustic echo cancellation: WebRTC's AEC3 takes the anchor's voice out of the host's mic.

The reference is exactly what the program device was handed (`OutputSink.sent`: the device's own
timeline, silence, fades and flushes included), resampled to 16 kHz. Reference and mic are paired
sample for sample from one alignment point, when the mic (re)starts delivering: its first samples
pair with what the program was handed while they were captured (`ReferenceTap.skip(back=...)`).
Every later pair is then "handed to the program" beside "heard by the mic" at about the same
moment, so each echo lies output latency + capture latency + the room's delay behind its
reference in the canceller's streams: always causal, and the same all show long. AEC3's delay
estimator finds that lag itself (measured here: full cancellation up to 500 ms, none at 600 ms).
The pairing must not float with the streams' start-up or block timing. It did: the reference
piled up (to 250 ms) while the program played before the mic's first samples came, and the
echo then reached the canceller 17-77 ms BEFORE its reference; AEC3 cannot model that, and
the device test (tests/audio/test_aec_devices.py) saw 5-15 dB taken off instead of ~59. So a mic
block waits for its reference until studio.audio.pairing moves the pairing early enough that it
no longer has to (before the first reply, within the output latency: still causal). It
waits MAX_WAIT_S at most: longer means the program device stopped, and silence stands in, as it
played. A reference more than MAX_LEAD_S ahead (the mic lost samples) is dropped back to the
mic's point, not kept ahead.
With no echo path at all (headphones) the raw mic goes on instead, after one blended block:
AEC3 hunting for an echo that never comes only suppresses the host (studio.audio.echo_path).
Library: pywebrtc-audio (Apache-2.0 binding around WebRTC's audio processing module, BSD-3); the
README's "Echo cancellation" section compares it with livekit's AudioProcessingModule.
Threading: the engine loop, inside `AudioIO.frames` (the input path's loop), never the PortAudio
callback; a 10 ms block costs ~0.25 ms of C with the GIL released.
"""

from __future__ import annotations

import logging

import numpy as np
import soxr

from studio.audio.echo_leak import EchoLeakCheck
from studio.audio.echo_path import EchoPathMeter
from studio.audio.formats import INPUT_SAMPLE_RATE
from studio.audio.pairing import ReferencePairing
from studio.audio.residual_echo import ResidualEchoWatch
from studio.audio.scope import SampleScope

BLOCK = INPUT_SAMPLE_RATE // 100  # AEC3 works on 10 ms blocks
log = logging.getLogger(__name__)
MAX_LEAD_S = 0.25  # reference queued ahead of the mic; more means the mic lost samples: realign
_RAMP = np.linspace(0.0, 1.0, BLOCK, dtype=np.float32)
MAX_WAIT_S = 0.25  # mic waiting for its reference; more means the program stopped: pad with silence


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

    def skip(self, back: int = 0) -> None:
        """Start again `back` samples (16 kHz) before what was sent last; older ones are forgotten.

        The input path aligns here with the mic's first samples: `back` is how many it just took.
        """
        rate = self._sent.sample_rate
        self._position = max(0, self._sent.end - round(back * rate / INPUT_SAMPLE_RATE))
        self._resampler = self._new_resampler()


class EchoCanceller:
    """Mic in, mic without the program's echo out, in whole 10 ms blocks (the rest waits); the mic
    as it is when there is no echo path to cancel (headphones: studio.audio.echo_path)."""

    def __init__(self) -> None:
        from pywebrtc_audio import AudioProcessor

        self._processor = AudioProcessor(
            sample_rate=INPUT_SAMPLE_RATE, echo_cancellation=True, high_pass_filter=True
        )
        self._reference = np.zeros(0, np.float32)
        self._mic = np.zeros(0, np.float32)
        self.reference_dropped = 0  # samples dropped because the mic lost some (realigned)
        self.reference_missing = 0  # samples of silence used because the program device stopped
        # How early the mic pairs with the reference: early enough that it never waits, no earlier
        # than causal (studio.audio.pairing); the input path keeps its output latency current.
        self.pairing = ReferencePairing(INPUT_SAMPLE_RATE)
        self._drop_owed = 0  # reference samples still to drop for a move to a later pairing
        # No echo path (headphones): the raw mic goes on, AEC3's cautious suppression would only
        # dull the host (studio.audio.echo_path); the canceller keeps running beside it.
        self.meter = EchoPathMeter(INPUT_SAMPLE_RATE)
        self._raw = False  # handing out the raw mic (no echo path), not the canceller's output
        # The program's voice still in the canceller's output (its delay jumped): its
        # level, for the echo gate to guard at (studio.audio.residual_echo); None while it holds.
        self.residual = ResidualEchoWatch(INPUT_SAMPLE_RATE)
        # The same, within a frame: is the output the program's echo right now (a sudden leak)?
        self.leak = EchoLeakCheck(INPUT_SAMPLE_RATE)

    def push_reference(self, samples: np.ndarray) -> None:
        """What the program device was handed since the last call, at 16 kHz."""
        if len(samples):
            self._reference = np.concatenate([self._reference, np.asarray(samples, np.float32)])
        if self._drop_owed:
            self._drop_reference(self._drop_owed)
        lead = len(self._reference) - len(self._mic)
        if lead > int(MAX_LEAD_S * INPUT_SAMPLE_RATE):  # the mic lost samples: realign at its point
            self._reference = self._reference[lead:]
            self.reference_dropped += lead

    def process(self, mic: np.ndarray) -> np.ndarray:
        """Cancel the echo in `mic` (16 kHz); returns the whole blocks whose reference has come, in
        order (the rest waits for it)."""
        self._mic = np.concatenate([self._mic, np.asarray(mic, np.float32)])
        if len(mic):
            self._move_pairing(self.pairing.observe(len(self._reference) - len(self._mic), len(mic)))
        behind = len(self._mic) - len(self._reference)
        if behind > int(MAX_WAIT_S * INPUT_SAMPLE_RATE):  # the program device stopped: it played silence
            self._reference = np.concatenate([self._reference, np.zeros(behind, np.float32)])
            self.reference_missing += behind
        usable = min(len(self._mic), len(self._reference))
        usable -= usable % BLOCK
        if usable == 0:
            return np.zeros(0, np.float32)
        near, self._mic = self._mic[:usable], self._mic[usable:]
        far, self._reference = self._reference[:usable], self._reference[usable:]
        cancelled = self._processor.process(np.ascontiguousarray(near), np.ascontiguousarray(far))
        self.pairing.hear(far)
        was = self.meter.echo_path
        if self.meter.push(near, far) is not was:
            log.info(
                "echo path %s",
                "heard in the mic: the canceller's output goes on"
                if self.meter.echo_path
                else "absent (headphones): the mic goes on as it is",
            )
        raw = self.meter.echo_path is False
        out = near if raw else cancelled
        if raw != self._raw:  # one block's crossfade: no step where the two signals meet
            before = cancelled if raw else near
            out = out.copy()
            out[:BLOCK] = before[:BLOCK] * (1.0 - _RAMP) + out[:BLOCK] * _RAMP
            self._raw = raw
        # Headphones: nothing to leak (the meter brings the canceller back if one comes).
        self.residual.push(out, None if raw else self.meter.analysed)
        self.leak.push(near, cancelled, far)
        return out

    def _move_pairing(self, move: int) -> None:
        """Pair the mic with reference handed `move` samples earlier (> 0) or later (< 0)."""
        if move > 0:  # the mic's next samples pair with silence, then with what was queued
            self._reference = np.concatenate([np.zeros(move, np.float32), self._reference])
        elif move < 0:
            self._drop_reference(-move)

    def _drop_reference(self, count: int) -> None:
        """Drop `count` reference samples from the head; what is not queued yet goes when it comes."""
        dropped = min(count, len(self._reference))
        self._reference = self._reference[dropped:]
        self._drop_owed = count - dropped

    def leaking(self) -> bool:
        """The output handed on holds the program's echo now (AEC3 lost it); never for the raw mic."""
        return not self._raw and self.leak.leaking()

    def reset(self) -> None:
        """Start again (the mic came back): drop queued audio and the learned echo path."""
        self._reference = np.zeros(0, np.float32)
        self._mic = np.zeros(0, np.float32)
        self._drop_owed = 0
        self.pairing.reset()
        self._processor.reset()
        self.meter.reset()
        self.residual.reset()
        self.leak.reset()
        self._raw = False
