"""Reference-gated echo detector: the anchor's own voice in the mic is not the host speaking.

No echo canceller from PyPI installs here as a maintained wheel (speexdsp/webrtc bindings are
old sdists), so this predicts the echo's level instead of subtracting its waveform: the program
feed that played alongside each mic frame is the reference; the speaker-to-mic delay and coupling
are learned from the energy envelopes (cross-correlation of 8 ms log energies), and a mic frame
counts as host speech only where its energy stands clearly above the predicted echo.
The prediction takes the loudest reference within ±2 hops of the delay plus a fading tail, so it
covers delay jitter; the coupling is a quantile of every strong hop's mic-minus-reference gap over
the last ~16 s (clamped to -45..0 dB), never a statistic of the hops the gate already calls echo
(that feeds on itself: it sank to -35 dB for a -20 dB leak and let the echo through).
Threading: engine loop only (`push_reference` from the mic frame source, `is_echo` from the
engine's frame handler, in the same frame order).
"""

from __future__ import annotations

from collections import deque

import numpy as np

HOPS_PER_FRAME = 4
HISTORY_HOPS = 256  # ~2 s of 8 ms hops at 16 kHz / 512-sample frames
FLOOR_DB = -90.0
ACTIVE_DB = -55.0  # reference quieter than this plays no audible echo
STRONG_DB = ACTIVE_DB + 15  # reference hops loud enough to show the echo's level in the mic
GAP_HOPS = 2048  # the echo's level is learned from the last ~16 s of strong reference hops
MIN_GAPS = 200
SETTLE_LEARNS = 32  # a new delay must win this many learning steps in a row (one per 4 frames)
COUPLING_QUANTILE = 75.0  # robust to the host talking over up to ~1/4 of those hops
COUPLING_RANGE_DB = (-45.0, 0.0)


def hop_db(samples: np.ndarray, hops: int = HOPS_PER_FRAME) -> np.ndarray:
    """Mean-square level in dB of `hops` equal parts of `samples` (silence if empty)."""
    if len(samples) < hops:
        return np.full(hops, FLOOR_DB)
    usable = len(samples) - len(samples) % hops
    power = np.mean(np.square(samples[:usable].reshape(hops, -1), dtype=np.float64), axis=1)
    return np.maximum(FLOOR_DB, 10 * np.log10(power + 1e-12))


