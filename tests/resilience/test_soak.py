"""The short soak CI can afford: the real embedded stack answers looped spoken questions in real time.

The 2-hour figures (memory growth, latency drift) come from `bench --soak 2h` and are reported,
not asserted; here the soak must answer every turn and report its memory and latency windows.
Threading: the soak runs its own asyncio loop in the test's thread.
"""

from __future__ import annotations

import asyncio

from studio.bench.soak import DISTINCT_QUESTIONS, run_soak
from studio.config import load_settings


def test_a_short_soak_answers_every_turn_and_reports_its_windows() -> None:
    result = asyncio.run(run_soak(load_settings(), 45.0, progress=False))
    assert result["turns"] >= 3
    assert result["turns_without_reply"] == 0
    per_turn = result["rss_mb_per_turn"]
    assert len(per_turn) == result["turns"] and all(mb > 100 for mb in per_turn)
    rss = result["rss_mb"]
    assert rss["after_first_turn"] == per_turn[0] and rss["end"] == per_turn[-1]
    assert rss["last_window_median"] is not None and rss["first_window_after_warmup_median"] is not None
    assert rss["after_warmup"] == per_turn[min(len(per_turn) - 1, DISTINCT_QUESTIONS)]
    windows = result["voice_to_voice_median_ms"]
    assert windows["first_window"] is not None and windows["last_window"] is not None
    assert result["window_seconds"] == 4.5
