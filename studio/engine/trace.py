"""Per-turn latency trace: wall-clock marks of each step, reported relative to the host's speech end.

Threading: written on the engine loop only; read after the turn (as an immutable snapshot).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

#: The marks every turn records, in pipeline order (`host_speech_end` is the zero point).
MARKS = (
    "host_speech_end",
    "turn_decided",
    "stt_final",
    "llm_request_sent",
    "llm_first_token",
    "first_clause",
    "tts_request_sent",
    "tts_first_chunk",
    "first_output_sample",
)

#: The latencies `run --json` reports, by their public names.
REPORTED = ("turn_decided", "stt_final", "llm_first_token", "first_clause", "tts_first_chunk")


def now() -> float:
    """The clock every mark uses (monotonic, seconds)."""
    return time.perf_counter()


@dataclass(slots=True)
class LatencyTrace:
    """Timestamps of one turn; `mark` keeps the first value so retries never move a mark."""

    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str, at: float | None = None) -> None:
        """Record `name` at `at` (default: now) unless it was recorded already."""
        if name not in MARKS:
            raise ValueError(f"unknown trace mark {name!r}")
        self.marks.setdefault(name, now() if at is None else at)

    def since_speech_end_ms(self, name: str) -> float | None:
        """Milliseconds from the host's speech end to `name`, or None if either is missing."""
        start, end = self.marks.get("host_speech_end"), self.marks.get(name)
        if start is None or end is None:
            return None
        return round((end - start) * 1000.0, 1)

    def engine_overhead_ms(self) -> float | None:
        """Time on the critical path spent in the engine's own hand-offs, not inside a backend."""
        m = self.marks
        needed = (
            "turn_decided",
            "stt_final",
            "llm_request_sent",
            "first_clause",
            "tts_request_sent",
            "tts_first_chunk",
            "first_output_sample",
        )
        if any(k not in m for k in needed):
            return None
        to_llm = m["llm_request_sent"] - max(m["turn_decided"], m["stt_final"])
        to_tts = m["tts_request_sent"] - m["first_clause"]
        to_output = m["first_output_sample"] - m["tts_first_chunk"]
        return round((max(0.0, to_llm) + max(0.0, to_tts) + max(0.0, to_output)) * 1000.0, 3)

    def report(self) -> dict[str, float | None]:
        """The public latency figures of the turn, all measured from the host's speech end."""
        out: dict[str, float | None] = {k: self.since_speech_end_ms(k) for k in REPORTED}
        out["voice_to_voice"] = self.since_speech_end_ms("first_output_sample")
        out["engine_overhead"] = self.engine_overhead_ms()
        return out
