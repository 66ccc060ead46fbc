"""The pull line the terminal and the window show: size, rate and ETA from a pull's status lines."""

from __future__ import annotations

from studio.backends.pull_meter import PullMeter, human_bytes, human_duration


def test_rate_and_eta_from_successive_lines():
    now = [0.0]
    meter = PullMeter(clock=lambda: now[0])
    total = 14_300_000_000
    first = meter.read("pulling 0123abcd", 1_000_000_000, total)
    assert first.rate is None and first.eta_s is None  # one reading: no rate yet
    now[0] = 2.0
    second = meter.read("pulling 0123abcd", 1_100_000_000, total)
    assert second.rate == 50_000_000 and round(second.eta_s) == 264
    line = meter.line(second)
    assert line == "pulling 0123abcd    7.7%  1.1 GB / 14.3 GB  50.0 MB/s  ETA 4:24"
    now[0] = 3.0
    fresh = meter.read("pulling 9f8e", 10, 1000)  # a new layer: measured afresh
    assert fresh.rate is None and meter.line(meter.read("success", 0, 0)) == "success"


def test_units():
    assert [human_bytes(n) for n in (512, 1_500, 2_500_000, 14_300_000_000)] == [
        "512 B",
        "1.5 kB",
        "2.5 MB",
        "14.3 GB",
    ]
    assert [human_duration(s) for s in (5, 75, 3725)] == ["0:05", "1:15", "1:02:05"]