class EchoGate:
    """Says whether a mic frame holds only the anchor's echo (so it must not start a turn)."""

    def __init__(
        self,
        max_delay_ms: float = 400.0,
        margin_db: float = 3.0,
        default_coupling_db: float = -6.0,
        frame_ms: float = 32.0,
    ) -> None:
        hop_ms = frame_ms / HOPS_PER_FRAME
        self.max_lag = int(max_delay_ms / hop_ms)
        self.tail_hops = int(80 / hop_ms)  # room reverberation after the direct echo
        self.margin_db = margin_db
        self.coupling_db = default_coupling_db  # until learned: assume a loud leak (Geigel-like)
        # Set while the echo canceller in front lets the program through (its measured level):
        # the gate then predicts at least that much echo, along every delay it may have now.
        self.coupling_floor_db: float | None = None
        self.delay_hops: int | None = None
        self._candidate_hops: int | None = None
        self._candidate_wins = 0
        self._references: deque[np.ndarray] = deque(maxlen=64)
        self._mic = np.full(HISTORY_HOPS, FLOOR_DB)
        self._ref = np.full(HISTORY_HOPS, FLOOR_DB)
        self._gaps: deque[float] = deque(maxlen=GAP_HOPS)
        self._new_hops = 0
        self._frames = 0
        self.suppressed_frames = 0

    def push_reference(self, samples: np.ndarray) -> None:
        """The program audio that left the output while the next mic frame was captured."""
        self._references.append(hop_db(np.asarray(samples, dtype=np.float32)))

    def is_echo(self, frame: np.ndarray) -> bool:
        """True when the frame is explained by the anchor's own voice (call once per frame)."""
        reference = self._references.popleft() if self._references else np.full(HOPS_PER_FRAME, FLOOR_DB)
        mic = hop_db(np.asarray(frame, dtype=np.float32))
        self._mic = np.roll(self._mic, -HOPS_PER_FRAME)
        self._ref = np.roll(self._ref, -HOPS_PER_FRAME)
        self._mic[-HOPS_PER_FRAME:] = mic
        self._ref[-HOPS_PER_FRAME:] = reference
        self._frames += 1
        self._new_hops = min(HISTORY_HOPS, self._new_hops + HOPS_PER_FRAME)
        if self._ref[-(self.max_lag + self.tail_hops + HOPS_PER_FRAME) :].max() < ACTIVE_DB:
            return False  # nothing played lately: whatever the mic hears is the room or the host
        if self._frames % 4 == 0:
            self._learn()
        floor = self.coupling_floor_db
        # A leaking canceller: its delay may have jumped, so every delay in range is predicted.
        raw = self._raw_prediction(None if floor is not None else self.delay_hops)[-HOPS_PER_FRAME:]
        if self._candidate_hops is not None and self._candidate_wins > 1:
            raw = np.maximum(raw, self._raw_prediction(self._candidate_hops)[-HOPS_PER_FRAME:])
        predicted = raw + (self.coupling_db if floor is None else max(self.coupling_db, floor))
        host_hops = int(np.sum((mic > predicted + self.margin_db) & (mic > ACTIVE_DB)))
        echo = host_hops < HOPS_PER_FRAME // 2
        self.suppressed_frames += echo
        return echo

    def _raw_prediction(self, delay: int | None) -> np.ndarray:
        """Per history hop, the reference level the echo there can reach (before coupling).

        With a known delay: the reference around that delay (±2 hops for jitter) and its recent
        past fading at ~90 dB/s (the room's tail). Unknown delay: the loudest of the whole range.
        """
        ref = self._ref
        if delay is None:
            lags = range(self.max_lag + self.tail_hops + 1)
            decays = [0.0] * len(lags)
        else:
            lags = range(max(0, delay - 2), delay + 3 + self.tail_hops)
            decays = [0.75 * max(0, lag - delay - 2) for lag in lags]
        raw = np.full(len(ref), FLOOR_DB)
        for lag, decay in zip(lags, decays, strict=True):
            if lag == 0:
                np.maximum(raw, ref - decay, out=raw)
            else:
                np.maximum(raw[lag:], ref[:-lag] - decay, out=raw[lag:])
        return raw

    def _learn(self) -> None:
        """Delay = the lag whose reference envelope best matches the mic's; coupling = their gap."""
        active = self._ref > ACTIVE_DB
        if active.sum() < HISTORY_HOPS // 5:
            return
        mic = np.clip(self._mic, -80.0, 0.0)
        ref = np.clip(self._ref, -80.0, 0.0)
        best_lag, best_corr = None, 0.6
        span = HISTORY_HOPS - self.max_lag
        mic_centred = mic[-span:] - mic[-span:].mean()
        mic_norm = np.sqrt(np.sum(mic_centred**2)) + 1e-9
        for lag in range(self.max_lag + 1):
            ref_part = ref[HISTORY_HOPS - span - lag : HISTORY_HOPS - lag]
            ref_centred = ref_part - ref_part.mean()
            norm = mic_norm * (np.sqrt(np.sum(ref_centred**2)) + 1e-9)
            corr = float(np.sum(mic_centred * ref_centred) / norm)
            if corr > best_corr:
                best_lag, best_corr = lag, corr
        if best_lag is None:
            return
        if self.delay_hops is not None and abs(best_lag - self.delay_hops) > 2:
            # Host speech over the anchor can make a wrong lag win for as long as it talks
            # (seen: 39 hops for a true 8, for ~2 s): a new path is adopted only after winning
            # for ~4 s running, and until then the echo is predicted along both paths.
            if self._candidate_hops is None or abs(best_lag - self._candidate_hops) > 1:
                self._candidate_hops, self._candidate_wins = best_lag, 0
            self._candidate_wins += 1
            if self._candidate_wins < SETTLE_LEARNS:
                best_lag = self.delay_hops
            else:
                self._candidate_hops = None
                self._gaps.clear()  # levels measured against the old path
        else:
            self._candidate_hops = None
        self.delay_hops = best_lag
        if not self._new_hops:
            return
        raw = self._raw_prediction(best_lag)[-self._new_hops :]
        mic = self._mic[-self._new_hops :]
        self._new_hops = 0
        self._gaps.extend((mic - raw)[raw > STRONG_DB].tolist())
        if len(self._gaps) < MIN_GAPS:
            return
        # Not a median of the hops the model still calls echo: that feeds on itself and sinks
        # (-22 -> -35 dB seen), letting the echo through. Every strong hop counts; the host adds
        # only to the top, so a mid-upper quantile plus the margin sits over the echo's spread.
        low, high = COUPLING_RANGE_DB
        self.coupling_db = min(high, max(low, float(np.percentile(self._gaps, COUPLING_QUANTILE))))
