"""The simulator's latency: every answer but the control endpoints' is delayed (injected sleep, so no
test waits), in each connection's own thread, with seeded jitter, changeable at run time."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.conftest import ROOT
from zoomsim import ZoomSimulator
from zoomsim.control import SimProcess


class SleepLog:
    """An injected sleep that records and returns at once."""

    def __init__(self):
        self.calls: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.calls.append(seconds)

    def take(self) -> list[float]:
        with self._lock:
            calls, self.calls = self.calls, []
        return calls


@pytest.fixture
def slept():
    return SleepLog()


def get(url, token=None, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url, headers=headers, timeout=10, **kw)


def test_every_answer_is_delayed_half_each_way_but_the_control_endpoints(slept):
    with ZoomSimulator(latency_ms=150, sleep=slept) as sim:
        token = sim.issue_token()[0]  # in process: no HTTP, no delay
        assert slept.take() == []
        resp = requests.post(sim.oauth_url, params={"grant_type": "account_credentials",
                                                    "account_id": sim.account_id},
                             auth=(sim.client_id, sim.client_secret), timeout=10)
        assert resp.status_code == 200
        assert slept.take() == [0.075, 0.075]
        rec = get(sim.api_url + "/meetings/kY2t7QHvRfm0c0m3W1pZ9g%3D%3D/recordings", token).json()
        assert slept.take() == [0.075, 0.075]
        assert get(rec["recording_files"][0]["download_url"], token).status_code == 200
        assert slept.take() == [0.075, 0.075]
        assert get(sim.api_url + "/users/me").status_code == 401  # errors come from far away too
        assert slept.take() == [0.075, 0.075]
        for path in ("/_sim/stats", "/_sim/requests", "/_sim/config"):
            assert get(sim.url + path).status_code == 200
        assert slept.take() == []


def test_no_latency_means_no_sleep_at_all(slept):
    with ZoomSimulator(sleep=slept) as sim:
        token = sim.issue_token()[0]
        for _ in range(3):
            assert get(sim.api_url + "/users/me", token).status_code == 200
        assert slept.calls == []


def test_a_slow_answer_does_not_hold_up_other_connections():
    entered = threading.Event()
    release = threading.Event()
    first = []

    def sleep(seconds):
        if not first:
            first.append(threading.current_thread().name)
            entered.set()
            assert release.wait(30), "never released"

    with ZoomSimulator(latency_ms=150, sleep=sleep) as sim:
        token = sim.issue_token()[0]
        slow_result = []
        slow = threading.Thread(target=lambda: slow_result.append(get(sim.api_url + "/users/me", token)))
        slow.start()
        assert entered.wait(10)  # the first request sits in its delay
        # Another connection is answered meanwhile (the deadline only bounds a hang).
        quick = get(sim.api_url + "/users", token)
        assert quick.status_code == 200
        assert slow_result == []  # ... while the first is still being delayed
        release.set()
        slow.join(10)
        assert slow_result[0].status_code == 200


def test_jitter_is_seeded_and_bounded(slept):
    def delays(seed):
        with ZoomSimulator(latency_ms=100, latency_jitter_ms=20, seed=seed, sleep=slept) as sim:
            token = sim.issue_token()[0]
            session = requests.Session()
            for _ in range(12):
                session.get(sim.api_url + "/users/me", headers={"Authorization": f"Bearer {token}"},
                            timeout=10)
            session.close()
        calls = slept.take()
        return [round(a + b, 9) for a, b in zip(calls[::2], calls[1::2], strict=True)]

    one, again, other = delays(7), delays(7), delays(8)
    assert len(one) == 12
    assert all(0.08 <= d <= 0.12 for d in one)
    assert len(set(one)) > 1
    assert one == again
    assert one != other


def test_latency_changes_at_run_time(slept):
    with ZoomSimulator(sleep=slept) as sim:
        token = sim.issue_token()[0]
        resp = requests.post(sim.url + "/_sim/config", json={"latency_ms": 40}, timeout=10)
        assert resp.status_code == 200
        assert resp.json() == {"token_ttl": 3600, "latency_ms": 40.0, "latency_jitter_ms": 0.0, "seed": None,
                               "rate_limits": None}
        get(sim.api_url + "/users/me", token)
        assert slept.take() == [0.02, 0.02]
        sim.set_latency(0)
        get(sim.api_url + "/users/me", token)
        assert slept.take() == []
        for bad in ({"latency_ms": -5}, {"latency_ms": "soon"}, {"latency_jitter_ms": -1}, {"lag": 3}):
            resp = requests.post(sim.url + "/_sim/config", json=bad, timeout=10)
            assert resp.status_code == 400, bad
            assert resp.json()["error"]
        assert sim.config()["latency_ms"] == 0


def test_command_line_and_environment(tmp_path):
    env = {"PYTHONPATH": str(ROOT), "ZOOMSIM_LATENCY_MS": "25"}
    with SimProcess("--latency-jitter", "5", "--seed", "3", "--rate-limits", "pro", env=env) as proc:
        assert proc.config() == {"token_ttl": 3600, "latency_ms": 25.0, "latency_jitter_ms": 5.0, "seed": 3,
                                 "rate_limits": "pro"}
        proc.set_latency(0, 0)
        proc.set_rate_limits(None)
        assert proc.config()["latency_ms"] == 0 and proc.config()["rate_limits"] is None
    with SimProcess("--latency", "7", env=env) as proc:  # the option wins over the environment
        assert proc.config()["latency_ms"] == 7.0


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--latency", "-1"], {}, "argument --latency: must be a number >= 0"),
    (["--latency", "soon"], {}, "argument --latency: not a number"),
    ([], {"ZOOMSIM_LATENCY_MS": "soon"}, "argument --latency: not a number"),
    (["--rate-limits", "gold"], {}, "ERROR: unknown Zoom plan 'gold'"),
])
def test_command_line_refuses_bad_values(args, env, message):
    with pytest.raises(RuntimeError, match=message):
        started = SimProcess(*args, env={"PYTHONPATH": str(ROOT), **env})
        started.stop()  # reached only when it started after all (and the test fails): leave nothing behind
