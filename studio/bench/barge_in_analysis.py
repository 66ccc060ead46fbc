"""`bench --barge-in` figures from one run: hits, misses, false barge-ins, onset → silence on air.

Everything is read on the leak mixer's timeline (samples of the program sink's monitor at 16 kHz):
a host onset is the monitor sample its first host sample was mixed against; the show's events
(stamped with time.monotonic()) are mapped onto it through the mixer's clock pairs. A hit is a
HostSpeechStarted within HIT_WINDOW_S of an onset; a line started by anything but the host's
clip (from its onset to AFTER_CLIP_S after its end) is a false barge-in. Onset → silence: from
the onset to the first 10 ms window, not before the show reacted (the line started, or the anchor
was held for it: studio.engine.hold), after which the monitor stays below SILENT_DBFS for
SILENT_HOLD_S. A hold outside every clip is a false hold (a short pause in the anchor's speech).
Threading: plain functions, called once a run has ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RATE = 16_000
WINDOW = RATE // 100
HIT_WINDOW_S = 2.0
AFTER_CLIP_S = 0.5  # a line started this soon after the host's clip is still the host's
SILENT_DBFS = -50.0
SILENT_HOLD_S = 0.1
LOOKBACK_S = 0.1  # the line's event is stamped a little after the flush that silenced the anchor
ACTIVE_DBFS = -45.0
# An onset's time is the mixer's estimate of when its first sample reached the mic; the show can
# hold on the frame that carries it a few ms before that stamp (seen: a hold stamped 1 ms early
# on a frame already holding the host's voice). A hold this close before an onset is the onset's.
ONSET_SLACK_S = 0.032


@dataclass(frozen=True, slots=True)
class RunLog:
    """What one run left: the monitor recording, onsets, clock pairs and line starts."""

    monitor: np.ndarray  # 16 kHz, the mixer's timeline
    onsets: list[tuple[int, float, float]]  # (monitor sample, monotonic time, clip seconds)
    clock: list[tuple[int, float]]  # (monitor samples, monotonic time)
    line_starts: list[float]  # HostSpeechStarted, monotonic time
    holds: list[float] = field(default_factory=list)  # AnchorHeld(held=True), monotonic time


def _window_db(monitor: np.ndarray) -> np.ndarray:
    usable = len(monitor) - len(monitor) % WINDOW
    power = np.mean(np.square(monitor[:usable].reshape(-1, WINDOW), dtype=np.float64), axis=1)
    return 10 * np.log10(power + 1e-12)


def _sample_at(log: RunLog, when: float) -> int:
    """The monitor sample the mixer was at at monotonic time `when`."""
    samples = np.array([c[0] for c in log.clock], dtype=np.float64)
    times = np.array([c[1] for c in log.clock], dtype=np.float64)
    return round(float(np.interp(when, times, samples)))


def _silence_after(levels: np.ndarray, start: int) -> int | None:
    """First window from `start` that opens SILENT_HOLD_S of silence (window index)."""
    hold = int(SILENT_HOLD_S * 100)
    quiet = levels < SILENT_DBFS
    for index in range(max(0, start), len(quiet) - hold + 1):
        if quiet[index : index + hold].all():
            return index
    return None


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95 in ms (None without values)."""
    if not values:
        return {"p50": None, "p95": None}
    arr = np.asarray(values, dtype=np.float64)
    return {"p50": round(float(np.percentile(arr, 50)), 1), "p95": round(float(np.percentile(arr, 95)), 1)}


def analyse(log: RunLog) -> dict:
    """Hits, misses, false barge-ins, onset → silence (ms) and the anchor's airtime of one run."""
    levels = _window_db(log.monitor)
    matched: set[int] = set()
    delays: list[float] = []
    detected: list[float] = []  # onset -> the show started the host's line (the decision)
    held_after: list[float] = []  # onset -> the show held the anchor for it
    hits = 0
    for onset, at, _ in log.onsets:
        starts = [
            i for i, s in enumerate(log.line_starts) if at <= s <= at + HIT_WINDOW_S and i not in matched
        ]
        if not starts:
            continue
        hits += 1
        matched.add(starts[0])
        line_start = log.line_starts[starts[0]]
        detected.append(1000.0 * (line_start - at))
        began = max(onset, _sample_at(log, line_start) - int(LOOKBACK_S * RATE))
        held = [h for h in log.holds if at - ONSET_SLACK_S <= h <= line_start]
        if held:  # the hold is stamped as it is asked for: no silence can come before it
            held_after.append(max(0.0, 1000.0 * (held[0] - at)))
            began = min(began, max(onset, _sample_at(log, held[0])))
        silent = _silence_after(levels, began // WINDOW)
        if silent is not None:
            delays.append(1000.0 * (silent * WINDOW - onset) / RATE)
    covered = {
        i
        for i, s in enumerate(log.line_starts)
        if any(at <= s <= at + max(HIT_WINDOW_S, seconds + AFTER_CLIP_S) for _, at, seconds in log.onsets)
    }
    false = len(log.line_starts) - len(covered)
    false_holds = sum(
        1
        for h in log.holds
        if not any(
            at - ONSET_SLACK_S <= h <= at + max(HIT_WINDOW_S, seconds + AFTER_CLIP_S)
            for _, at, seconds in log.onsets
        )
    )
    anchor_s = float(np.count_nonzero(levels > ACTIVE_DBFS)) / 100
    return {
        "onsets": len(log.onsets),
        "hits": hits,
        "misses": len(log.onsets) - hits,
        "false_barge_ins": false,
        "holds": len(log.holds),
        "false_holds": false_holds,
        "anchor_seconds": round(anchor_s, 1),
        "onset_to_silence_ms": delays,
        "onset_to_line_ms": detected,
        "onset_to_hold_ms": held_after,
    }


def case_figures(leakage_db: float | None, delay_ms: float, result: dict) -> dict:
    """The issue's per-case keys, exactly."""
    return {
        "leakage_db": leakage_db,
        "delay_ms": delay_ms,
        "onset_to_silence_ms": percentiles(result["onset_to_silence_ms"]),
        "recall": round(result["hits"] / max(1, result["onsets"]), 3),
        "false_per_10min": round(result["false_barge_ins"] * 600.0 / max(1.0, result["anchor_seconds"]), 2),
        "false_holds_per_10min": round(result["false_holds"] * 600.0 / max(1.0, result["anchor_seconds"]), 2),
    }
