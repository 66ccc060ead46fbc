"""The anchor's own voice leaking into the mic (-20 dB, room delay) never barges in; the host does."""

from __future__ import annotations

from studio.bench.echo_bench import measure
from studio.config import load_settings


def test_leaked_program_audio_causes_no_barge_in_but_the_host_still_does() -> None:
    result = measure(load_settings(), minutes=1.5)
    assert result["false_barge_ins_per_10min_without_gate"] > 0  # the leak is audible to the VAD
    assert result["false_barge_ins_per_10min"] == 0
    assert result["true_barge_in_recall"] >= 0.6
