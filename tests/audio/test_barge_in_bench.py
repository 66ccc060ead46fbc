"""`bench --barge-in --json` on a private PulseAudio: the issue's keys, and the host does get through.

A short run (one leak case, three onsets, with and without the canceller) checks the report's
shape and that the host's interruptions are heard with the canceller on; speed is the bench's to
report, not a test's to assert (the machine is shared).
"""

from __future__ import annotations

import json
import shutil

import pytest

from studio.cli import main

CASE_KEYS = {"leakage_db", "delay_ms", "onset_to_silence_ms", "recall", "false_per_10min"}


@pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("pulseaudio", "parec", "pacat")),
    reason="needs pulseaudio and pulseaudio-utils (scripts/install.sh --test installs them)",
)
def test_barge_in_bench_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "--barge-in", "3", "--barge-in-cases=-20:120", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("cases", "cases_without_aec"):
        (case,) = report[key]
        assert set(case) == CASE_KEYS
        assert (case["leakage_db"], case["delay_ms"]) == (-20.0, 120.0)
        assert set(case["onset_to_silence_ms"]) == {"p50", "p95"}
        assert 0.0 <= case["recall"] <= 1.0
        assert case["false_per_10min"] >= 0.0
    with_aec = next(run for run in report["details"] if run["aec"])
    assert with_aec["onsets"] == 3
    assert with_aec["hits"] >= 1, report
    assert report["cases"][0]["onset_to_silence_ms"]["p50"] is not None
