"""The simulator's Zoom rate limits: per account, per category, sliding windows on a fake clock."""

from __future__ import annotations

import pytest
import requests

from zoomsim import ZoomSimulator
from zoomsim.ratelimit import RateLimiter

RATE_BODY = {"code": 429, "message": "You have reached the maximum per-second rate limit for this API. "
                                     "Try again later."}
MEDIUM = "/users/me/meetings"  # GET /users/{userId}/meetings: MEDIUM in Zoom's spec
LIGHT = "/users/me"  # GET /users/{userId}: LIGHT
HEAVY = "/report/users/me/meetings"  # GET /report/users/{userId}/meetings: HEAVY


class FakeClock:
    def __init__(self):
        self.now = 1_800_000_000.5  # not on a whole second: windows must slide, not tick

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sim(clock):
    with ZoomSimulator(clock=clock, rate_limits="pro") as simulator:
        yield simulator


class Api:
    def __init__(self, sim):
        self.sim = sim
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer " + sim.issue_token()[0]

    def get(self, path, **params):
        if path == HEAVY:
            params = {"from": "2027-01-01", "to": "2027-01-31", **params}
        return self.http.get(self.sim.api_url + path, params=params, timeout=10)

    def burst(self, path, n):
        return [self.get(path).status_code for _ in range(n)]


@pytest.fixture
def api(sim):
    client = Api(sim)
    yield client
    client.http.close()


def test_over_the_limit_answers_zoom_429_with_its_headers(sim, api):
    answers = [api.get(MEDIUM) for _ in range(20)]
    assert [r.status_code for r in answers] == [200] * 20
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == [str(n) for n in range(19, -1, -1)]
    assert {r.headers["X-RateLimit-Category"] for r in answers} == {"Medium"}
    assert {r.headers["X-RateLimit-Limit"] for r in answers} == {"20"}
    over = api.get(MEDIUM)
    assert over.status_code == 429
    assert over.json() == RATE_BODY
    assert {k: over.headers[k] for k in ("X-RateLimit-Category", "X-RateLimit-Type", "X-RateLimit-Limit",
                                         "X-RateLimit-Remaining", "Retry-After")} == {
        "X-RateLimit-Category": "Medium", "X-RateLimit-Type": "QPS", "X-RateLimit-Limit": "20",
        "X-RateLimit-Remaining": "0", "Retry-After": "1"}
    assert sim.stats()["rate_limited"] == 1
    assert [r["status"] for r in sim.requests(route="api")][-2:] == [200, 429]


def test_the_window_slides(sim, api, clock):
    start = clock.now
    assert api.burst(MEDIUM, 10) == [200] * 10
    # Binary fractions, so the window arithmetic is exact.
    clock.now = start + 0.875
    assert api.burst(MEDIUM, 10) == [200] * 10
    clock.now = start + 0.96875
    assert api.burst(MEDIUM, 1) == [429]
    clock.now = start + 1.0  # the first ten left the window; the second ten are still in it
    assert api.burst(MEDIUM, 11) == [200] * 10 + [429]
    clock.now = start + 1.875
    assert api.burst(MEDIUM, 11) == [200] * 10 + [429]
    assert sim.stats()["rate_limited"] == 3


def test_rejected_requests_do_not_use_up_the_quota(sim, api, clock):
    start = clock.now
    assert api.burst(MEDIUM, 20) == [200] * 20
    assert api.burst(MEDIUM, 50) == [429] * 50
    clock.now = start + 1.0
    assert api.burst(MEDIUM, 21) == [200] * 20 + [429]


def test_categories_are_counted_apart(sim, api):
    assert api.burst(MEDIUM, 21) == [200] * 20 + [429]
    assert api.burst(LIGHT, 31) == [200] * 30 + [429]
    assert api.burst(HEAVY, 11) == [200] * 10 + [429]
    assert sim.stats()["rate_limited"] == 3


def test_downloads_count_as_light(sim, api):
    rec = api.get("/meetings/kY2t7QHvRfm0c0m3W1pZ9g%3D%3D/recordings").json()  # LIGHT: 1 used
    url = rec["recording_files"][0]["download_url"]
    answers = [api.http.get(url, timeout=10) for _ in range(30)]
    assert [r.status_code for r in answers] == [200] * 29 + [429]
    assert answers[-1].headers["X-RateLimit-Category"] == "Light"
    assert api.burst(LIGHT, 1) == [429]  # the same Light quota


def test_only_requests_with_a_valid_token_count(sim, api):
    stranger = requests.get(sim.api_url + MEDIUM, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert stranger.status_code == 401
    assert "X-RateLimit-Category" not in stranger.headers
    assert [requests.get(sim.api_url + MEDIUM, timeout=10).status_code for _ in range(30)] == [401] * 30
    assert api.burst(MEDIUM, 21) == [200] * 20 + [429]


def test_off_by_default_and_switched_at_run_time(clock):
    with ZoomSimulator(clock=clock) as sim:
        api = Api(sim)
        assert api.burst(MEDIUM, 40) == [200] * 40
        assert "X-RateLimit-Category" not in api.get(MEDIUM).headers
        resp = requests.post(sim.url + "/_sim/config", json={"rate_limits": "business"}, timeout=10)
        assert resp.status_code == 200 and resp.json()["rate_limits"] == "business_plus"
        assert api.burst(MEDIUM, 61) == [200] * 60 + [429]
        resp = requests.post(sim.url + "/_sim/config", json={"rate_limits": "gold"}, timeout=10)
        assert resp.status_code == 400 and "unknown Zoom plan 'gold'" in resp.json()["error"]
        assert sim.config()["rate_limits"] == "business_plus"
        sim.set_rate_limits(None)
        assert api.burst(MEDIUM, 100) == [200] * 100
        assert sim.stats()["rate_limited"] == 1


def test_rate_limit_faults_are_counted_too(sim, api):
    sim.add_fault("api", "rate_limit", count=2)
    assert api.burst(LIGHT, 3) == [429, 429, 200]
    assert sim.stats()["rate_limited"] == 2


def test_resource_intensive_is_a_minute_window_and_retry_after_says_when(clock):
    limiter = RateLimiter("pro", clock)
    verdicts = []
    for _ in range(10):
        verdicts.append(limiter.check("RESOURCE-INTENSIVE"))
        clock.now += 1.5
    assert all(v.admitted for v in verdicts)
    over = limiter.check("RESOURCE-INTENSIVE")
    assert not over.admitted
    # The first was admitted 15 s ago: its slot frees in 45 s.
    assert over.retry_after == 45
    assert over.headers()["X-RateLimit-Category"] == "Resource-intensive"
    clock.now += 45
    assert limiter.check("RESOURCE-INTENSIVE").admitted
    assert not limiter.check("RESOURCE-INTENSIVE").admitted


def test_retry_after_is_whole_seconds_at_least_one(clock):
    limiter = RateLimiter("free", clock)  # HEAVY: 1 a second
    assert limiter.check("HEAVY").admitted
    clock.now += 0.999
    over = limiter.check("HEAVY")
    assert not over.admitted and over.retry_after == 1
