"""Caption latency (first sample aired → caption source updated), reported for the fake and real OBS;
and one show captioned in a real OBS Studio, read back with GetInputSettings."""

from __future__ import annotations

import asyncio

import pytest

from studio.bench.obs_bench import measure, percentile
from studio.config import load_settings
from tests.obs import real_obs
from tests.obs.fake_obs import FakeObs


def test_percentile_is_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 95.0


def test_bench_obs_reports_caption_latency_against_a_v5_server(capsys):
    obs = FakeObs(inputs=("AI Anchor Captions",)).start()
    try:
        result = asyncio.run(measure(load_settings(obs_websocket_url=obs.url), turns=3))
    finally:
        obs.stop()
    figures = result["caption_latency_ms"]
    assert result["captions_timed"] >= 3 and figures["p50"] is not None and not result["last_error"]
    with capsys.disabled():
        print(f"\ncaption latency, fake OBS: p50 {figures['p50']} ms, p95 {figures['p95']} ms")


def test_a_show_is_captioned_in_real_obs_studio(tmp_path, capsys):
    if why := real_obs.missing():
        pytest.skip(why)
    obs = real_obs.RealObs(tmp_path / "obs-home").start()
    try:
        asyncio.run(real_obs.create_caption_source(obs.url, obs.password))
        settings = load_settings(obs_websocket_url=obs.url, obs_websocket_password=obs.password)
        result = asyncio.run(measure(settings, turns=3))
        left = asyncio.run(real_obs.caption_text(obs.url, obs.password))
    finally:
        obs.stop()
    assert result["captions_timed"] >= 3 and not result["last_error"], result
    assert left == ""  # the bridge took the last caption down when the show ended
    figures = result["caption_latency_ms"]
    with capsys.disabled():
        print(f"\ncaption latency, real OBS: p50 {figures['p50']} ms, p95 {figures['p95']} ms")
