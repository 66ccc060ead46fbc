"""`bench --peer pipecat`: its JSON keys, and both our show and the pipecat pipeline answer every question.

Runs the whole command on the fixed-delay backends (Silero VAD and Piper for the questions are
the only models), so it checks the plumbing, not anyone's speed.
"""

from __future__ import annotations

import json

import pytest

from studio.cli import main

pytest.importorskip("pipecat")


def test_peer_bench_json_has_both_sides_and_every_question_answered(capsys):
    assert main(["bench", "--peer", "pipecat", "--turns", "2", "--json", "--fixed-delay"]) == 0
    result = json.loads(capsys.readouterr().out)
    for side in ("studio", "pipecat"):
        figures = result[side]
        assert set(figures["voice_to_voice"]) >= {"median", "p95"}
        assert all(figures["voice_to_voice"][k] > 0 for k in ("median", "p95"))
        assert figures["questions"] == 2 and figures["answered"] == 2, side
        assert all(turn["reply"] for turn in figures["sample"]), side
    assert set(result["ratio"]) >= {"median", "p95"}
    assert isinstance(result["overhead_ratio"], float) and result["overhead_ratio"] > 0
    assert result["fixed_delay"]["studio"]["answered"] == result["fixed_delay"]["pipecat"]["answered"] == 2
