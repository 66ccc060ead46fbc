"""The fault bench's own figures, and the fault and duration specs users type."""

from __future__ import annotations

import asyncio

import pytest

from studio.bench.fault_bench import run_fault_bench
from studio.bench.soak import parse_duration
from studio.config import load_settings
from studio.faults import FaultPlan, FaultSpecError, parse_faults


def test_fault_bench_counts_no_crash_and_no_lost_line(tmp_path):
    result = asyncio.run(run_fault_bench(load_settings(), 40, tmp_path / "faults.jsonl"))
    assert result["faults_injected"] >= 40
    assert len(result["by_stage"]) >= 8, "faults hit every kind of stage"
    assert result["crashes"] == 0 and result["lost_log_lines"] == 0
    assert result["aired_lines_not_logged_first"] == 0
    assert result["turns_completed"] == result["turns_decided"] > 0
    assert result["degradations"] > 0 and result["recoveries"] > 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("chat:fail", "expected stage:kind:rate"),
        ("mic:fail:0.1", "unknown stage"),
        ("chat:explode:0.1", "unknown kind"),
        ("chat:fail:2", "from 0 to 1"),
        ("chat:fail:often", "must be a number"),
        ("vad:hang:0.1", "cannot hang"),
    ],
)
def test_bad_fault_specs_are_named(spec, message):
    with pytest.raises(FaultSpecError, match=message):
        parse_faults(spec)


def test_fault_plan_draws_at_its_rate_and_counts():
    plan = FaultPlan("chat:fail:0.3, tts:garbage:1", seed=3)
    chat = [plan.draw("chat") for _ in range(2000)]
    assert 0.25 < chat.count("fail") / 2000 < 0.35
    assert plan.draw("tts") == "garbage" and plan.draw("stt") is None
    assert plan.injected[("chat", "fail")] == chat.count("fail")


def test_bad_fault_spec_stops_the_start_with_its_message(monkeypatch):
    from studio.backends.registry import BackendLoadError
    from studio.show import Show
    from studio.voices.profile import VoiceProfile

    async def never_built(settings, progress):
        raise AssertionError("a bad fault spec must stop the show before any model loads")

    monkeypatch.setenv("AI_ANCHOR_FAULTS", "chat:fail:9")
    show = Show(load_settings(), VoiceProfile(name="T"), stack_factory=never_built)
    with pytest.raises(BackendLoadError, match=r"fault injection: .*from 0 to 1"):
        asyncio.run(show.run())


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("10m", 600), ("2h", 7200), ("45", 45)])
def test_soak_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10x", "5s", "-3m"])
def test_bad_soak_durations(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
