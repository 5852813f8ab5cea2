"""Seeded recorded meetings (for fan-out tests and the latency benchmark): spread over the last days,
each with a transcript that differs by topic and participants, through the API, the control endpoint
and the command line."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from tests.conftest import ROOT
from zoomsim import ZoomSimulator
from zoomsim.control import SimProcess

NOW = dt.datetime(2027, 3, 15, 12, 0, tzinfo=dt.timezone.utc).timestamp()


def hosted_by_me(simulator) -> int:
    return sum(1 for r in simulator.account.recordings.values() if r["host_id"] == simulator.account.owner_id)


@pytest.fixture
def sim():
    with ZoomSimulator(clock=lambda: NOW) as simulator:
        yield simulator


def month_windows(days: int):
    """[from, to] windows of at most a month covering the last `days` days up to today (sim time)."""
    today = dt.datetime.fromtimestamp(NOW, dt.timezone.utc).date()
    start = today - dt.timedelta(days=days)
    while start <= today:
        end = min(today, start + dt.timedelta(days=27))
        yield start.isoformat(), end.isoformat()
        start = end + dt.timedelta(days=1)


def recordings(sim, token, days=90):
    http = requests.Session()
    http.headers["Authorization"] = "Bearer " + token
    found = []
    for since, until in month_windows(days):
        page = http.get(sim.api_url + "/users/me/recordings",
                        params={"from": since, "to": until, "page_size": 300}, timeout=10).json()
        found += page["meetings"]
    return http, found


def test_seeded_recordings_spread_over_the_days_with_distinct_transcripts(sim):
    token = sim.issue_token()[0]
    _, before = recordings(sim, token)
    assert sim.seed_recordings("me", 40, days=90) == hosted_by_me(sim)
    http, after = recordings(sim, token)
    seeded = [m for m in after if m["uuid"] not in {b["uuid"] for b in before}]
    assert len(seeded) == 40
    starts = [dt.datetime.fromisoformat(m["start_time"].replace("Z", "+00:00")).timestamp() for m in seeded]
    assert len(set(starts)) == 40
    assert all(NOW - 90 * 86400 < s < NOW for s in starts)
    budget = 0
    for meeting in seeded:
        files = {f["file_type"]: f for f in meeting["recording_files"]}
        assert set(files) == {"MP4", "M4A", "TRANSCRIPT"}
        vtt = http.get(files["TRANSCRIPT"]["download_url"], timeout=10).text
        assert vtt.startswith("WEBVTT")
        budget += "budget" in vtt.lower()
        people = http.get(f"{sim.api_url}/past_meetings/{meeting['uuid']}/participants", timeout=10).json()
        assert len(people["participants"]) == 4  # the host, two colleagues and a guest
    assert budget == 14  # two topics in six mention it: 7 + 7 of 40


def test_seed_control_endpoint_and_its_limits(sim):
    resp = requests.post(sim.url + "/_sim/seed", json={"recordings": 3, "days": 10}, timeout=10)
    assert resp.status_code == 200
    body = resp.json()
    assert body["recordings_added"] == 3 and body["recordings"] == hosted_by_me(sim)
    assert body["added"] == 0
    for bad in ({"recordings": -1}, {"recordings": 10_001}, {"recordings": 1, "days": 0}):
        assert requests.post(sim.url + "/_sim/seed", json=bad, timeout=10).status_code == 400, bad
    assert requests.post(sim.url + "/_sim/seed", json={"user_id": "ghost", "recordings": 1},
                         timeout=10).status_code == 404


def test_command_line_seeds_recordings():
    with SimProcess("--seed-recordings", "5", env={"PYTHONPATH": str(ROOT)}) as proc:
        before = proc.seed_recordings("me", 0)
        assert proc.seed_recordings("me", 2, days=30) == before + 2
    with ZoomSimulator() as plain:
        assert before == hosted_by_me(plain) + 5
