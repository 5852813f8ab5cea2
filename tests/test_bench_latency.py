"""bench/latency.py's building blocks: the critical-path arithmetic and the latency simulator."""

from __future__ import annotations

import pytest

from bench.common import Ctx
from bench.latency import Step, critical_path_ms, latency_simulator, paced_path_ms, rate_limited, server_env


def test_critical_path_is_round_trips_plus_the_windows_the_limits_force():
    assert critical_path_ms([Step("MEDIUM", 12)]) == 150  # a year of month windows: one round trip
    assert critical_path_ms([Step("LIGHT"), Step("LIGHT")]) == 300  # recordings, then the VTT
    assert critical_path_ms([Step("MEDIUM", 3), Step("LIGHT", 40)]) == 150 + 150 + 1000
    assert critical_path_ms([Step("MEDIUM")] * 4) == 600  # 1,000 meetings: four pages, one after another
    assert critical_path_ms([Step("MEDIUM", 1), Step("MEDIUM", 10)]) == 300  # attendance of ten meetings
    assert critical_path_ms([Step("MEDIUM", 41)]) == 150 + 2000
    assert critical_path_ms([Step("LIGHT", 40)], rtt_ms=100, plan="business_plus") == 100
    assert critical_path_ms([Step("RESOURCE-INTENSIVE", 11)]) == 150 + 60_000


def test_the_pacer_path_waits_a_round_trip_more_per_further_batch():
    assert paced_path_ms([Step("MEDIUM", 12)]) == critical_path_ms([Step("MEDIUM", 12)])
    assert paced_path_ms([Step("MEDIUM", 3), Step("LIGHT", 40)]) == 150 + 150 + 1150
    ratio = paced_path_ms([Step("MEDIUM", 3), Step("LIGHT", 40)]) / critical_path_ms(
        [Step("MEDIUM", 3), Step("LIGHT", 40)])
    assert ratio < 1.3  # the target leaves room for the pacer's safety


@pytest.mark.timeout(120)
def test_latency_simulator_is_a_far_away_zoom_with_recordings(tmp_path):
    ctx = Ctx(None, tmp_path)
    env_file = tmp_path / ".env"  # only named in the environment here
    sim = latency_simulator(ctx, latency_ms=20, recordings=6)
    try:
        assert sim.config() == {"token_ttl": 3600, "latency_ms": 20.0, "latency_jitter_ms": 0.0, "seed": 1,
                                "rate_limits": "pro"}
        env = server_env(ctx, sim, env_file, sequential=True)
        assert env["ZOOM_API_BASE_URL"] == sim.api_url and env["ZOOM_RATE_PLAN"] == "pro"
        assert env["ZOOM_MAX_CONCURRENCY"] == "1"
        assert "ZOOM_MAX_CONCURRENCY" not in server_env(ctx, sim, env_file)
        assert sim.seed_recordings("me", 0) >= 6
        assert rate_limited(sim) == 0
    finally:
        sim.stop()
