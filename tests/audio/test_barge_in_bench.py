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
        assert set(case) == CASE_KEYS | {"false_holds_per_10min"}
        assert (case["leakage_db"], case["delay_ms"]) == (-20.0, 120.0)
        assert set(case["onset_to_silence_ms"]) == {"p50", "p95"}
        assert 0.0 <= case["recall"] <= 1.0
        assert case["false_per_10min"] >= 0.0
    with_aec = next(run for run in report["details"] if run["aec"])
    assert with_aec["onsets"] == 3
    assert with_aec["hits"] >= 1, report
    assert report["cases"][0]["onset_to_silence_ms"]["p50"] is not None


def test_cases_parse_and_bad_ones_say_why() -> None:
    from studio.bench.barge_in_bench import BargeInCase, parse_cases

    assert parse_cases("off, -20:120,-10:250") == (
        BargeInCase(None, 0.0),
        BargeInCase(-20.0, 120.0),
        BargeInCase(-10.0, 250.0),
    )
    for bad in ("loud", "-20", "-70:120", "-20:900"):
        with pytest.raises(ValueError, match=r"LEAK_DB:DELAY_MS|leakage"):
            parse_cases(bad)


def test_analysis_counts_hits_misses_false_starts_and_silence() -> None:
    import numpy as np

    from studio.bench.barge_in_analysis import RATE, RunLog, analyse

    monitor = np.full(10 * RATE, 0.1, np.float32)  # the anchor talks for 10 s...
    monitor[int(2.3 * RATE) : int(4.0 * RATE)] = 0.0  # ...silenced 300 ms after the first onset
    clock = [(i * RATE, 100.0 + i) for i in range(11)]  # monitor sample ↔ monotonic time
    onsets = [(2 * RATE, 102.0, 1.0), (6 * RATE, 106.0, 1.0)]
    line_starts = [102.25, 109.0]  # the first onset heard, the second missed, one start from nothing
    result = analyse(RunLog(monitor, onsets, clock, line_starts))
    assert (result["hits"], result["misses"], result["false_barge_ins"]) == (1, 1, 1)
    assert result["onset_to_silence_ms"] == [300.0]
    assert result["onset_to_line_ms"] == [250.0]


def test_a_hold_is_when_the_show_reacted_and_a_hold_outside_every_clip_is_false() -> None:
    import numpy as np

    from studio.bench.barge_in_analysis import RATE, RunLog, analyse

    monitor = np.full(10 * RATE, 0.1, np.float32)
    monitor[int(1.5 * RATE) : int(1.6 * RATE)] = 0.0  # a pause of the anchor's own, before the onset
    monitor[int(2.15 * RATE) : int(4.0 * RATE)] = 0.0  # held at 2.1 s, quiet on air 50 ms later
    monitor[int(7.0 * RATE) : int(7.05 * RATE)] = 0.0  # a false hold: a short gap, then it went on
    clock = [(i * RATE, 100.0 + i) for i in range(11)]
    onsets = [(2 * RATE, 102.0, 1.0)]
    result = analyse(RunLog(monitor, onsets, clock, [102.3], holds=[102.1, 106.98]))
    assert result["onset_to_silence_ms"] == [150.0], "from the onset to the silence the hold made"
    assert (result["holds"], result["false_holds"]) == (2, 1)

    late_hold = analyse(RunLog(monitor, onsets, clock, [102.3], holds=[102.2]))
    assert late_hold["onset_to_silence_ms"] == [200.0], "no silence counted before the hold was asked for"


def test_a_hold_stamped_just_before_the_onset_is_the_onsets_but_one_a_frame_earlier_is_not() -> None:
    import numpy as np

    from studio.bench.barge_in_analysis import ONSET_SLACK_S, RATE, RunLog, analyse

    monitor = np.full(10 * RATE, 0.1, np.float32)
    monitor[int(2.07 * RATE) : int(4.0 * RATE)] = 0.0  # held on the onset's frame, quiet 70 ms on
    clock = [(i * RATE, 100.0 + i) for i in range(11)]
    onsets = [(2 * RATE, 102.0, 1.0)]
    early = analyse(RunLog(monitor, onsets, clock, [102.3], holds=[101.999]))
    assert early["onset_to_silence_ms"] == [70.0], "not from the line's start 300 ms on"
    assert (early["onset_to_hold_ms"], early["false_holds"]) == ([0.0], 0)

    before = analyse(RunLog(monitor, onsets, clock, [102.3], holds=[102.0 - ONSET_SLACK_S - 0.01]))
    assert before["false_holds"] == 1
    assert before["onset_to_silence_ms"] == [200.0], "measured from the line's start less the lookback"


def test_a_quiet_run_counts_its_false_lines_and_holds_over_both_runs_speech() -> None:
    from studio.bench.barge_in_bench import _with_quiet

    run = {
        "leakage_db": -20.0,
        "delay_ms": 120.0,
        "onsets": 8,
        "hits": 8,
        "false_barge_ins": 1,
        "false_holds": 0,
        "anchor_seconds": 20.0,
        "onset_to_silence_ms": [150.0],
    }
    quiet = {**run, "onsets": 0, "hits": 0, "false_barge_ins": 0, "false_holds": 2, "anchor_seconds": 580.0}
    case = _with_quiet(run, quiet)
    assert case["false_per_10min"] == 1.0 and case["false_holds_per_10min"] == 2.0
    assert case["recall"] == 1.0 and case["anchor_seconds"] == 600.0


def test_barge_in_quiet_minutes_out_of_range_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--barge-in", "2", "--barge-in-quiet", "90"]) != 0
    assert "--barge-in-quiet: 0 to 60 minutes" in capsys.readouterr().err
